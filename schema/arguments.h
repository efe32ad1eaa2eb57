// The arguments of one attribute, or of a call inside one such as
// `title(sort: Desc)`, taken by name. As in Prisma, only the first argument
// may be unnamed, and it stands for the attribute's main argument:
// @relation("x") is @relation(name: "x"), @@index([a]) is @@index(fields: [a]).
//
// The resolver takes every argument it understands and then calls Finish,
// which rejects whatever is left: an argument is never silently ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/ast.h"
#include "util/status.h"

namespace ormdb::schema {

class Arguments {
 public:
  // `what` names the attribute in messages ("@relation"); `main` is the name
  // an unnamed first argument stands for, empty when it takes none.
  static Result<Arguments> Of(std::string_view file, std::string what, const std::vector<ast::Argument>& args,
                              std::string_view main);

  // The argument called `name`, or nullptr; marks it as understood.
  const ast::Expression* Take(std::string_view name);

  // An error naming the first argument not taken.
  Status Finish() const;

  const std::string& what() const { return what_; }

 private:
  struct Entry {
    std::string name;
    const ast::Argument* arg;
    bool taken = false;
  };
  Arguments(std::string_view file, std::string what) : file_(file), what_(std::move(what)) {}

  std::string_view file_;
  std::string what_;
  std::vector<Entry> entries_;
};

}  // namespace ormdb::schema
