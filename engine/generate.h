// Generated default values: uuid(), uuid(7), cuid(), cuid(2), now().
// (The text form of UUIDs is schema::FormatUuid / ParseUuid.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ormdb::engine {

// 16 bytes: version 4 (random) or 7 (Unix milliseconds, then random).
std::string NewUuidBytes(int version);

// cuid() (version 1: 'c', time, counter, host fingerprint, random; 25
// characters, ordered by time within a process) or cuid(2) (24 random
// base-36 characters starting with a letter).
std::string NewCuid(int version);

// Microseconds since the Unix epoch, UTC.
int64_t NowMicros();

}  // namespace ormdb::engine
