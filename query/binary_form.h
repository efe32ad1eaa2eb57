// The binary form of requests: what clients send over the wire. It is the
// request's argument tree (the same objects as the JSON text form,
// docs/query.md) in a tagged, length-prefixed encoding, so a server reads
// it without scanning text for quotes, escapes and number syntax, and a
// client writes it without a JSON printer. Byte layout: docs/query.md,
// "Binary form". The decoder reads outside input: every tag, length and
// count is checked, strings must be UTF-8, objects have no duplicate keys,
// nesting is bounded, and errors name the byte offset.
#pragma once

#include <string>
#include <string_view>

#include "query/parser.h"
#include "util/json.h"
#include "util/status.h"

namespace ormdb::query {

// Numbers that are integers within int64 take the integer tag; others keep
// their text (exact decimals and big integers stay exact).
std::string EncodeBinaryRequest(const json::Value& request);
Result<json::Value> DecodeBinaryRequest(std::string_view bytes, int max_depth = 128);
// Decodes and binds in one step.
Result<Request> ParseBinaryRequest(std::string_view bytes, const schema::Schema& schema,
                                   const ParseLimits& limits = {});

}  // namespace ormdb::query
