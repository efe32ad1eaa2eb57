// StrongId<Tag>: a 64-bit number that only compares with its own kind, so a
// page number can't be passed where a commit version is meant.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace ormdb {

template <typename Tag>
class StrongId {
 public:
  constexpr StrongId() = default;
  constexpr explicit StrongId(uint64_t v) : v_(v) {}
  constexpr uint64_t value() const { return v_; }
  constexpr auto operator<=>(const StrongId&) const = default;
  constexpr StrongId Next() const { return StrongId(v_ + 1); }
  std::string ToString() const { return std::to_string(v_); }

 private:
  uint64_t v_ = 0;
};

}  // namespace ormdb

template <typename Tag>
struct std::hash<ormdb::StrongId<Tag>> {
  size_t operator()(const ormdb::StrongId<Tag>& id) const noexcept {
    return std::hash<uint64_t>()(id.value());
  }
};
