// The JSON parser (recursive descent over the input, one frame per nesting
// level), Value, and the Writer. See json.h for what is accepted and why.
#include "util/json.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace ormdb::json {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if there is
// none: no overlong forms, no surrogates, nothing above U+10FFFF (Unicode 15,
// table 3-7).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const size_t avail = s.size() - i;
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return k < avail && byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // not U+D800..DFFF
  if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;  // up to U+10FFFF
  return 0;
}


bool IsDigit(int c) { return c >= '0' && c <= '9'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decimal exponent of the first significant digit of a nonzero JSON number
// (123.4e5 -> 7, 0.001 -> -3). Only consulted when from_chars reports a
// number out of range, to tell overflow (an error) from underflow (zero).
int64_t LeadingDigitExponent(std::string_view t) {
  size_t i = t[0] == '-' ? 1 : 0;
  const size_t int_start = i;
  while (i < t.size() && IsDigit(t[i])) ++i;
  int64_t magnitude = static_cast<int64_t>(i - int_start) - 1;
  if (i - int_start == 1 && t[int_start] == '0') {
    magnitude = -1;
    if (i < t.size() && t[i] == '.') {
      for (++i; i < t.size() && t[i] == '0'; ++i) --magnitude;
    }
  }
  const size_t e = t.find_first_of("eE");
  if (e == std::string_view::npos) return magnitude;
  size_t j = e + 1;
  const bool negative = t[j] == '-';
  if (t[j] == '-' || t[j] == '+') ++j;
  int64_t exponent = 0;
  // Saturates: the input may hold any number of exponent digits.
  for (; j < t.size(); ++j) exponent = std::min<int64_t>(exponent * 10 + (t[j] - '0'), int64_t{1} << 40);
  return magnitude + (negative ? -exponent : exponent);
}

// For error messages: the key as a JSON string, cut after a few dozen bytes.
std::string QuoteForMessage(std::string_view s) {
  constexpr size_t kMaxBytes = 64;
  std::string out;
  if (s.size() <= kMaxBytes) {
    AppendQuoted(&out, s);
    return out;
  }
  size_t cut = kMaxBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  AppendQuoted(&out, std::string(s.substr(0, cut)) + "...");
  return out;
}

}  // namespace

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// ---------------------------------------------------------------- Parser

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : text_(text), options_(options) {}

  Status ParseDocument(Value* out) {
    SkipWhitespace();
    RETURN_IF_ERROR(ParseValue(out, 0));
    SkipWhitespace();
    if (pos_ != text_.size()) return Error(pos_, "unexpected " + Found(pos_) + " after the JSON value");
    return Status::OK();
  }

 private:
  // The byte at pos_, or -1 at the end.
  int Peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }

  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++pos_;
    }
  }

  // Line and column are computed only here, on the error path.
  Status Error(size_t pos, std::string_view what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos && i < text_.size(); ++i) {
      const auto c = static_cast<unsigned char>(text_[i]);
      if (c == '\n') {
        ++line;
        column = 1;
      } else if ((c & 0xC0) != 0x80) {  // continuation bytes are part of the character before
        ++column;
      }
    }
    return Status::InvalidArgument("JSON at line " + std::to_string(line) + ", column " + std::to_string(column) +
                                   " (byte " + std::to_string(pos) + "): " + std::string(what));
  }

  Status Expected(std::string_view what) const {
    return Error(pos_, "expected " + std::string(what) + ", found " + Found(pos_));
  }

  std::string Found(size_t pos) const {
    if (pos >= text_.size()) return "end of input";
    const auto c = static_cast<unsigned char>(text_[pos]);
    if (c > 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    const size_t len = c >= 0x80 ? Utf8SequenceLength(text_, pos) : 0;
    if (len > 0) {  // the character and its code point, which also shows invisible ones such as a BOM
      uint32_t cp = c & (0x7F >> len);
      for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<unsigned char>(text_[pos + i]) & 0x3F);
      char code[16];
      std::snprintf(code, sizeof(code), " (U+%04X)", static_cast<unsigned>(cp));
      return "'" + std::string(text_.substr(pos, len)) + "'" + code;
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0xF];
  }

  Status ParseValue(Value* out, int depth) {
    switch (Peek()) {
      case '{': return ParseObject(out, depth + 1);
      case '[': return ParseArray(out, depth + 1);
      case '"':
        out->kind_ = Value::Kind::kString;
        return ParseString(&out->text_);
      case 't': return ParseLiteral("true", out);
      case 'f': return ParseLiteral("false", out);
      case 'n': return ParseLiteral("null", out);
      default:
        if (Peek() == '-' || IsDigit(Peek())) return ParseNumber(out);
        return Expected("a value");
    }
  }

  Status ParseLiteral(std::string_view word, Value* out) {
    if (text_.substr(pos_, word.size()) != word) return Error(pos_, "invalid literal (expected true, false or null)");
    pos_ += word.size();
    if (word != "null") {
      out->kind_ = Value::Kind::kBool;
      out->bool_ = word == "true";
    }
    return Status::OK();
  }

  Status CheckDepth(int depth) const {
    if (depth <= options_.max_depth) return Status::OK();
    return Error(pos_, "arrays and objects nest deeper than " + std::to_string(options_.max_depth) + " levels");
  }

  Status ParseArray(Value* out, int depth) {
    RETURN_IF_ERROR(CheckDepth(depth));
    out->kind_ = Value::Kind::kArray;
    ++pos_;
    SkipWhitespace();
    if (Peek() == ']') {
      ++pos_;
      return Status::OK();
    }
    for (;;) {
      out->items_.emplace_back();
      RETURN_IF_ERROR(ParseValue(&out->items_.back(), depth));
      SkipWhitespace();
      if (Peek() == ']') {
        ++pos_;
        return Status::OK();
      }
      if (Peek() != ',') return Expected("',' or ']' after an array element");
      const size_t comma = pos_++;
      SkipWhitespace();
      if (Peek() == ']') return Error(comma, "trailing comma before ']'");
    }
  }

  Status ParseObject(Value* out, int depth) {
    RETURN_IF_ERROR(CheckDepth(depth));
    out->kind_ = Value::Kind::kObject;
    ++pos_;
    SkipWhitespace();
    if (Peek() == '}') {
      ++pos_;
      return Status::OK();
    }
    // Offsets of this object's keys, for the duplicate-key error; a stack
    // shared by all open objects so small objects allocate nothing for it.
    const size_t key_base = key_offsets_.size();
    std::vector<Value::Member>& members = out->members_;
    for (;;) {
      if (Peek() != '"') return Expected("a string key");
      const size_t key_pos = pos_;
      std::string key;
      RETURN_IF_ERROR(ParseString(&key));
      if (members.size() < kLinearKeyCheckLimit) {
        for (const Value::Member& m : members) {
          if (m.first == key) return Error(key_pos, "duplicate key " + QuoteForMessage(key));
        }
      }
      key_offsets_.push_back(key_pos);
      SkipWhitespace();
      if (Peek() != ':') return Expected("':' after object key");
      ++pos_;
      SkipWhitespace();
      members.emplace_back(std::move(key), Value());
      RETURN_IF_ERROR(ParseValue(&members.back().second, depth));
      SkipWhitespace();
      if (Peek() == '}') {
        ++pos_;
        break;
      }
      if (Peek() != ',') return Expected("',' or '}' after an object member");
      const size_t comma = pos_++;
      SkipWhitespace();
      if (Peek() == '}') return Error(comma, "trailing comma before '}'");
    }
    if (members.size() > kLinearKeyCheckLimit) RETURN_IF_ERROR(CheckUniqueKeys(members, key_base));
    key_offsets_.resize(key_base);
    return Status::OK();
  }

  // Duplicate keys in a large object, by sorting rather than comparing every
  // pair (a request could hold a million members) or hashing (which crafted
  // keys can make quadratic). Reports the first key in source order that
  // repeats an earlier one, as the linear check for small objects does.
  Status CheckUniqueKeys(const std::vector<Value::Member>& members, size_t key_base) const {
    std::vector<size_t> order(members.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const int c = members[a].first.compare(members[b].first);
      return c != 0 ? c < 0 : a < b;
    });
    size_t first_duplicate = members.size();
    for (size_t i = 1; i < order.size(); ++i) {
      if (members[order[i]].first == members[order[i - 1]].first) {
        first_duplicate = std::min(first_duplicate, order[i]);
      }
    }
    if (first_duplicate == members.size()) return Status::OK();
    return Error(key_offsets_[key_base + first_duplicate],
                 "duplicate key " + QuoteForMessage(members[first_duplicate].first));
  }

  Status ParseString(std::string* out) {
    const size_t open = pos_++;
    for (;;) {
      // Copy runs of bytes that need no decoding in one append.
      const size_t run = pos_;
      while (pos_ < text_.size()) {
        const auto c = static_cast<unsigned char>(text_[pos_]);
        if (c < 0x80) {
          if (c < 0x20 || c == '"' || c == '\\') break;
          ++pos_;
        } else {
          const size_t len = Utf8SequenceLength(text_, pos_);
          if (len == 0) break;
          pos_ += len;
        }
      }
      out->append(text_.data() + run, pos_ - run);
      if (pos_ >= text_.size()) return Error(open, "unterminated string");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return Status::OK();
      }
      if (c == '\\') {
        RETURN_IF_ERROR(ParseEscape(out));
      } else if (c < 0x20) {
        return Error(pos_, "control character " + Found(pos_) + " in a string must be escaped");
      } else {
        return Error(pos_, "invalid UTF-8 in a string: " + Found(pos_));
      }
    }
  }

  Status ParseEscape(std::string* out) {
    const size_t backslash = pos_;
    if (pos_ + 1 >= text_.size()) return Error(backslash, "unterminated escape at the end of input");
    const char e = text_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case '"': out->push_back('"'); return Status::OK();
      case '\\': out->push_back('\\'); return Status::OK();
      case '/': out->push_back('/'); return Status::OK();
      case 'b': out->push_back('\b'); return Status::OK();
      case 'f': out->push_back('\f'); return Status::OK();
      case 'n': out->push_back('\n'); return Status::OK();
      case 'r': out->push_back('\r'); return Status::OK();
      case 't': out->push_back('\t'); return Status::OK();
      case 'u': return ParseUnicodeEscape(backslash, out);
      default: return Error(backslash, "invalid escape: backslash followed by " + Found(backslash + 1));
    }
  }

  // The 4 hex digits at `pos`, or -1.
  int32_t Hex4(size_t pos) const {
    if (pos + 4 > text_.size()) return -1;
    int32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      const int d = HexDigit(text_[pos + i]);
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  // pos_ is after "\u". A high surrogate must be followed by an escaped low
  // one (the pair is one character); anything else would decode to UTF-8
  // that is not well-formed.
  Status ParseUnicodeEscape(size_t backslash, std::string* out) {
    const int32_t unit = Hex4(pos_);
    if (unit < 0) return Error(backslash, "expected 4 hex digits after \\u");
    pos_ += 4;
    const auto written = [&] { return std::string(text_.substr(backslash, 6)); };
    if (unit >= 0xDC00 && unit <= 0xDFFF) return Error(backslash, "unpaired low surrogate " + written());
    uint32_t cp = static_cast<uint32_t>(unit);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const int32_t low = text_.substr(pos_, 2) == "\\u" ? Hex4(pos_ + 2) : -1;
      if (low < 0xDC00 || low > 0xDFFF) return Error(backslash, "unpaired high surrogate " + written());
      pos_ += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + static_cast<uint32_t>(low - 0xDC00);
    }
    AppendUtf8(out, cp);
    return Status::OK();
  }

  Status ParseNumber(Value* out) {
    const size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (!IsDigit(Peek())) return Expected("a digit after '-'");
    if (Peek() == '0') {
      ++pos_;
      if (IsDigit(Peek())) return Error(pos_ - 1, "leading zeros are not allowed in numbers");
    } else {
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == '.') {
      ++pos_;
      if (!IsDigit(Peek())) return Expected("a digit after the decimal point");
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) return Expected("a digit in the exponent");
      while (IsDigit(Peek())) ++pos_;
    }
    const std::string_view text = text_.substr(start, pos_ - start);
    if (!out->AssignNumber(text)) {
      return Error(start, "number " + QuoteForMessage(text) + " is beyond the range of a double");
    }
    return Status::OK();
  }

  // Objects up to this size check for duplicate keys as each key is read;
  // larger ones sort their keys once at the end.
  static constexpr size_t kLinearKeyCheckLimit = 16;

  const std::string_view text_;
  const ParseOptions& options_;
  size_t pos_ = 0;
  std::vector<size_t> key_offsets_;
};

Result<Value> Parse(std::string_view text, const ParseOptions& options) {
  if (text.size() > options.max_bytes) {
    return Status::InvalidArgument("JSON input of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                   std::to_string(options.max_bytes) + " bytes");
  }
  Value value;
  RETURN_IF_ERROR(Parser(text, options).ParseDocument(&value));
  return value;
}

// ---------------------------------------------------------------- Value

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), i);
  assert(ec == std::errc());
  Value v;
  v.kind_ = Kind::kNumber;
  v.is_integer_ = true;
  v.int_ = i;
  v.double_ = static_cast<double>(i);
  v.text_.assign(buf, end);
  return v;
}

Value Value::Double(double d) {
  if (!std::isfinite(d)) return Null();
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  assert(ec == std::errc());
  Value v;
  // Through the text, so the value is exactly what a reader of it gets (3.0
  // is written "3", an integer).
  [[maybe_unused]] const bool in_range = v.AssignNumber(std::string_view(buf, static_cast<size_t>(end - buf)));
  assert(in_range);
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.text_ = std::move(s);
  return v;
}

Value Value::Array() {
  Value v;
  v.kind_ = Kind::kArray;
  return v;
}

Value Value::Object() {
  Value v;
  v.kind_ = Kind::kObject;
  return v;
}

bool Value::AssignNumber(std::string_view text) {
  kind_ = Kind::kNumber;
  text_.assign(text);
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  if (text.find_first_of(".eE") == std::string_view::npos) {
    const auto [ptr, ec] = std::from_chars(begin, end, int_);
    if (ec == std::errc() && ptr == end) {
      is_integer_ = true;
      double_ = static_cast<double>(int_);
      if (int_ == 0 && text[0] == '-') double_ = -0.0;
      return true;
    }
  }
  is_integer_ = false;
  int_ = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, double_);
  assert(ptr == end);
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves the value alone both for overflow and for a number
    // that rounds to zero.
    if (LeadingDigitExponent(text) >= 0) return false;
    double_ = text[0] == '-' ? -0.0 : 0.0;
  }
  return true;
}

bool Value::bool_value() const {
  assert(is_bool());
  return bool_;
}

bool Value::is_integer() const {
  assert(is_number());
  return is_integer_;
}

int64_t Value::int_value() const {
  assert(is_number() && is_integer_);
  return int_;
}

double Value::double_value() const {
  assert(is_number());
  return double_;
}

const std::string& Value::number_text() const {
  assert(is_number());
  return text_;
}

const std::string& Value::string_value() const {
  assert(is_string());
  return text_;
}

size_t Value::size() const {
  assert(is_array() || is_object());
  return is_array() ? items_.size() : members_.size();
}

const std::vector<Value>& Value::items() const {
  assert(is_array());
  return items_;
}

const std::vector<Value::Member>& Value::members() const {
  assert(is_object());
  return members_;
}

const Value* Value::Find(std::string_view key) const {
  assert(is_object());
  for (const Member& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Value* Value::FindMutable(std::string_view key) { return const_cast<Value*>(std::as_const(*this).Find(key)); }

void Value::Push(Value v) {
  assert(is_array());
  items_.push_back(std::move(v));
}

void Value::Set(std::string_view key, Value v) {
  if (Value* existing = FindMutable(key)) {
    *existing = std::move(v);
  } else {
    members_.emplace_back(std::string(key), std::move(v));
  }
}

void Value::Add(std::string key, Value v) {
  assert(Find(key) == nullptr && "duplicate key: use Set to replace a member");
  members_.emplace_back(std::move(key), std::move(v));
}

std::string_view Value::TypeName() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "boolean";
    case Kind::kNumber: return "number";
    case Kind::kString: return "string";
    case Kind::kArray: return "array";
    case Kind::kObject: return "object";
  }
  return "?";
}

std::string Value::ToString(size_t max_bytes) const {
  std::string out;
  Writer(&out).WriteBounded(*this, max_bytes);
  if (out.size() <= max_bytes) return out;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out += "...";
  return out;
}

namespace {

bool MembersEqual(const std::vector<Value::Member>& a, const std::vector<Value::Member>& b) {
  if (a.size() != b.size()) return false;
  size_t i = 0;
  for (; i < a.size() && a[i].first == b[i].first; ++i) {
    if (!(a[i].second == b[i].second)) return false;
  }
  if (i == a.size()) return true;
  // The rest in another order: match them by key. Keys are unique within an
  // object, so equal sorted sequences mean equal sets; sorting keeps large
  // objects n log n.
  std::vector<const Value::Member*> x, y;
  for (size_t j = i; j < a.size(); ++j) {
    x.push_back(&a[j]);
    y.push_back(&b[j]);
  }
  const auto by_key = [](const Value::Member* p, const Value::Member* q) { return p->first < q->first; };
  std::sort(x.begin(), x.end(), by_key);
  std::sort(y.begin(), y.end(), by_key);
  for (size_t j = 0; j < x.size(); ++j) {
    if (x[j]->first != y[j]->first || !(x[j]->second == y[j]->second)) return false;
  }
  return true;
}

}  // namespace

bool operator==(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Value::Kind::kNull: return true;
    case Value::Kind::kBool: return a.bool_ == b.bool_;
    case Value::Kind::kNumber: return a.is_integer_ && b.is_integer_ ? a.int_ == b.int_ : a.double_ == b.double_;
    case Value::Kind::kString: return a.text_ == b.text_;
    case Value::Kind::kArray: return a.items_ == b.items_;
    case Value::Kind::kObject: return MembersEqual(a.members_, b.members_);
  }
  return false;
}

// ---------------------------------------------------------------- Writer

void AppendQuoted(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('"');
  size_t run = 0;  // start of the bytes not yet appended, which need no escaping
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s, i);
      if (len > 0) {
        i += len;
        continue;
      }
    }
    out->append(s.data() + run, i - run);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out->append(esc, sizeof(esc));
        } else {
          out->append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not UTF-8
        }
    }
    run = ++i;
  }
  out->append(s.data() + run, i - run);
  out->push_back('"');
}

uint8_t& Writer::Top() {
  assert(depth_ > 0);
  return depth_ <= kInlineDepth ? inline_frames_[depth_ - 1] : deep_frames_[depth_ - 1 - kInlineDepth];
}

void Writer::PushFrame(uint8_t frame) {
  if (depth_ < kInlineDepth) {
    inline_frames_[depth_] = frame;
  } else {
    deep_frames_.push_back(frame);
  }
  ++depth_;
}

void Writer::PopFrame() {
  --depth_;
  if (depth_ >= kInlineDepth) deep_frames_.pop_back();
}

void Writer::BeforeValue() {
  if (depth_ == 0) {
    assert(!wrote_value_ && "a Writer writes one top-level value");
    wrote_value_ = true;
    return;
  }
  uint8_t& top = Top();
  if (top & kObjectFrame) {
    assert(after_key_ && "a value in an object needs a Key first");
    after_key_ = false;  // Key wrote the comma
    return;
  }
  if (top & kHasElement) out_->push_back(',');
  top |= kHasElement;
}

void Writer::Key(std::string_view key) {
  assert(depth_ > 0 && (Top() & kObjectFrame) && !after_key_ && "Key belongs in an object, before its value");
  uint8_t& top = Top();
  if (top & kHasElement) out_->push_back(',');
  top |= kHasElement;
  AppendQuoted(out_, key);
  out_->push_back(':');
  after_key_ = true;
}

void Writer::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  PushFrame(kObjectFrame);
}

void Writer::EndObject() {
  assert(depth_ > 0 && (Top() & kObjectFrame) && !after_key_ && "EndObject without a matching BeginObject");
  PopFrame();
  out_->push_back('}');
}

void Writer::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  PushFrame(0);
}

void Writer::EndArray() {
  assert(depth_ > 0 && !(Top() & kObjectFrame) && "EndArray without a matching BeginArray");
  PopFrame();
  out_->push_back(']');
}

void Writer::AppendScalar(std::string_view text) {
  BeforeValue();
  out_->append(text);
}

void Writer::Null() { AppendScalar("null"); }

void Writer::Bool(bool b) { AppendScalar(b ? "true" : "false"); }

void Writer::Int(int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  assert(ec == std::errc());
  AppendScalar(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void Writer::Uint(uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  assert(ec == std::errc());
  AppendScalar(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void Writer::Double(double v) {
  if (!std::isfinite(v)) {
    Null();
    return;
  }
  char buf[32];  // the longest shortest form is 24 bytes, "-2.2250738585072014e-308"
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  assert(ec == std::errc());
  AppendScalar(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void Writer::String(std::string_view s) {
  BeforeValue();
  AppendQuoted(out_, s);
}

void Writer::Raw(std::string_view json) {
  assert(Parse(json).ok() && "Raw needs one valid JSON value");
  AppendScalar(json);
}

void Writer::Write(const Value& v) { WriteBounded(v, SIZE_MAX); }

void Writer::WriteBounded(const Value& v, size_t limit) {
  switch (v.kind()) {
    case Value::Kind::kNull: Null(); return;
    case Value::Kind::kBool: Bool(v.bool_value()); return;
    case Value::Kind::kNumber: AppendScalar(v.number_text()); return;
    case Value::Kind::kString: String(v.string_value()); return;
    case Value::Kind::kArray:
      BeginArray();
      for (const Value& item : v.items()) {
        if (out_->size() > limit) return;
        WriteBounded(item, limit);
      }
      if (out_->size() > limit) return;  // a cut-off element left its frame open
      EndArray();
      return;
    case Value::Kind::kObject:
      BeginObject();
      for (const Value::Member& m : v.members()) {
        if (out_->size() > limit) return;
        Key(m.first);
        WriteBounded(m.second, limit);
      }
      if (out_->size() > limit) return;
      EndObject();
      return;
  }
}

}  // namespace ormdb::json
