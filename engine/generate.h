// Generated default values: uuid(), uuid(7), cuid(), cuid(2), now(), and the
// text form of 16-byte UUIDs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ormdb::engine {

// 16 bytes: version 4 (random) or 7 (Unix milliseconds, then random).
std::string NewUuidBytes(int version);
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase.
std::string FormatUuid(std::string_view bytes16);
// Accepts the 36-character form (either case); nullopt otherwise.
std::optional<std::string> ParseUuid(std::string_view text);

// cuid() (version 1: 'c', time, counter, host fingerprint, random; 25
// characters, ordered by time within a process) or cuid(2) (24 random
// base-36 characters starting with a letter).
std::string NewCuid(int version);

// Microseconds since the Unix epoch, UTC.
int64_t NowMicros();

}  // namespace ormdb::engine
