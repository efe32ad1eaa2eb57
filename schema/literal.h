// The literals a @default constant may hold, checked against the field's
// type: integers in range, finite floats, RFC 3339 timestamps, base64 bytes
// and JSON text. The printer uses the formatting half to write them back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ormdb::schema {

// JSON values nest at most this deep in a Json default.
constexpr int kMaxJsonDepth = 64;

// A number token holding an integer within [min, max]; nullopt for a
// fraction, an exponent or a value out of range.
std::optional<int64_t> ParseInteger(std::string_view text, int64_t min, int64_t max);

// A number token as a finite double; nullopt when it overflows or underflows.
std::optional<double> ParseFloat(std::string_view text);
// The shortest text that reads back as the same double.
std::string FormatFloat(double v);

// "2024-02-29T13:45:00Z", "2024-02-29T13:45:00.123456+02:00": microseconds
// since the Unix epoch, UTC. Years 0000-9999; at most six fraction digits.
std::optional<int64_t> ParseTimestampMicros(std::string_view text);
// "2024-02-29T11:45:00.123456Z" (the fraction only when non-zero).
std::string FormatTimestampMicros(int64_t micros);

// Standard base64 with padding.
std::optional<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

// Whether `text` is one JSON value (RFC 8259), nesting at most kMaxJsonDepth.
bool IsValidJson(std::string_view text);

}  // namespace ormdb::schema
