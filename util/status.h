// Status and Result<T>: how expected failures (I/O errors, corruption, bad
// input, conflicts) travel across module boundaries. Bugs are assertions, not
// Statuses. A Status message says what failed and where (file, page, offset).
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ormdb {

enum class StatusCode : uint8_t {
  kOk = 0,
  kNotFound,
  kCorruption,
  kIOError,
  kNoSpace,          // ENOSPC, EFBIG, EDQUOT: the disk (or a quota) is full
  kInvalidArgument,
  kNotSupported,     // e.g. a file written by a newer format version
  kBusy,
  kConflict,         // a transaction lost a write-write race; retryable
  kInternal,
  kExpired,          // a change stream's token is older than the retained history
  kLagging,          // a change stream's subscriber fell too far behind to keep up
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(StatusCode::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(StatusCode::kIOError, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(StatusCode::kNoSpace, std::move(msg)); }
  static Status InvalidArgument(std::string msg) { return Status(StatusCode::kInvalidArgument, std::move(msg)); }
  static Status NotSupported(std::string msg) { return Status(StatusCode::kNotSupported, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(StatusCode::kBusy, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(StatusCode::kConflict, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
  static Status Expired(std::string msg) { return Status(StatusCode::kExpired, std::move(msg)); }
  static Status Lagging(std::string msg) { return Status(StatusCode::kLagging, std::move(msg)); }

  // Maps an errno from a system call to a Status naming the operation and file.
  static Status FromErrno(int err, std::string_view what);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }
  bool IsNoSpace() const { return code_ == StatusCode::kNoSpace; }
  bool IsInvalidArgument() const { return code_ == StatusCode::kInvalidArgument; }
  bool IsNotSupported() const { return code_ == StatusCode::kNotSupported; }
  bool IsConflict() const { return code_ == StatusCode::kConflict; }
  bool IsExpired() const { return code_ == StatusCode::kExpired; }
  bool IsLagging() const { return code_ == StatusCode::kLagging; }

  const std::string& message() const { return msg_; }
  // "Corruption: data.odb: page 17: checksum mismatch"
  std::string ToString() const;

  // Prefixes the message with context, e.g. Annotate("opening tree").
  Status Annotate(std::string_view context) const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), msg_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string msg_;
};

// Result<T>: a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(implicit)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ormdb

#define ORMDB_CONCAT_INNER(a, b) a##b
#define ORMDB_CONCAT(a, b) ORMDB_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                       \
  do {                                              \
    ::ormdb::Status _st = (expr);                   \
    if (!_st.ok()) return _st;                      \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Foo()); binds the value or returns the Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(ORMDB_CONCAT(_res_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
