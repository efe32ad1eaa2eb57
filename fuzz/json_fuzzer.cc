// JSON (util/json.h) over arbitrary bytes. Parsing either succeeds or returns
// InvalidArgument with a position; it never crashes or hangs. Whatever
// parses writes back to text that parses to an equal value and writes the
// same text again. And the bytes as a string, whatever they are, write as a
// JSON string literal that parses back to them when they are UTF-8 (checked
// here by decoding, independently of the library's byte-range tables) and to
// a stable text otherwise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "util/json.h"

using namespace ormdb;

namespace {

// Decodes each code point and rejects overlong forms, surrogates and values
// beyond U+10FFFF: the definition of well-formed UTF-8, not a table of it.
bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (lead < 0x80) {
      len = 1, cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      len = 2, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4, cp = lead & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

[[noreturn]] void Fail(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "%s\n--- first\n%.*s\n--- second\n%.*s\n", what, static_cast<int>(a.size()), a.data(),
               static_cast<int>(b.size()), b.data());
  std::abort();
}

void CheckDocument(std::string_view text) {
  auto parsed = json::Parse(text);
  if (!parsed.ok()) {
    const Status& s = parsed.status();
    if (!s.IsInvalidArgument() || s.message().rfind("JSON at line ", 0) != 0) {
      Fail("error without a position", s.ToString());
    }
    return;
  }
  std::string written;
  json::Writer writer(&written);
  writer.Write(*parsed);
  if (written != parsed->ToString()) Fail("Writer and ToString disagree", written, parsed->ToString());

  auto again = json::Parse(written);
  if (!again.ok()) Fail("written text does not parse", again.status().ToString(), written);
  if (!(*again == *parsed)) Fail("written text parses to another value", text, written);
  if (again->ToString() != written) Fail("written text is not stable", written, again->ToString());

  const json::Value copy = *parsed;
  if (!(copy == *parsed)) Fail("a copy differs", text);

  // Cut-off text for error messages stays within its bound.
  const size_t max = text.size() / 3;
  const std::string cut = parsed->ToString(max);
  if (cut.size() > max + 3) Fail("ToString(max) is too long", cut);
}

void CheckString(std::string_view bytes) {
  std::string quoted;
  json::AppendQuoted(&quoted, bytes);
  auto parsed = json::Parse(quoted);
  if (!parsed.ok() || !parsed->is_string()) Fail("a quoted string does not parse", quoted);
  if (IsUtf8(bytes) && parsed->string_value() != bytes) {
    Fail("a UTF-8 string does not round trip", bytes, parsed->string_value());
  }
  std::string requoted;
  json::AppendQuoted(&requoted, parsed->string_value());
  if (requoted != quoted) Fail("quoting is not stable", quoted, requoted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckDocument(bytes);
  CheckString(bytes);
  return 0;
}
