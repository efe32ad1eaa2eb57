#include "schema/lexer.h"

#include <cstdio>

namespace ormdb::schema {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsNewline(char c) { return c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string ByteName(char c) {
  if (c > 0x20 && c < 0x7F) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02X", static_cast<unsigned char>(c));
  return std::string("byte ") + buf;
}

std::optional<TokenKind> Punctuation(char c) {
  switch (c) {
    case '{': return TokenKind::kLBrace;
    case '}': return TokenKind::kRBrace;
    case '(': return TokenKind::kLParen;
    case ')': return TokenKind::kRParen;
    case '[': return TokenKind::kLBracket;
    case ']': return TokenKind::kRBracket;
    case ',': return TokenKind::kComma;
    case ':': return TokenKind::kColon;
    case '=': return TokenKind::kEquals;
    case '?': return TokenKind::kQuestion;
    case '.': return TokenKind::kDot;
    default: return std::nullopt;
  }
}

}  // namespace

Lexer::Lexer(std::string_view text) : text_(text) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a UTF-8 byte order mark
}

// Advances one byte; columns count code points, so continuation bytes don't.
void Lexer::Advance() {
  char c = text_[pos_++];
  if (c == '\n' || (c == '\r' && Peek() != '\n')) {
    ++loc_.line;
    loc_.column = 1;
  } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && c != '\r') {
    ++loc_.column;
  }
}

Token Lexer::Next() {
  if (last_) return *last_;
  for (;;) {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\f' || Peek() == '\v')) Advance();
    const SourceLocation start = loc_;
    if (AtEnd()) {
      last_ = Token{TokenKind::kEnd, "", start};
      return *last_;
    }
    const char c = Peek();
    Token t;
    if (IsNewline(c)) {
      if (c == '\r' && Peek(1) == '\n') Advance();
      Advance();
      t = Token{TokenKind::kNewline, "", start};
    } else if (c == '/') {
      if (Peek(1) == '/' && Peek(2) != '/') {  // a plain comment: skipped
        while (!AtEnd() && !IsNewline(Peek())) Advance();
        continue;
      }
      t = Comment(start);
    } else if (c == '"') {
      t = String(start);
    } else if (IsDigit(c) || (c == '-' && IsDigit(Peek(1)))) {
      t = Number(start);
    } else if (IsIdentStart(c)) {
      size_t begin = pos_;
      while (!AtEnd() && IsIdentChar(Peek())) Advance();
      t = Token{TokenKind::kIdentifier, std::string(text_.substr(begin, pos_ - begin)), start};
    } else if (c == '@') {
      Advance();
      const bool block = Peek() == '@';
      if (block) Advance();
      t = Token{block ? TokenKind::kAtAt : TokenKind::kAt, "", start};
    } else if (auto kind = Punctuation(c)) {
      Advance();
      t = Token{*kind, "", start};
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      t = Token{TokenKind::kError,
                "unexpected " + ByteName(c) + " (characters outside ASCII may appear only in strings and comments)",
                start};
    } else {
      t = Token{TokenKind::kError, "unexpected character " + ByteName(c), start};
    }
    if (t.kind == TokenKind::kError) last_ = t;
    return t;
  }
}

// A `///` doc comment (plain `//` comments never get here).
Token Lexer::Comment(SourceLocation start) {
  if (Peek(1) != '/') return Token{TokenKind::kError, "unexpected character '/' (comments start with //)", start};
  for (int i = 0; i < 3; ++i) Advance();
  size_t begin = pos_;
  while (!AtEnd() && !IsNewline(Peek())) Advance();
  return Token{TokenKind::kDocComment, std::string(text_.substr(begin, pos_ - begin)), start};
}

Token Lexer::Number(SourceLocation start) {
  size_t begin = pos_;
  if (Peek() == '-') Advance();
  while (IsDigit(Peek())) Advance();
  if (Peek() == '.' && IsDigit(Peek(1))) {
    Advance();
    while (IsDigit(Peek())) Advance();
  }
  if ((Peek() == 'e' || Peek() == 'E') &&
      (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
    Advance();
    if (Peek() == '+' || Peek() == '-') Advance();
    while (IsDigit(Peek())) Advance();
  }
  return Token{TokenKind::kNumber, std::string(text_.substr(begin, pos_ - begin)), start};
}

Token Lexer::String(SourceLocation start) {
  auto fail = [](SourceLocation loc, std::string what) { return Token{TokenKind::kError, std::move(what), loc}; };
  const std::string unterminated = "unterminated string (a string ends with '\"' on the same line)";
  Advance();  // the opening quote
  std::string value;
  for (;;) {
    if (AtEnd() || IsNewline(Peek())) return fail(start, unterminated);
    const char c = Peek();
    if (c == '"') {
      Advance();
      return Token{TokenKind::kString, std::move(value), start};
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return fail(loc_, "control character " + ByteName(c) + " in string (write it as an escape)");
    }
    if (c != '\\') {
      value.push_back(c);
      Advance();
      continue;
    }
    const SourceLocation escape = loc_;
    Advance();
    const char e = Peek();
    switch (e) {
      case '"': case '\\': case '/': case '\'': value.push_back(e); break;
      case 'n': value.push_back('\n'); break;
      case 'r': value.push_back('\r'); break;
      case 't': value.push_back('\t'); break;
      case '0': value.push_back('\0'); break;
      case 'u': {
        uint32_t cp = 0;
        for (size_t i = 1; i <= 4; ++i) {
          int h = HexValue(Peek(i));
          if (h < 0) return fail(escape, "invalid escape in string: \\u needs four hex digits");
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          return fail(escape, "invalid escape in string: \\u" + std::string(text_.substr(pos_ + 1, 4)) +
                                  " is a UTF-16 surrogate, not a character");
        }
        AppendUtf8(cp, &value);
        for (int i = 0; i < 4; ++i) Advance();
        break;
      }
      default:
        if (AtEnd() || IsNewline(e)) return fail(start, unterminated);
        return fail(escape, "invalid escape '\\" + Excerpt(std::string_view(&text_[pos_], 1)) +
                                "' in string (known: \\\" \\\\ \\n \\r \\t \\0 \\uXXXX)");
    }
    Advance();
  }
}

std::string Excerpt(std::string_view s) {
  constexpr size_t kMaxChars = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxChars; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(s[i]);
    }
  }
  if (s.size() > kMaxChars) out += "...";
  return out;
}

std::vector<Token> Tokenize(std::string_view text) {
  Lexer lexer(text);
  std::vector<Token> out;
  do {
    out.push_back(lexer.Next());
  } while (out.back().kind != TokenKind::kEnd && out.back().kind != TokenKind::kError);
  return out;
}

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case TokenKind::kIdentifier: return "'" + Excerpt(t.text) + "'";
    case TokenKind::kString: return "string \"" + Excerpt(t.text) + "\"";
    case TokenKind::kNumber: return "number " + Excerpt(t.text);
    case TokenKind::kLBrace: return "'{'";
    case TokenKind::kRBrace: return "'}'";
    case TokenKind::kLParen: return "'('";
    case TokenKind::kRParen: return "')'";
    case TokenKind::kLBracket: return "'['";
    case TokenKind::kRBracket: return "']'";
    case TokenKind::kComma: return "','";
    case TokenKind::kColon: return "':'";
    case TokenKind::kEquals: return "'='";
    case TokenKind::kQuestion: return "'?'";
    case TokenKind::kAt: return "'@'";
    case TokenKind::kAtAt: return "'@@'";
    case TokenKind::kDot: return "'.'";
    case TokenKind::kNewline: return "end of line";
    case TokenKind::kDocComment: return "doc comment";
    case TokenKind::kEnd: return "end of file";
    case TokenKind::kError: return t.text;
  }
  return "token";
}

}  // namespace ormdb::schema
