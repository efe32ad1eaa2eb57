#include "schema/parser.h"

#include <algorithm>
#include <deque>

#include "schema/lexer.h"

namespace ormdb::schema {
namespace {

std::string BlockKindName(ast::Block::Kind kind) {
  switch (kind) {
    case ast::Block::Kind::kModel: return "model";
    case ast::Block::Kind::kEnum: return "enum";
    case ast::Block::Kind::kDatasource: return "datasource";
    case ast::Block::Kind::kGenerator: return "generator";
  }
  return "block";
}

void AppendDoc(std::string* doc, const std::string& line) {
  if (!doc->empty()) doc->push_back('\n');
  *doc += line;
}

class Parser {
 public:
  Parser(std::string_view file, std::string_view text) : file_(file), lexer_(text) {}

  Result<ast::File> Parse() {
    ast::File out;
    out.name = std::string(file_);
    std::string doc;
    for (;;) {
      const Token& t = Peek();
      switch (t.kind) {
        case TokenKind::kEnd:
          return out;
        case TokenKind::kNewline:
          Take();
          break;
        case TokenKind::kDocComment:
          AppendDoc(&doc, Take().text);
          break;
        case TokenKind::kIdentifier: {
          ast::Block block;
          block.doc = std::move(doc);
          doc.clear();
          RETURN_IF_ERROR(ParseBlock(&block));
          out.blocks.push_back(std::move(block));
          break;
        }
        default:
          return Unexpected(t, "a block (model, enum, datasource or generator)");
      }
    }
  }

 private:
  // Inside parentheses and brackets, line ends and doc comments are layout.
  bool Skippable(const Token& t) const {
    return nesting_ > 0 && (t.kind == TokenKind::kNewline || t.kind == TokenKind::kDocComment);
  }
  static bool IsLast(const Token& t) { return t.kind == TokenKind::kEnd || t.kind == TokenKind::kError; }
  // The i-th buffered token, lexing more as needed; the last token repeats.
  const Token& At(size_t i) {
    while (buffer_.size() <= i && (buffer_.empty() || !IsLast(buffer_.back()))) buffer_.push_back(lexer_.Next());
    return buffer_[std::min(i, buffer_.size() - 1)];
  }
  // Buffer position of the token `ahead` significant tokens from here.
  size_t IndexAhead(size_t ahead) {
    size_t i = 0;
    for (;;) {
      while (!IsLast(At(i)) && Skippable(At(i))) ++i;
      if (ahead == 0 || IsLast(At(i))) return i;
      --ahead;
      ++i;
    }
  }
  const Token& Peek(size_t ahead = 0) { return At(IndexAhead(ahead)); }
  bool PeekIs(TokenKind kind, size_t ahead = 0) { return Peek(ahead).kind == kind; }
  // Consumes the next significant token. The last token (kEnd or kError) stays.
  Token Take() {
    const size_t i = IndexAhead(0);
    Token t = At(i);
    const size_t consumed = IsLast(t) ? i : i + 1;
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed));
    return t;
  }

  Status Error(SourceLocation loc, std::string_view what) const { return SchemaError(file_, loc, what); }
  Status Unexpected(const Token& t, std::string_view expected) const {
    if (t.kind == TokenKind::kError) return Error(t.loc, t.text);
    return Error(t.loc, "expected " + std::string(expected) + ", found " + DescribeToken(t));
  }
  Status Expect(TokenKind kind, std::string_view expected) {
    if (!PeekIs(kind)) return Unexpected(Peek(), expected);
    Take();
    return Status::OK();
  }

  Status ParseBlock(ast::Block* block) {
    const Token& keyword = Take();
    block->loc = keyword.loc;
    const std::string& k = keyword.text;
    if (k == "model") {
      block->kind = ast::Block::Kind::kModel;
    } else if (k == "enum") {
      block->kind = ast::Block::Kind::kEnum;
    } else if (k == "datasource") {
      block->kind = ast::Block::Kind::kDatasource;
    } else if (k == "generator") {
      block->kind = ast::Block::Kind::kGenerator;
    } else if (k == "type") {
      return SchemaUnsupported(file_, keyword.loc,
                               "composite types ('type' blocks) are not supported (Prisma has them only for "
                               "MongoDB); declare a model with a relation instead");
    } else if (k == "view") {
      return SchemaUnsupported(file_, keyword.loc, "views ('view' blocks) are not supported");
    } else {
      return Unexpected(keyword, "a block (model, enum, datasource or generator)");
    }
    const std::string kind = BlockKindName(block->kind);
    if (!PeekIs(TokenKind::kIdentifier)) return Unexpected(Peek(), "a name for the " + kind);
    block->name_loc = Peek().loc;
    block->name = Take().text;
    const std::string what = kind + " " + block->name;
    RETURN_IF_ERROR(Expect(TokenKind::kLBrace, "'{' to open " + what));
    switch (block->kind) {
      case ast::Block::Kind::kModel: return ParseModelBody(block, what);
      case ast::Block::Kind::kEnum: return ParseEnumBody(block, what);
      case ast::Block::Kind::kDatasource:
      case ast::Block::Kind::kGenerator: return ParseConfigBody(block, what);
    }
    return Status::OK();
  }

  // A model's lines: fields, @@ attributes, blank lines, doc comments.
  Status ParseModelBody(ast::Block* block, const std::string& what) {
    std::string doc;
    for (;;) {
      const Token& t = Peek();
      switch (t.kind) {
        case TokenKind::kRBrace:
          Take();
          return Status::OK();
        case TokenKind::kNewline:
          Take();
          break;
        case TokenKind::kDocComment:
          AppendDoc(&doc, Take().text);
          break;
        case TokenKind::kAtAt: {
          doc.clear();
          ASSIGN_OR_RETURN(ast::Attribute a, ParseAttribute());
          block->attributes.push_back(std::move(a));
          RETURN_IF_ERROR(ExpectLineEnd("after the block attribute @@" + block->attributes.back().name));
          break;
        }
        case TokenKind::kAt:
          return Error(t.loc, "a field attribute (@) must follow a field's type on the field's line");
        case TokenKind::kIdentifier: {
          ast::Field field;
          field.doc = std::move(doc);
          doc.clear();
          RETURN_IF_ERROR(ParseField(&field));
          block->fields.push_back(std::move(field));
          break;
        }
        case TokenKind::kEnd:
          return Unexpected(t, "'}' to close " + what);
        default:
          return Unexpected(t, "a field, a block attribute (@@) or '}' to close " + what);
      }
    }
  }

  // name Type[?|[]] @attribute... [/// doc]
  Status ParseField(ast::Field* field) {
    field->loc = Peek().loc;
    field->name = Take().text;
    const Token& type = Peek();
    if (type.kind != TokenKind::kIdentifier) return Unexpected(type, "a type for field " + field->name);
    field->type.loc = type.loc;
    field->type.name = Take().text;
    if (field->type.name == "Unsupported" && PeekIs(TokenKind::kLParen)) {
      return SchemaUnsupported(file_, field->type.loc,
                               "field type Unsupported(...) is not supported: ormDB stores only the types it "
                               "knows (field " + field->name + ")");
    }
    if (PeekIs(TokenKind::kQuestion)) {
      Take();
      field->type.optional = true;
      if (PeekIs(TokenKind::kLBracket)) {
        return Error(Peek().loc, "a field cannot be both optional and a list (field " + field->name + ")");
      }
    } else if (PeekIs(TokenKind::kLBracket)) {
      Take();
      RETURN_IF_ERROR(Expect(TokenKind::kRBracket, "']' after '[' in the type of field " + field->name));
      field->type.list = true;
      if (PeekIs(TokenKind::kQuestion)) {
        return Error(Peek().loc, "a list field cannot be optional (field " + field->name + ")");
      }
    }
    while (PeekIs(TokenKind::kAt)) {
      ASSIGN_OR_RETURN(ast::Attribute a, ParseAttribute());
      field->attributes.push_back(std::move(a));
    }
    if (PeekIs(TokenKind::kAtAt)) {
      return Error(Peek().loc, "a block attribute (@@) goes on its own line, not after field " + field->name);
    }
    if (PeekIs(TokenKind::kDocComment)) AppendDoc(&field->doc, Take().text);
    return ExpectLineEnd("after field " + field->name);
  }

  Status ParseEnumBody(ast::Block* block, const std::string& what) {
    std::string doc;
    for (;;) {
      const Token& t = Peek();
      switch (t.kind) {
        case TokenKind::kRBrace:
          Take();
          return Status::OK();
        case TokenKind::kNewline:
          Take();
          break;
        case TokenKind::kDocComment:
          AppendDoc(&doc, Take().text);
          break;
        case TokenKind::kAtAt: {
          doc.clear();
          ASSIGN_OR_RETURN(ast::Attribute a, ParseAttribute());
          block->attributes.push_back(std::move(a));
          RETURN_IF_ERROR(ExpectLineEnd("after the block attribute @@" + block->attributes.back().name));
          break;
        }
        case TokenKind::kIdentifier: {
          ast::EnumValue value;
          value.doc = std::move(doc);
          doc.clear();
          value.loc = t.loc;
          value.name = Take().text;
          while (PeekIs(TokenKind::kAt)) {
            ASSIGN_OR_RETURN(ast::Attribute a, ParseAttribute());
            value.attributes.push_back(std::move(a));
          }
          if (PeekIs(TokenKind::kDocComment)) AppendDoc(&value.doc, Take().text);
          RETURN_IF_ERROR(ExpectLineEnd("after enum value " + value.name));
          block->values.push_back(std::move(value));
          break;
        }
        case TokenKind::kEnd:
          return Unexpected(t, "'}' to close " + what);
        default:
          return Unexpected(t, "an enum value, a block attribute (@@) or '}' to close " + what);
      }
    }
  }

  // `key = value` lines of a datasource or generator.
  Status ParseConfigBody(ast::Block* block, const std::string& what) {
    for (;;) {
      const Token& t = Peek();
      switch (t.kind) {
        case TokenKind::kRBrace:
          Take();
          return Status::OK();
        case TokenKind::kNewline:
        case TokenKind::kDocComment:
          Take();
          break;
        case TokenKind::kIdentifier: {
          ast::ConfigEntry entry;
          entry.loc = t.loc;
          entry.key = Take().text;
          RETURN_IF_ERROR(Expect(TokenKind::kEquals, "'=' after " + entry.key));
          ASSIGN_OR_RETURN(entry.value, ParseExpression(1));
          RETURN_IF_ERROR(ExpectLineEnd("after the value of " + entry.key));
          block->entries.push_back(std::move(entry));
          break;
        }
        case TokenKind::kEnd:
          return Unexpected(t, "'}' to close " + what);
        default:
          return Unexpected(t, "a setting (key = value) or '}' to close " + what);
      }
    }
  }

  // A line ends at a newline or at the '}' closing its block (left for the caller).
  Status ExpectLineEnd(const std::string& where) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kNewline) {
      Take();
      return Status::OK();
    }
    if (t.kind == TokenKind::kRBrace) return Status::OK();
    return Unexpected(t, "end of line " + where);
  }

  // @name, @name(args), @ds.Type(args), and the same with @@.
  Result<ast::Attribute> ParseAttribute() {
    ast::Attribute a;
    a.loc = Peek().loc;
    a.block = Take().kind == TokenKind::kAtAt;
    const char* at = a.block ? "'@@'" : "'@'";
    if (!PeekIs(TokenKind::kIdentifier)) return Unexpected(Peek(), std::string("an attribute name after ") + at);
    a.name = Take().text;
    if (PeekIs(TokenKind::kDot)) {
      Take();
      if (!PeekIs(TokenKind::kIdentifier)) return Unexpected(Peek(), "a type name after '" + a.name + ".'");
      a.name += "." + Take().text;
    }
    if (PeekIs(TokenKind::kLParen)) RETURN_IF_ERROR(ParseArguments(&a.args, 1));
    return a;
  }

  // ( [name:] value, ... ) with an optional trailing comma.
  Status ParseArguments(std::vector<ast::Argument>* args, int depth) {
    const SourceLocation open = Peek().loc;
    Take();  // '('
    ++nesting_;
    while (!PeekIs(TokenKind::kRParen)) {
      ast::Argument arg;
      arg.loc = Peek().loc;
      if (PeekIs(TokenKind::kIdentifier) && PeekIs(TokenKind::kColon, 1)) {
        arg.name = Take().text;
        Take();  // ':'
      }
      ASSIGN_OR_RETURN(arg.value, ParseExpression(depth + 1));
      args->push_back(std::move(arg));
      if (PeekIs(TokenKind::kComma)) {
        Take();
      } else if (!PeekIs(TokenKind::kRParen)) {
        return Unexpected(Peek(), "',' or ')' to close the arguments opened at line " + std::to_string(open.line) +
                                      ", column " + std::to_string(open.column));
      }
    }
    Take();  // ')', before newlines stop being layout
    --nesting_;
    return Status::OK();
  }

  Result<ast::Expression> ParseExpression(int depth) {
    const Token& t = Peek();
    if (depth > kMaxExpressionDepth) {
      return Error(t.loc, "values nest deeper than " + std::to_string(kMaxExpressionDepth) + " levels");
    }
    ast::Expression e;
    e.loc = t.loc;
    switch (t.kind) {
      case TokenKind::kString:
        e.kind = ast::Expression::Kind::kString;
        e.text = Take().text;
        return e;
      case TokenKind::kNumber:
        e.kind = ast::Expression::Kind::kNumber;
        e.text = Take().text;
        return e;
      case TokenKind::kIdentifier:
        e.kind = ast::Expression::Kind::kIdentifier;
        e.text = Take().text;
        if (PeekIs(TokenKind::kLParen)) {
          e.kind = ast::Expression::Kind::kCall;
          RETURN_IF_ERROR(ParseArguments(&e.args, depth));
        }
        return e;
      case TokenKind::kLBracket: {
        e.kind = ast::Expression::Kind::kArray;
        Take();
        ++nesting_;
        while (!PeekIs(TokenKind::kRBracket)) {
          ASSIGN_OR_RETURN(ast::Expression item, ParseExpression(depth + 1));
          e.items.push_back(std::move(item));
          if (PeekIs(TokenKind::kComma)) {
            Take();
          } else if (!PeekIs(TokenKind::kRBracket)) {
            return Unexpected(Peek(), "',' or ']' in the list opened at line " + std::to_string(e.loc.line) +
                                          ", column " + std::to_string(e.loc.column));
          }
        }
        Take();  // ']'
        --nesting_;
        return e;
      }
      default:
        return Unexpected(t, "a value (a string, a number, a name, a function call or a [list])");
    }
  }

  std::string_view file_;
  Lexer lexer_;
  std::deque<Token> buffer_;  // lexed, not yet consumed
  int nesting_ = 0;           // open parentheses and brackets
};

}  // namespace

Result<ast::File> ParseSchemaText(std::string_view text, std::string_view file_name) {
  if (text.size() > kMaxSchemaBytes) {
    return Status::InvalidArgument(std::string(file_name) + ": schema file of " + std::to_string(text.size()) +
                                   " bytes exceeds the limit of " + std::to_string(kMaxSchemaBytes) + " bytes");
  }
  return Parser(file_name, text).Parse();
}

}  // namespace ormdb::schema
