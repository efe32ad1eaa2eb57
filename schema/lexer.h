// Splits schema.prisma text into tokens. The language is line-oriented (a
// field or an attribute line ends at a newline), so newlines are tokens.
// `//` comments are dropped; `///` doc comments are tokens, so the parser can
// attach them to the declaration that follows.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/diagnostic.h"

namespace ormdb::schema {

// Inputs larger than this are refused before lexing: a schema of thousands of
// models is still under a megabyte, and the syntax tree and the resolved
// model together take up to ~70 times the text's size.
constexpr size_t kMaxSchemaBytes = 4u << 20;

enum class TokenKind : uint8_t {
  kIdentifier,  // [A-Za-z_][A-Za-z0-9_]*
  kString,      // "..." with escapes; text holds the unescaped bytes
  kNumber,      // -?digits(.digits)?([eE][+-]?digits)?; text as written
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kEquals,
  kQuestion,
  kAt,    // @
  kAtAt,  // @@
  kDot,
  kNewline,
  kDocComment,  // text: what follows `///` on its line
  kEnd,
  kError,  // text: what is wrong; always the last token
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  SourceLocation loc;
};

// Hands out tokens one at a time, so the parser stops reading at its first
// error and memory follows what was parsed, not the input's size.
//
// Never fails as such: a lexical error (an unterminated string, a stray
// character) becomes a kError token, so the parser reports it only when it
// gets there and errors come out in source order. After kEnd or kError,
// Next() returns that token again.
class Lexer {
 public:
  explicit Lexer(std::string_view text);
  Token Next();

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  void Advance();
  Token Comment(SourceLocation start);
  Token Number(SourceLocation start);
  Token String(SourceLocation start);

  std::string_view text_;
  size_t pos_ = 0;
  SourceLocation loc_{1, 1};
  std::optional<Token> last_;  // kEnd or kError, once reached
};

// All tokens, through the final kEnd or kError.
std::vector<Token> Tokenize(std::string_view text);

// "'id'", "string \"x\"", "'{'", "end of line": how an error message names
// what it found.
std::string DescribeToken(const Token& t);

// `s` for an error message: at most 40 characters, control bytes escaped.
std::string Excerpt(std::string_view s);

}  // namespace ormdb::schema
