// ormdb user: the users the server lets in (engine/users.h), managed on the
// data directory directly while the server is stopped.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "engine/users.h"
#include "tools/commands.h"

namespace ormdb::tools {
namespace {

struct UserArgs {
  std::string name;
  bool password_stdin = false;
};

// From standard input when asked (scripts), else generated and printed.
std::string NewPassword(const UserArgs& a, bool* generated) {
  *generated = !a.password_stdin;
  if (*generated) return engine::Users::GeneratePassword();
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace

Runner AddUser(CLI::App& app, const Global& g) {
  auto a = std::make_shared<UserArgs>();
  CLI::App* cmd = app.add_subcommand("user", "add, list, drop users or set a password (server stopped)");
  cmd->require_subcommand(1);
  CLI::App* add = cmd->add_subcommand("add", "create a user; prints a generated password");
  CLI::App* passwd = cmd->add_subcommand("passwd", "set a new password; prints it when generated");
  CLI::App* drop = cmd->add_subcommand("drop", "remove a user");
  CLI::App* list = cmd->add_subcommand("list", "list the users");
  for (CLI::App* c : {add, passwd, drop}) c->add_option("name", a->name, "user name")->required();
  for (CLI::App* c : {add, passwd}) {
    c->add_flag("--password-stdin", a->password_stdin, "read the password from standard input");
  }
  return [=, &g]() -> int {
    if (!cmd->parsed()) return -1;
    auto db = OpenOrExit(g.data_dir);
    engine::Users users(&db->store());
    if (list->parsed()) {
      auto all = users.List();
      if (!all.ok()) return Fail(all.status());
      for (const std::string& n : *all) std::printf("%s\n", n.c_str());
      return 0;
    }
    if (drop->parsed()) {
      Status st = users.Drop(a->name);
      if (!st.ok()) return Fail(st);
      std::printf("dropped user %s\n", a->name.c_str());
      return 0;
    }
    bool generated = false;
    const std::string password = NewPassword(*a, &generated);
    Status st = users.Create(a->name, password, passwd->parsed());
    if (!st.ok()) return Fail(st);
    std::printf("%s user %s", add->parsed() ? "created" : "changed the password of", a->name.c_str());
    if (generated) std::printf(": password %s", password.c_str());
    std::printf("\n");
    return 0;
  };
}

}  // namespace ormdb::tools
