// JSON (RFC 8259) for the query layer: a strict parser for requests, which
// are outside input, the Value tree they parse into, and a streaming Writer
// for results, which are built without a tree.
//
// Strict because a request that one JSON reader accepts and another reads
// differently is a bug waiting in someone's client: no comments, trailing
// commas, NaN/Infinity, leading zeros, raw control characters, invalid UTF-8,
// lone surrogates or duplicate keys (readers disagree on which duplicate
// wins). Numbers keep the text they were written as, so a Decimal or an
// integer beyond 2^53 reaches the query layer exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace ormdb::json {

// A JSON value. Invariant: every Value is representable as JSON text, and
// Parse(v.ToString()) == v. That is why objects never hold two members with
// the same key and Double() of a non-finite number is null.
//
// Accessors assert the kind: reading a string as a number is a bug in the
// caller, which checks kind() (or TypeName() for its error message) first.
class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Value>;

  Value() = default;  // null

  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t v);
  // The shortest text that reads back as `v`; NaN and infinities are null.
  static Value Double(double v);
  static Value String(std::string s);
  static Value Array();
  static Value Object();

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  bool bool_value() const;
  // Whether the number is written as an integer (no fraction or exponent)
  // that fits int64: "-0", "42" and "9223372036854775807" are, "1.0", "1e2"
  // and "9223372036854775808" are not.
  bool is_integer() const;
  int64_t int_value() const;  // only when is_integer()
  // The nearest double; always finite (Parse rejects numbers beyond the
  // range of a double; ones too small for it read as zero).
  double double_value() const;
  // The number as written in the source (or by Int/Double).
  const std::string& number_text() const;
  const std::string& string_value() const;

  // Elements of an array or members of an object.
  size_t size() const;
  const std::vector<Value>& items() const;
  // In source (or insertion) order.
  const std::vector<Member>& members() const;
  // The member named `key`, or nullptr. A linear scan: objects in requests
  // are small.
  const Value* Find(std::string_view key) const;

  void Push(Value v);                        // appends to an array
  void Set(std::string_view key, Value v);   // replaces the member or appends it
  void Add(std::string key, Value v);        // appends; the key must be new

  // "null", "boolean", "number", "string", "array" or "object".
  std::string_view TypeName() const;
  // Compact JSON text. Longer than `max_bytes`, it is cut there (at a UTF-8
  // character boundary) and "..." appended, for error messages that quote
  // what they got: "expected String, got {\"a\":[1,2,3,..." .
  std::string ToString(size_t max_bytes = SIZE_MAX) const;

  // Deep equality. Numbers compare by value: two integers (is_integer) exactly,
  // any other pair as doubles, so 1 == 1.0 == 1e0. Objects compare as sets of
  // members: the order of keys does not matter.
  friend bool operator==(const Value& a, const Value& b);

 private:
  friend class Parser;
  // Makes this a number written as `text`, which is valid JSON number syntax.
  // False if its magnitude is beyond the range of a double.
  bool AssignNumber(std::string_view text);
  Value* FindMutable(std::string_view key);

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  bool is_integer_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string text_;  // a string's value or a number's text
  std::vector<Value> items_;
  std::vector<Member> members_;
};

struct ParseOptions {
  // Arrays and objects nested deeper than this are an error; the parser
  // recurses once per level, so this bounds its stack.
  int max_depth = 128;
  // Longer input is rejected before any of it is read.
  size_t max_bytes = 64u << 20;
};

// Exactly one value, with optional whitespace around it. Errors are
// InvalidArgument and say where, with the line and column (1-based; a column
// counts UTF-8 characters) and the byte offset (0-based):
//   "JSON at line 3, column 14 (byte 57): expected ':' after object key, found '1'"
Result<Value> Parse(std::string_view text, const ParseOptions& options = {});

// Appends code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(std::string* out, uint32_t cp);

// Appends `s` as a JSON string literal, quotes included. Quotes, backslashes
// and control characters are escaped (\n, \t, ... where JSON has a short
// form, else \u00XX); well-formed UTF-8 is kept as is; a byte that does not
// start a well-formed UTF-8 sequence becomes U+FFFD, so the output is always
// valid JSON.
void AppendQuoted(std::string* out, std::string_view s);

// Writes one JSON value to a string as it is produced, inserting commas and
// colons; results use it to write rows without building a Value. Misuse (a
// value in an object without a Key, an EndArray closing an object, a second
// top-level value) is a bug and asserts.
//
// It only appends to *out: no other allocation unless containers nest deeper
// than kInlineDepth, so a Writer per row or per result costs nothing.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);

  void Null();
  void Bool(bool b);
  void Int(int64_t v);
  void Uint(uint64_t v);
  // The shortest text that reads back as `v` (std::to_chars); NaN and
  // infinities, which JSON cannot express, are written as null.
  void Double(double v);
  void String(std::string_view s);
  // `json` must be one valid JSON value (e.g. a stored Json column); it is
  // copied unchecked in release builds.
  void Raw(std::string_view json);
  // Numbers are written as their number_text().
  void Write(const Value& v);

 private:
  friend class Value;  // ToString stops writing early

  static constexpr size_t kInlineDepth = 32;
  // Per open container: whether it is an object, and whether it holds an
  // element yet (so the next one needs a comma).
  static constexpr uint8_t kObjectFrame = 1;
  static constexpr uint8_t kHasElement = 2;

  void BeforeValue();
  void PushFrame(uint8_t frame);
  void PopFrame();
  uint8_t& Top();
  void AppendScalar(std::string_view text);
  // Write(v), stopping once *out_ is longer than `limit` bytes.
  void WriteBounded(const Value& v, size_t limit);

  std::string* out_;
  uint8_t inline_frames_[kInlineDepth] = {};
  std::vector<uint8_t> deep_frames_;  // frames below the first kInlineDepth
  size_t depth_ = 0;
  bool after_key_ = false;   // a Key was written; its value comes next
  bool wrote_value_ = false;  // the top-level value has begun
};

}  // namespace ormdb::json
