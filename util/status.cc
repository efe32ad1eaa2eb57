#include "util/status.h"

#include <cerrno>
#include <cstring>

namespace ormdb {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIOError: return "IOError";
    case StatusCode::kNoSpace: return "NoSpace";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotSupported: return "NotSupported";
    case StatusCode::kBusy: return "Busy";
    case StatusCode::kConflict: return "Conflict";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kExpired: return "Expired";
    case StatusCode::kLagging: return "Lagging";
  }
  return "Unknown";
}

Status Status::FromErrno(int err, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  msg += " (errno ";
  msg += std::to_string(err);
  msg += ")";
  switch (err) {
    case ENOSPC:
    case EFBIG:
    case EDQUOT:
      return NoSpace(std::move(msg));
    case ENOENT:
      return NotFound(std::move(msg));
    case EINVAL:
      return InvalidArgument(std::move(msg));
    default:
      return IOError(std::move(msg));
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += msg_;
  return s;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += msg_;
  return Status(code_, std::move(m));
}

}  // namespace ormdb
