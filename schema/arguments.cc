#include "schema/arguments.h"

namespace ormdb::schema {

Result<Arguments> Arguments::Of(std::string_view file, std::string what, const std::vector<ast::Argument>& args,
                                std::string_view main) {
  Arguments out(file, std::move(what));
  for (size_t i = 0; i < args.size(); ++i) {
    const ast::Argument& a = args[i];
    std::string name = a.name;
    if (name.empty()) {
      if (main.empty()) return SchemaError(file, a.loc, out.what_ + " takes no unnamed argument");
      if (i > 0) {
        return SchemaError(file, a.loc,
                           "only the first argument of " + out.what_ + " may be unnamed; write " + std::string(main) +
                               ": ... or move it first");
      }
      name = std::string(main);
    }
    for (const Entry& e : out.entries_) {
      if (e.name == name) {
        return SchemaError(file, a.loc, "argument '" + name + "' given twice to " + out.what_);
      }
    }
    out.entries_.push_back(Entry{std::move(name), &a});
  }
  return out;
}

const ast::Expression* Arguments::Take(std::string_view name) {
  for (Entry& e : entries_) {
    if (e.name == name) {
      e.taken = true;
      return &e.arg->value;
    }
  }
  return nullptr;
}

Status Arguments::Finish() const {
  for (const Entry& e : entries_) {
    if (!e.taken) return SchemaError(file_, e.arg->loc, "unknown argument '" + e.name + "' for " + what_);
  }
  return Status::OK();
}

}  // namespace ormdb::schema
