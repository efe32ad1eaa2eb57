// util/json.h: what the parser accepts and how it reads it, every error it
// reports and where, the limits on depth, size and duplicate keys, the Value
// API, and the Writer's output; then seeded random values round trip through
// the text.
#include "util/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace ormdb::json {

// Failed expectations print values as JSON (gtest finds this by ADL).
void PrintTo(const Value& v, std::ostream* os) { *os << v.ToString(200); }

namespace {

Value ParseOk(std::string_view text, const ParseOptions& options = {}) {
  Result<Value> r = Parse(text, options);
  EXPECT_TRUE(r.ok()) << "input: " << text << "\n" << r.status().ToString();
  return r.ok() ? *r : Value();
}

// The error message for `text`, which must not parse.
std::string ErrorOf(std::string_view text, const ParseOptions& options = {}) {
  Result<Value> r = Parse(text, options);
  EXPECT_FALSE(r.ok()) << "input parsed: " << text;
  if (r.ok()) return "";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return r.status().message();
}

bool Contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// ------------------------------------------------------------ every kind

TEST(JsonParseTest, NullParses) {
  const Value v = ParseOk("null");
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.kind(), Value::Kind::kNull);
}

TEST(JsonParseTest, BooleansParse) {
  EXPECT_TRUE(ParseOk("true").bool_value());
  EXPECT_FALSE(ParseOk("false").bool_value());
  EXPECT_EQ(ParseOk("true").kind(), Value::Kind::kBool);
}

TEST(JsonParseTest, IntegerIsAnIntegerAndADouble) {
  const Value v = ParseOk("-42");
  ASSERT_TRUE(v.is_number());
  EXPECT_TRUE(v.is_integer());
  EXPECT_EQ(v.int_value(), -42);
  EXPECT_EQ(v.double_value(), -42.0);
  EXPECT_EQ(v.number_text(), "-42");
}

TEST(JsonParseTest, FractionOrExponentMakesANumberThatIsNotAnInteger) {
  for (const char* text : {"3.25", "1.0", "1e2", "1E+2", "25e-2"}) {
    SCOPED_TRACE(text);
    const Value v = ParseOk(text);
    ASSERT_TRUE(v.is_number());
    EXPECT_FALSE(v.is_integer());
    EXPECT_EQ(v.number_text(), text);
  }
  EXPECT_EQ(ParseOk("3.25").double_value(), 3.25);
  EXPECT_EQ(ParseOk("1E+2").double_value(), 100.0);
  EXPECT_EQ(ParseOk("25e-2").double_value(), 0.25);
}

TEST(JsonParseTest, NumberKeepsItsTextExactly) {
  // More digits than a double holds: a Decimal column needs all of them.
  const Value v = ParseOk("12345678901234567890.000000000000000000001");
  EXPECT_EQ(v.number_text(), "12345678901234567890.000000000000000000001");
  EXPECT_EQ(ParseOk("1.50").number_text(), "1.50");
}

TEST(JsonParseTest, LargestAndSmallestInt64AreIntegers) {
  const Value max = ParseOk("9223372036854775807");
  ASSERT_TRUE(max.is_integer());
  EXPECT_EQ(max.int_value(), std::numeric_limits<int64_t>::max());
  const Value min = ParseOk("-9223372036854775808");
  ASSERT_TRUE(min.is_integer());
  EXPECT_EQ(min.int_value(), std::numeric_limits<int64_t>::min());
}

TEST(JsonParseTest, IntegerBeyondInt64IsANumberButNotAnInteger) {
  const Value v = ParseOk("9223372036854775808");
  ASSERT_TRUE(v.is_number());
  EXPECT_FALSE(v.is_integer());
  EXPECT_EQ(v.double_value(), 9223372036854775808.0);
  EXPECT_EQ(v.number_text(), "9223372036854775808");
  EXPECT_FALSE(ParseOk("-9223372036854775809").is_integer());
}

TEST(JsonParseTest, IntegerBeyondTwoToThe53IsExact) {
  const Value v = ParseOk("9007199254740993");  // 2^53 + 1: no double holds it
  ASSERT_TRUE(v.is_integer());
  EXPECT_EQ(v.int_value(), 9007199254740993);
}

TEST(JsonParseTest, NegativeZeroIsIntegerZeroWithANegativeDouble) {
  const Value v = ParseOk("-0");
  ASSERT_TRUE(v.is_integer());
  EXPECT_EQ(v.int_value(), 0);
  EXPECT_TRUE(std::signbit(v.double_value()));
}

TEST(JsonParseTest, NumberBeyondTheRangeOfADoubleIsRejected) {
  EXPECT_EQ(ErrorOf("1e400"), "JSON at line 1, column 1 (byte 0): number \"1e400\" is beyond the range of a double");
  EXPECT_TRUE(Contains(ErrorOf("[-1.5e309]"), "column 2 (byte 1): number \"-1.5e309\" is beyond"));
  // A negative exponent does not make a long number small.
  EXPECT_TRUE(Contains(ErrorOf("1" + std::string(400, '0') + "e-50"), "beyond the range of a double"));
  EXPECT_EQ(ParseOk("1" + std::string(400, '0') + "e-100").double_value(), 1e300);
}

TEST(JsonParseTest, NumberBelowTheRangeOfADoubleReadsAsZero) {
  const Value tiny = ParseOk("1e-400");
  EXPECT_EQ(tiny.double_value(), 0.0);
  EXPECT_EQ(tiny.number_text(), "1e-400");
  EXPECT_TRUE(std::signbit(ParseOk("-1e-400").double_value()));
  EXPECT_EQ(ParseOk("0." + std::string(400, '0') + "1").double_value(), 0.0);
  EXPECT_EQ(ParseOk("5e-324").double_value(), std::numeric_limits<double>::denorm_min());
}

TEST(JsonParseTest, StringParses) {
  const Value v = ParseOk(R"("hello, world")");
  ASSERT_TRUE(v.is_string());
  EXPECT_EQ(v.string_value(), "hello, world");
}

TEST(JsonParseTest, ArrayKeepsItsElementsInOrder) {
  const Value v = ParseOk(R"([1, "two", null, [3]])");
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.items()[0].int_value(), 1);
  EXPECT_EQ(v.items()[1].string_value(), "two");
  EXPECT_TRUE(v.items()[2].is_null());
  EXPECT_EQ(v.items()[3].items()[0].int_value(), 3);
}

TEST(JsonParseTest, ObjectKeepsItsMembersInSourceOrder) {
  const Value v = ParseOk(R"({"b": 1, "a": 2, "c": 3})");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.members()[0].first, "b");
  EXPECT_EQ(v.members()[1].first, "a");
  EXPECT_EQ(v.members()[2].first, "c");
  EXPECT_EQ(v.members()[1].second.int_value(), 2);
}

TEST(JsonParseTest, FindReturnsTheMemberOrNull) {
  const Value v = ParseOk(R"({"a": 1, "b": {"c": true}})");
  ASSERT_NE(v.Find("b"), nullptr);
  EXPECT_TRUE(v.Find("b")->Find("c")->bool_value());
  EXPECT_EQ(v.Find("c"), nullptr);
  EXPECT_EQ(v.Find(""), nullptr);
}

TEST(JsonParseTest, EmptyContainersParse) {
  EXPECT_EQ(ParseOk("[]").size(), 0u);
  EXPECT_EQ(ParseOk("{}").size(), 0u);
  EXPECT_EQ(ParseOk("[ \n ]").size(), 0u);
  EXPECT_EQ(ParseOk("{ \t }").size(), 0u);
}

TEST(JsonParseTest, WhitespaceAroundTokensIsAllowed) {
  const Value v = ParseOk(" \t\r\n{ \"a\" :\r\n[ 1 ,\t2 ] }\n ");
  EXPECT_EQ(v.Find("a")->size(), 2u);
}

TEST(JsonParseTest, PrismaStyleRequestReads) {
  const Value v =
      ParseOk(R"({"findMany":"User","where":{"email":{"contains":"a"}},"include":{"posts":{"take":5}}})");
  EXPECT_EQ(v.Find("findMany")->string_value(), "User");
  EXPECT_EQ(v.Find("where")->Find("email")->Find("contains")->string_value(), "a");
  EXPECT_EQ(v.Find("include")->Find("posts")->Find("take")->int_value(), 5);
}

// ------------------------------------------------------------ strings

TEST(JsonStringTest, ShortEscapesDecode) {
  EXPECT_EQ(ParseOk(R"("\" \\ \/ \b \f \n \r \t")").string_value(), "\" \\ / \b \f \n \r \t");
}

TEST(JsonStringTest, UnicodeEscapeDecodesToUtf8) {
  EXPECT_EQ(ParseOk(R"("\u0041\u00e9\u20AC\uFFFF")").string_value(), "A\xC3\xA9\xE2\x82\xAC\xEF\xBF\xBF");
}

TEST(JsonStringTest, SurrogatePairDecodesToOneCharacter) {
  EXPECT_EQ(ParseOk(R"("\uD83D\uDE00")").string_value(), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(ParseOk(R"("\udbff\udfff")").string_value(), "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

TEST(JsonStringTest, UnpairedHighSurrogateIsRejected) {
  EXPECT_EQ(ErrorOf(R"("\uD800")"), "JSON at line 1, column 2 (byte 1): unpaired high surrogate \\uD800");
  EXPECT_TRUE(Contains(ErrorOf(R"("\ud83dx")"), "unpaired high surrogate \\ud83d"));
  EXPECT_TRUE(Contains(ErrorOf(R"("\uD800\u0041")"), "unpaired high surrogate"));
  EXPECT_TRUE(Contains(ErrorOf(R"("\uD800\uD800")"), "unpaired high surrogate"));
  EXPECT_TRUE(Contains(ErrorOf(R"("\uD800\n")"), "unpaired high surrogate"));
}

TEST(JsonStringTest, LoneLowSurrogateIsRejected) {
  EXPECT_EQ(ErrorOf(R"(["ok", "x\uDC00"])"), "JSON at line 1, column 10 (byte 9): unpaired low surrogate \\uDC00");
}

TEST(JsonStringTest, EscapedNulIsKept) {
  EXPECT_EQ(ParseOk(R"("a\u0000b")").string_value(), std::string("a\0b", 3));
}

TEST(JsonStringTest, InvalidEscapeIsRejected) {
  EXPECT_EQ(ErrorOf(R"("ab\x")"), "JSON at line 1, column 4 (byte 3): invalid escape: backslash followed by 'x'");
  EXPECT_TRUE(Contains(ErrorOf(R"("\U0041")"), "backslash followed by 'U'"));
  EXPECT_TRUE(Contains(ErrorOf(R"("\')"), "backslash followed by '''"));
  EXPECT_EQ(ErrorOf(R"("\u12G4")"), "JSON at line 1, column 2 (byte 1): expected 4 hex digits after \\u");
  EXPECT_TRUE(Contains(ErrorOf(R"("\u12")"), "expected 4 hex digits after \\u"));
  EXPECT_TRUE(Contains(ErrorOf("\"\\"), "unterminated escape"));
}

TEST(JsonStringTest, RawUtf8IsKept) {
  const std::string text = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(ParseOk("\"" + text + "\"").string_value(), text);
}

TEST(JsonStringTest, InvalidUtf8IsRejected) {
  const std::vector<std::string> bad = {
      "\x80",              // a continuation byte alone
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong
      "\xE0\x80\xAF",      // overlong, 3 bytes
      "\xF0\x80\x80\xAF",  // overlong, 4 bytes
      "\xED\xA0\x80",      // U+D800, a surrogate
      "\xED\xBF\xBF",      // U+DFFF
      "\xF4\x90\x80\x80",  // U+110000, beyond Unicode
      "\xF5\x80\x80\x80",  // no such lead byte
      "\xFF",
      "\xE2\x82",          // truncated by the closing quote
      "\xC3x",             // a lead byte without its continuation
  };
  for (const std::string& bytes : bad) {
    SCOPED_TRACE(::testing::PrintToString(bytes));
    EXPECT_TRUE(Contains(ErrorOf("\"" + bytes + "\""), "column 2 (byte 1): invalid UTF-8 in a string"));
  }
  EXPECT_EQ(ErrorOf("\"ab\xFF\""), "JSON at line 1, column 4 (byte 3): invalid UTF-8 in a string: byte 0xFF");
  EXPECT_TRUE(Contains(ErrorOf("\"\xC3"), "invalid UTF-8"));  // truncated by the end of input
}

TEST(JsonStringTest, NonAsciiOutsideStringsIsRejected) {
  // A byte order mark is not whitespace in strict JSON.
  EXPECT_EQ(ErrorOf("\xEF\xBB\xBF{}"),
            "JSON at line 1, column 1 (byte 0): expected a value, found '\xEF\xBB\xBF' (U+FEFF)");
  EXPECT_TRUE(Contains(ErrorOf("[\xFF]"), "expected a value, found byte 0xFF"));
}

TEST(JsonStringTest, UnescapedControlCharacterIsRejected) {
  EXPECT_EQ(ErrorOf("\"a\nb\""),
            "JSON at line 1, column 3 (byte 2): control character byte 0x0A in a string must be escaped");
  EXPECT_TRUE(Contains(ErrorOf("\"\t\""), "control character byte 0x09"));
  EXPECT_TRUE(Contains(ErrorOf(std::string("\"\0\"", 3)), "control character byte 0x00"));
  EXPECT_TRUE(Contains(ErrorOf("\"\x1F\""), "control character byte 0x1F"));
}

TEST(JsonStringTest, DeleteCharacterNeedNotBeEscaped) {
  EXPECT_EQ(ParseOk("\"\x7F\"").string_value(), "\x7F");
}

TEST(JsonStringTest, UnterminatedStringPointsAtItsOpeningQuote) {
  EXPECT_EQ(ErrorOf("[\"abc"), "JSON at line 1, column 2 (byte 1): unterminated string");
  EXPECT_TRUE(Contains(ErrorOf("{\"a"), "column 2 (byte 1): unterminated string"));
}

// ------------------------------------------------------------ syntax errors

TEST(JsonSyntaxTest, EmptyInputIsAnError) {
  EXPECT_EQ(ErrorOf(""), "JSON at line 1, column 1 (byte 0): expected a value, found end of input");
  EXPECT_EQ(ErrorOf(" \n "), "JSON at line 2, column 2 (byte 3): expected a value, found end of input");
}

TEST(JsonSyntaxTest, MissingColonNamesItsLineAndColumn) {
  const std::string text =
      "{\n"
      "  \"where\": {\n"
      "    \"email\" \"a\"\n"
      "  }\n"
      "}\n";
  EXPECT_EQ(ErrorOf(text), "JSON at line 3, column 13 (byte 27): expected ':' after object key, found '\"'");
}

TEST(JsonSyntaxTest, ColumnsCountCharactersNotBytes) {
  // "é" is 2 bytes and "€" 3, but each is one column.
  EXPECT_EQ(ErrorOf("[\"\xC3\xA9\xE2\x82\xAC\" x]"),
            "JSON at line 1, column 7 (byte 9): expected ',' or ']' after an array element, found 'x'");
}

TEST(JsonSyntaxTest, MissingCommaInArrayIsRejected) {
  EXPECT_EQ(ErrorOf("[1 2]"),
            "JSON at line 1, column 4 (byte 3): expected ',' or ']' after an array element, found '2'");
}

TEST(JsonSyntaxTest, MissingCommaInObjectIsRejected) {
  EXPECT_EQ(ErrorOf(R"({"a":1 "b":2})"),
            "JSON at line 1, column 8 (byte 7): expected ',' or '}' after an object member, found '\"'");
}

TEST(JsonSyntaxTest, TrailingCommaInArrayIsRejected) {
  EXPECT_EQ(ErrorOf("[1,2,]"), "JSON at line 1, column 5 (byte 4): trailing comma before ']'");
  EXPECT_TRUE(Contains(ErrorOf("[1,\n]"), "line 1, column 3 (byte 2): trailing comma before ']'"));
}

TEST(JsonSyntaxTest, TrailingCommaInObjectIsRejected) {
  EXPECT_EQ(ErrorOf(R"({"a":1,})"), "JSON at line 1, column 7 (byte 6): trailing comma before '}'");
}

TEST(JsonSyntaxTest, LeadingCommaIsRejected) {
  EXPECT_TRUE(Contains(ErrorOf("[,1]"), "column 2 (byte 1): expected a value, found ','"));
  EXPECT_TRUE(Contains(ErrorOf("{,}"), "column 2 (byte 1): expected a string key, found ','"));
}

TEST(JsonSyntaxTest, UnquotedOrSingleQuotedKeyIsRejected) {
  EXPECT_EQ(ErrorOf("{a:1}"), "JSON at line 1, column 2 (byte 1): expected a string key, found 'a'");
  EXPECT_TRUE(Contains(ErrorOf("{'a':1}"), "expected a string key, found '''"));
  EXPECT_TRUE(Contains(ErrorOf(R"({"a":1, 2:3})"), "column 9 (byte 8): expected a string key, found '2'"));
}

TEST(JsonSyntaxTest, SingleQuotedStringIsRejected) {
  EXPECT_EQ(ErrorOf("['a']"), "JSON at line 1, column 2 (byte 1): expected a value, found '''");
}

TEST(JsonSyntaxTest, CommentsAreRejected) {
  EXPECT_EQ(ErrorOf("[1] // one"), "JSON at line 1, column 5 (byte 4): unexpected '/' after the JSON value");
  EXPECT_TRUE(Contains(ErrorOf("/* x */ 1"), "expected a value, found '/'"));
  EXPECT_TRUE(Contains(ErrorOf("[1, # x\n 2]"), "expected a value, found '#'"));
}

TEST(JsonSyntaxTest, NaNAndInfinityAreRejected) {
  EXPECT_EQ(ErrorOf("NaN"), "JSON at line 1, column 1 (byte 0): expected a value, found 'N'");
  EXPECT_TRUE(Contains(ErrorOf("[Infinity]"), "column 2 (byte 1): expected a value, found 'I'"));
  EXPECT_EQ(ErrorOf("-Infinity"), "JSON at line 1, column 2 (byte 1): expected a digit after '-', found 'I'");
}

TEST(JsonSyntaxTest, LeadingZerosAreRejected) {
  EXPECT_EQ(ErrorOf("01"), "JSON at line 1, column 1 (byte 0): leading zeros are not allowed in numbers");
  EXPECT_TRUE(Contains(ErrorOf("-00"), "column 2 (byte 1): leading zeros"));
  EXPECT_TRUE(Contains(ErrorOf("[007]"), "column 2 (byte 1): leading zeros"));
  EXPECT_EQ(ParseOk("0").int_value(), 0);
  EXPECT_EQ(ParseOk("0.5").double_value(), 0.5);
  EXPECT_EQ(ParseOk("0e1").double_value(), 0.0);
}

TEST(JsonSyntaxTest, IncompleteNumbersAreRejected) {
  EXPECT_EQ(ErrorOf("-"), "JSON at line 1, column 2 (byte 1): expected a digit after '-', found end of input");
  EXPECT_EQ(ErrorOf("1."),
            "JSON at line 1, column 3 (byte 2): expected a digit after the decimal point, found end of input");
  EXPECT_TRUE(Contains(ErrorOf("1.e5"), "column 3 (byte 2): expected a digit after the decimal point, found 'e'"));
  EXPECT_EQ(ErrorOf("1e"), "JSON at line 1, column 3 (byte 2): expected a digit in the exponent, found end of input");
  EXPECT_TRUE(Contains(ErrorOf("1e+"), "expected a digit in the exponent"));
  EXPECT_TRUE(Contains(ErrorOf("[1E-x]"), "column 5 (byte 4): expected a digit in the exponent, found 'x'"));
}

TEST(JsonSyntaxTest, NumbersStartWithADigitOrMinus) {
  EXPECT_EQ(ErrorOf(".5"), "JSON at line 1, column 1 (byte 0): expected a value, found '.'");
  EXPECT_TRUE(Contains(ErrorOf("+1"), "expected a value, found '+'"));
}

TEST(JsonSyntaxTest, HexNumbersAreRejected) {
  EXPECT_EQ(ErrorOf("0x10"), "JSON at line 1, column 2 (byte 1): unexpected 'x' after the JSON value");
}

TEST(JsonSyntaxTest, MisspelledLiteralsAreRejected) {
  EXPECT_EQ(ErrorOf("tru"), "JSON at line 1, column 1 (byte 0): invalid literal (expected true, false or null)");
  EXPECT_TRUE(Contains(ErrorOf("[nul]"), "column 2 (byte 1): invalid literal"));
  EXPECT_TRUE(Contains(ErrorOf("fals"), "invalid literal"));
  EXPECT_TRUE(Contains(ErrorOf("True"), "expected a value, found 'T'"));
  EXPECT_TRUE(Contains(ErrorOf("None"), "expected a value, found 'N'"));
}

TEST(JsonSyntaxTest, LiteralFollowedByLettersIsRejected) {
  EXPECT_EQ(ErrorOf("truex"), "JSON at line 1, column 5 (byte 4): unexpected 'x' after the JSON value");
  EXPECT_TRUE(Contains(ErrorOf("[nullnull]"), "column 6 (byte 5): expected ',' or ']'"));
}

TEST(JsonSyntaxTest, ASecondTopLevelValueIsRejected) {
  EXPECT_EQ(ErrorOf("1 2"), "JSON at line 1, column 3 (byte 2): unexpected '2' after the JSON value");
  EXPECT_TRUE(Contains(ErrorOf("{}{}"), "column 3 (byte 2): unexpected '{' after the JSON value"));
  EXPECT_TRUE(Contains(ErrorOf("[]\n]"), "line 2, column 1 (byte 3): unexpected ']'"));
}

TEST(JsonSyntaxTest, UnclosedContainersAreRejectedAtTheEnd) {
  EXPECT_EQ(ErrorOf("[1,"), "JSON at line 1, column 4 (byte 3): expected a value, found end of input");
  EXPECT_TRUE(Contains(ErrorOf("[1"), "expected ',' or ']' after an array element, found end of input"));
  EXPECT_TRUE(Contains(ErrorOf("["), "expected a value, found end of input"));
  EXPECT_TRUE(Contains(ErrorOf(R"({"a":1)"), "expected ',' or '}' after an object member, found end of input"));
  EXPECT_TRUE(Contains(ErrorOf(R"({"a")"), "expected ':' after object key, found end of input"));
  EXPECT_TRUE(Contains(ErrorOf(R"({"a":)"), "expected a value, found end of input"));
  EXPECT_TRUE(Contains(ErrorOf("{"), "expected a string key, found end of input"));
}

TEST(JsonSyntaxTest, MismatchedBracketsAreRejected) {
  EXPECT_TRUE(Contains(ErrorOf("[1}"), "column 3 (byte 2): expected ',' or ']' after an array element, found '}'"));
  EXPECT_TRUE(Contains(ErrorOf(R"({"a":1])"), "expected ',' or '}' after an object member, found ']'"));
}

TEST(JsonSyntaxTest, OnlyJsonWhitespaceSeparatesTokens) {
  EXPECT_TRUE(Contains(ErrorOf("[1,\v2]"), "expected a value, found byte 0x0B"));
  EXPECT_TRUE(Contains(ErrorOf("\f1"), "expected a value, found byte 0x0C"));
  EXPECT_TRUE(Contains(ErrorOf("[1,\xC2\xA0" "2]"), "found '\xC2\xA0' (U+00A0)"));  // no-break space
}

// ------------------------------------------------------------ limits

std::string Nested(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

TEST(JsonLimitTest, NestingUpToMaxDepthIsAccepted) {
  const Value v = ParseOk(Nested(128));
  int depth = 0;
  for (const Value* p = &v; p->is_array(); p = &p->items()[0]) {
    ++depth;
    if (p->size() == 0) break;
  }
  EXPECT_EQ(depth, 128);
}

TEST(JsonLimitTest, NestingBeyondMaxDepthIsRejected) {
  EXPECT_EQ(ErrorOf(Nested(129)),
            "JSON at line 1, column 129 (byte 128): arrays and objects nest deeper than 128 levels");
}

TEST(JsonLimitTest, MaxDepthIsConfigurable) {
  ParseOptions options;
  options.max_depth = 2;
  ParseOk("[[1], {\"a\": 2}]", options);
  EXPECT_TRUE(Contains(ErrorOf("[[[1]]]", options), "column 3 (byte 2): arrays and objects nest deeper than 2"));
  EXPECT_TRUE(Contains(ErrorOf(R"({"a":{"b":{}}})", options), "nest deeper than 2 levels"));
  options.max_depth = 0;
  ParseOk("\"scalars need no depth\"", options);
  EXPECT_TRUE(Contains(ErrorOf("[]", options), "nest deeper than 0 levels"));
}

TEST(JsonLimitTest, VeryDeepInputFailsWithoutExhaustingTheStack) {
  EXPECT_TRUE(Contains(ErrorOf(std::string(1'000'000, '[')), "nest deeper than 128 levels"));
  EXPECT_TRUE(Contains(ErrorOf(std::string(1'000'000, '{')), "expected a string key, found '{'"));
}

TEST(JsonLimitTest, InputLargerThanMaxBytesIsRejected) {
  ParseOptions options;
  options.max_bytes = 4;
  EXPECT_EQ(ErrorOf("[1,2]", options), "JSON input of 5 bytes exceeds the limit of 4 bytes");
  EXPECT_EQ(ParseOk("[12]", options).size(), 1u);
}

TEST(JsonLimitTest, DuplicateKeyIsRejectedWhereItRepeats) {
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":2,"a":3})"), "JSON at line 1, column 14 (byte 13): duplicate key \"a\"");
}

TEST(JsonLimitTest, DuplicateKeyIsFoundThroughEscapes) {
  EXPECT_TRUE(Contains(ErrorOf(R"({"a":1,"\u0061":2})"), "column 8 (byte 7): duplicate key \"a\""));
}

TEST(JsonLimitTest, DuplicateKeyInALargeObjectIsRejectedAtItsFirstRepeat) {
  std::string text = "{";
  for (int i = 0; i < 1000; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const size_t first_repeat = text.size();
  text += "\"k900\":0,\"k5\":0,\"k900\":1}";
  const std::string expected = "(byte " + std::to_string(first_repeat) + "): duplicate key \"k900\"";
  EXPECT_TRUE(Contains(ErrorOf(text), expected)) << ErrorOf(text);
}

TEST(JsonLimitTest, LongDuplicateKeyIsCutInTheMessage) {
  const std::string key(1000, 'k');
  const std::string error = ErrorOf("{\"" + key + "\":1,\"" + key + "\":2}");
  EXPECT_TRUE(Contains(error, "duplicate key \"kkkk"));
  EXPECT_LT(error.size(), 200u);
}

TEST(JsonLimitTest, SameKeyInDifferentObjectsIsAllowed) {
  const Value v = ParseOk(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":3},{"a":4}]})");
  EXPECT_EQ(v.Find("b")->Find("a")->int_value(), 2);
}

TEST(JsonLimitTest, LargeObjectWithUniqueKeysParses) {
  std::string text = "{";
  for (int i = 0; i < 1000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  text += "}";
  const Value v = ParseOk(text);
  EXPECT_EQ(v.size(), 1000u);
  EXPECT_EQ(v.Find("k999")->int_value(), 999);
}

// ------------------------------------------------------------ Value

TEST(JsonValueTest, ConstructorsMakeEachKindAndTypeNamesIt) {
  EXPECT_EQ(Value::Null().TypeName(), "null");
  EXPECT_EQ(Value().TypeName(), "null");
  EXPECT_EQ(Value::Bool(true).TypeName(), "boolean");
  EXPECT_EQ(Value::Int(1).TypeName(), "number");
  EXPECT_EQ(Value::Double(1.5).TypeName(), "number");
  EXPECT_EQ(Value::String("s").TypeName(), "string");
  EXPECT_EQ(Value::Array().TypeName(), "array");
  EXPECT_EQ(Value::Object().TypeName(), "object");
  EXPECT_EQ(Value::String("s").string_value(), "s");
  EXPECT_TRUE(Value::Bool(true).bool_value());
}

TEST(JsonValueTest, IntKeepsTheFullRange) {
  const Value min = Value::Int(std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(min.is_integer());
  EXPECT_EQ(min.int_value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(min.number_text(), "-9223372036854775808");
  EXPECT_EQ(Value::Int(std::numeric_limits<int64_t>::max()).number_text(), "9223372036854775807");
}

TEST(JsonValueTest, DoubleIsWhatItsShortestTextReads) {
  EXPECT_EQ(Value::Double(0.1).number_text(), "0.1");
  EXPECT_FALSE(Value::Double(0.1).is_integer());
  // 3.0 is written "3", which reads as an integer.
  const Value three = Value::Double(3.0);
  EXPECT_EQ(three.number_text(), "3");
  EXPECT_TRUE(three.is_integer());
  EXPECT_EQ(three.int_value(), 3);
  EXPECT_EQ(Value::Double(1e300).double_value(), 1e300);
}

TEST(JsonValueTest, DoubleOfNonFiniteIsNull) {
  EXPECT_TRUE(Value::Double(std::numeric_limits<double>::quiet_NaN()).is_null());
  EXPECT_TRUE(Value::Double(std::numeric_limits<double>::infinity()).is_null());
  EXPECT_TRUE(Value::Double(-std::numeric_limits<double>::infinity()).is_null());
}

TEST(JsonValueTest, PushAppendsToAnArray) {
  Value a = Value::Array();
  a.Push(Value::Int(1));
  a.Push(Value::String("x"));
  EXPECT_EQ(a.ToString(), R"([1,"x"])");
}

TEST(JsonValueTest, SetReplacesAMemberInPlaceOrAppends) {
  Value o = Value::Object();
  o.Set("a", Value::Int(1));
  o.Set("b", Value::Int(2));
  o.Set("a", Value::Int(3));
  EXPECT_EQ(o.ToString(), R"({"a":3,"b":2})");
}

TEST(JsonValueTest, AddAppendsAMember) {
  Value o = Value::Object();
  o.Add("z", Value::Null());
  o.Add("a", Value::Bool(false));
  EXPECT_EQ(o.ToString(), R"({"z":null,"a":false})");
}

TEST(JsonValueTest, EqualityComparesIntegersExactly) {
  // Both read as the same double, 2^53.
  EXPECT_NE(ParseOk("9007199254740993"), ParseOk("9007199254740992"));
  EXPECT_EQ(ParseOk("9007199254740993"), Value::Int(9007199254740993));
}

TEST(JsonValueTest, EqualityComparesOtherNumbersAsDoubles) {
  EXPECT_EQ(Value::Int(1), ParseOk("1.0"));
  EXPECT_EQ(ParseOk("1e2"), Value::Int(100));
  EXPECT_EQ(ParseOk("0.10"), Value::Double(0.1));
  EXPECT_NE(ParseOk("0.1"), ParseOk("0.2"));
  EXPECT_EQ(ParseOk("-0"), ParseOk("0.0"));
}

TEST(JsonValueTest, EqualityIgnoresTheOrderOfMembers) {
  EXPECT_EQ(ParseOk(R"({"a":1,"b":[2],"c":3})"), ParseOk(R"({"c":3,"b":[2],"a":1})"));
  EXPECT_NE(ParseOk(R"({"a":1,"b":2})"), ParseOk(R"({"b":2,"a":3})"));
  EXPECT_NE(ParseOk(R"({"a":1,"b":2})"), ParseOk(R"({"a":1,"c":2})"));
  EXPECT_NE(ParseOk(R"({"a":1})"), ParseOk(R"({"a":1,"b":2})"));
}

TEST(JsonValueTest, EqualityKeepsTheOrderOfElementsAndTheKinds) {
  EXPECT_NE(ParseOk("[1,2]"), ParseOk("[2,1]"));
  EXPECT_NE(ParseOk("[1]"), ParseOk("[1,1]"));
  EXPECT_NE(Value::Int(1), Value::Bool(true));
  EXPECT_NE(Value::String("1"), Value::Int(1));
  EXPECT_NE(Value::Null(), Value::Bool(false));
  EXPECT_NE(Value::Array(), Value::Object());
  EXPECT_EQ(ParseOk(R"([{"a":[null,true,"s"]}])"), ParseOk(R"([{"a":[null,true,"s"]}])"));
}

TEST(JsonValueTest, ToStringIsCompactJson) {
  EXPECT_EQ(ParseOk(" { \"a\" : [ 1 , 2.50 , \"x\\ny\" ] , \"b\" : { } } ").ToString(),
            R"({"a":[1,2.50,"x\ny"],"b":{}})");
}

TEST(JsonValueTest, ToStringCutsOffAfterMaxBytes) {
  Value a = Value::Array();
  for (int i = 0; i < 1000; ++i) a.Push(Value::Int(i));
  EXPECT_EQ(a.ToString(10), "[0,1,2,3,4...");
  EXPECT_EQ(Value::Int(5).ToString(1), "5");
  EXPECT_EQ(ParseOk("[1,2]").ToString(5), "[1,2]");
  EXPECT_EQ(ParseOk("[1,2]").ToString(4), "[1,2...");
  EXPECT_EQ(ParseOk(R"({"key":[[1,2],[3]]})").ToString(12), R"({"key":[[1,2...)");
}

TEST(JsonValueTest, ToStringDoesNotCutACharacterInTwo) {
  // "é" is two bytes; a cut inside one moves back to before it.
  EXPECT_EQ(Value::String("\xC3\xA9\xC3\xA9\xC3\xA9").ToString(4), "\"\xC3\xA9...");
  EXPECT_EQ(Value::String("\xC3\xA9\xC3\xA9\xC3\xA9").ToString(3), "\"\xC3\xA9...");
}

// ------------------------------------------------------------ Writer

std::string Written(const std::function<void(Writer&)>& write) {
  std::string out;
  Writer w(&out);
  write(w);
  return out;
}

TEST(JsonWriterTest, SeparatesElementsAndMembers) {
  const std::string out = Written([](Writer& w) {
    w.BeginObject();
    w.Key("a");
    w.Int(1);
    w.Key("b");
    w.BeginArray();
    w.Bool(true);
    w.Null();
    w.String("x");
    w.BeginArray();
    w.EndArray();
    w.EndArray();
    w.Key("c");
    w.BeginObject();
    w.EndObject();
    w.EndObject();
  });
  EXPECT_EQ(out, R"({"a":1,"b":[true,null,"x",[]],"c":{}})");
}

TEST(JsonWriterTest, AppendsToWhatIsInTheString) {
  std::string out = "rows: ";
  Writer w(&out);
  w.BeginArray();
  w.Uint(1);
  w.EndArray();
  EXPECT_EQ(out, "rows: [1]");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Written([](Writer& w) { w.String(std::string("q\" b\\ s/ \b\f\n\r\t \x01\x1F\x7F \0", 20)); }),
            "\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001F\x7F \\u0000\"");
}

TEST(JsonWriterTest, KeysAreEscapedLikeStrings) {
  EXPECT_EQ(Written([](Writer& w) {
              w.BeginObject();
              w.Key("a\"b\n");
              w.Null();
              w.EndObject();
            }),
            R"({"a\"b\n":null})");
}

TEST(JsonWriterTest, KeepsValidUtf8AsIs) {
  const std::string text = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF";
  EXPECT_EQ(Written([&](Writer& w) { w.String(text); }), "\"" + text + "\"");
}

TEST(JsonWriterTest, ReplacesEachByteThatIsNotUtf8) {
  EXPECT_EQ(Written([](Writer& w) { w.String("a\xFF" "b"); }), "\"a\xEF\xBF\xBD" "b\"");
  // A surrogate encoded in UTF-8: three bytes, none of which begins a valid sequence.
  EXPECT_EQ(Written([](Writer& w) { w.String("\xED\xA0\x80"); }), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  const std::string truncated = Written([](Writer& w) { w.String("\xE2\x82"); });
  EXPECT_TRUE(ParseOk(truncated).is_string());
}

TEST(JsonWriterTest, IntAndUintCoverTheirRanges) {
  EXPECT_EQ(Written([](Writer& w) {
              w.BeginArray();
              w.Int(std::numeric_limits<int64_t>::min());
              w.Int(std::numeric_limits<int64_t>::max());
              w.Uint(std::numeric_limits<uint64_t>::max());
              w.Int(0);
              w.EndArray();
            }),
            "[-9223372036854775808,9223372036854775807,18446744073709551615,0]");
}

TEST(JsonWriterTest, DoubleUsesTheShortestText) {
  const auto text = [](double d) { return Written([d](Writer& w) { w.Double(d); }); };
  EXPECT_EQ(text(0.1), "0.1");
  EXPECT_EQ(text(3.0), "3");
  EXPECT_EQ(text(-0.0), "-0");
  EXPECT_EQ(text(1e21), "1e+21");
  EXPECT_EQ(text(1.5e-7), "1.5e-07");
  EXPECT_EQ(text(5e-324), "5e-324");
  EXPECT_EQ(text(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
}

TEST(JsonWriterTest, DoubleOfNonFiniteIsNull) {
  EXPECT_EQ(Written([](Writer& w) {
              w.BeginArray();
              w.Double(std::numeric_limits<double>::quiet_NaN());
              w.Double(std::numeric_limits<double>::infinity());
              w.Double(-std::numeric_limits<double>::infinity());
              w.EndArray();
            }),
            "[null,null,null]");
}

TEST(JsonWriterTest, DoubleReadsBackAsTheSameDouble) {
  constexpr uint32_t kSeed = 20240601;
  std::mt19937_64 rng(kSeed);
  std::vector<double> values = {0.0, -0.0, 0.1, 1.0 / 3, 1e-300, 5e-324, 2.2250738585072014e-308,
                                std::numeric_limits<double>::max(), 9007199254740993.0, 123456789.125};
  while (values.size() < 20000) {
    const uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (std::isfinite(d)) values.push_back(d);
  }
  for (double d : values) {
    const std::string text = Written([d](Writer& w) { w.Double(d); });
    const Result<Value> back = Parse(text);
    ASSERT_TRUE(back.ok()) << "seed " << kSeed << ": " << text << ": " << back.status().ToString();
    const double got = back->double_value();
    ASSERT_EQ(std::memcmp(&got, &d, sizeof(d)), 0) << "seed " << kSeed << ": " << text << " read back as " << got;
  }
}

TEST(JsonWriterTest, RawInsertsJsonText) {
  EXPECT_EQ(Written([](Writer& w) {
              w.BeginObject();
              w.Key("meta");
              w.Raw(R"({"x":[1]})");
              w.Key("n");
              w.Int(2);
              w.EndObject();
            }),
            R"({"meta":{"x":[1]},"n":2})");
}

TEST(JsonWriterTest, WriteKeepsTheNumberTextOfParsedValues) {
  EXPECT_EQ(Written([](Writer& w) { w.Write(ParseOk("[1.50, 1e2, -0, 12345678901234567890123]")); }),
            "[1.50,1e2,-0,12345678901234567890123]");
}

TEST(JsonWriterTest, NestsDeeperThanItsInlineFrames) {
  std::string text;
  // 120 levels: deeper than the Writer's 32 inline frames, within max_depth.
  for (int i = 0; i < 60; ++i) text += "[1,{\"a\":";
  text += "0";
  for (int i = 0; i < 60; ++i) text += "},2]";
  const Value v = ParseOk(text);
  EXPECT_EQ(Written([&](Writer& w) { w.Write(v); }), text);
}

TEST(JsonWriterTest, AppendQuotedAddsAStringLiteral) {
  std::string out = "x=";
  AppendQuoted(&out, "a \"b\"");
  EXPECT_EQ(out, R"(x="a \"b\"")");
}

// ------------------------------------------------------------ round trip

// Random values of every kind, nested up to `depth`, with strings that need
// every kind of escape.
class ValueGenerator {
 public:
  explicit ValueGenerator(uint32_t seed) : rng_(seed) {}

  Value Next(int depth) {
    switch (Uniform(0, depth > 0 ? 6 : 4)) {
      case 0: return Value::Null();
      case 1: return Value::Bool(Uniform(0, 1) == 1);
      case 2: return Value::Int(NextInt());
      case 3: return Value::Double(NextDouble());
      case 4: return Value::String(NextString());
      case 5: {
        Value a = Value::Array();
        for (int n = Uniform(0, 4); n > 0; --n) a.Push(Next(depth - 1));
        return a;
      }
      default: {
        Value o = Value::Object();
        for (int n = Uniform(0, 4); n > 0; --n) o.Set(NextString(), Next(depth - 1));
        return o;
      }
    }
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  int64_t NextInt() {
    const uint64_t bits = (static_cast<uint64_t>(rng_()) << 32) | rng_();
    return static_cast<int64_t>(bits >> Uniform(0, 63));  // every magnitude, both signs
  }

  double NextDouble() {
    switch (Uniform(0, 2)) {
      case 0: return static_cast<double>(Uniform(-1000, 1000)) / 8;
      case 1: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      default: {
        for (;;) {
          const uint64_t bits = (static_cast<uint64_t>(rng_()) << 32) | rng_();
          double d;
          std::memcpy(&d, &bits, sizeof(d));
          if (std::isfinite(d)) return d;
        }
      }
    }
  }

  std::string NextString() {
    static const std::vector<std::string> kPieces = {
        "a", "Z", " ", "0", "key", "\"", "\\", "/", "\n", "\t", "\x01", "\x1F", "\x7F", std::string(1, '\0'),
        "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xEF\xBF\xBF"};
    std::string s;
    const int last = static_cast<int>(kPieces.size()) - 1;
    for (int n = Uniform(0, 6); n > 0; --n) s += kPieces[static_cast<size_t>(Uniform(0, last))];
    return s;
  }

  std::mt19937 rng_;
};

TEST(JsonRoundTripTest, RandomValuesReadBackEqualFromTheirText) {
  constexpr uint32_t kBaseSeed = 0x5EED;
  for (uint32_t i = 0; i < 1000; ++i) {
    const uint32_t seed = kBaseSeed + i;
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Value v = ValueGenerator(seed).Next(4);
    const std::string text = v.ToString();
    std::string written;
    Writer(&written).Write(v);
    ASSERT_EQ(written, text);
    const Result<Value> back = Parse(text);
    ASSERT_TRUE(back.ok()) << text << "\n" << back.status().ToString();
    ASSERT_EQ(*back, v) << text;
    ASSERT_EQ(back->ToString(), text);
  }
}

}  // namespace
}  // namespace ormdb::json
