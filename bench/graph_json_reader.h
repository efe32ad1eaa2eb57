// A pull reader of the JSON text SQLite's json_object / json_group_array
// produce, for graph_bench's "json" strategy: the caller walks the shape it
// expects and reads values straight into its objects, as a client with a
// fast JSON library does (no tree is built). Only what SQLite writes is
// needed: objects, arrays, integers, strings with its escapes, null.
// The first error sticks; ok() says whether everything read was well formed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/json.h"

namespace ormdb::bench::graph {

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}

  bool ok() const { return ok_; }
  size_t position() const { return i_; }

  // Consumes `c` (after whitespace) if it is next.
  bool TryConsume(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void Expect(char c) {
    if (!TryConsume(c)) ok_ = false;
  }

  // An object key and its colon.
  std::string_view Key() {
    SkipSpace();
    std::string_view key;
    if (i_ < s_.size() && s_[i_] == '"') {
      size_t start = ++i_;
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') ++i_;
      if (i_ < s_.size() && s_[i_] == '"') {
        key = s_.substr(start, i_ - start);
        ++i_;
      } else {
        ok_ = false;  // keys here never need escapes
      }
    } else {
      ok_ = false;
    }
    Expect(':');
    return key;
  }

  int64_t Int() {
    SkipSpace();
    bool negative = i_ < s_.size() && s_[i_] == '-';
    if (negative) ++i_;
    size_t start = i_;
    uint64_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') v = v * 10 + static_cast<uint64_t>(s_[i_++] - '0');
    if (i_ == start) ok_ = false;
    return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  }

  void String(std::string* out) {
    out->clear();
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != '"') {
      ok_ = false;
      return;
    }
    ++i_;
    for (;;) {
      size_t start = i_;
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') ++i_;
      out->append(s_.data() + start, i_ - start);
      if (i_ >= s_.size()) {
        ok_ = false;
        return;
      }
      if (s_[i_++] == '"') return;
      if (i_ >= s_.size()) {
        ok_ = false;
        return;
      }
      char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': AppendCodePoint(out); break;
        default: ok_ = false; return;
      }
    }
  }

  // Skips one value of any kind.
  void Skip() {
    SkipSpace();
    if (i_ >= s_.size()) {
      ok_ = false;
      return;
    }
    char c = s_[i_];
    if (c == '"') {
      std::string ignored;
      String(&ignored);
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      if (TryConsume(close)) return;
      do {
        if (c == '{') Key();
        Skip();
      } while (ok_ && TryConsume(','));
      Expect(close);
    } else {
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']') ++i_;
    }
  }

  // Whether only whitespace is left.
  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  uint32_t Hex4() {
    if (i_ + 4 > s_.size()) {
      ok_ = false;
      return 0;
    }
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else ok_ = false;
    }
    return v;
  }
  void AppendCodePoint(std::string* out) {
    uint32_t cp = Hex4();
    if (cp >= 0xD800 && cp < 0xDC00 && i_ + 6 <= s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
      i_ += 2;
      uint32_t lo = Hex4();
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    json::AppendUtf8(out, cp);
  }

  std::string_view s_;
  size_t i_ = 0;
  bool ok_ = true;
};

}  // namespace ormdb::bench::graph
