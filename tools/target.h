// Where the shell, import and export send their requests: a server
// (--connect host:port, over net::Client) or a data directory opened in
// this process. Both answer the same requests with the same results.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/database.h"
#include "net/client.h"
#include "query/result.h"
#include "tools/commands.h"

namespace ormdb::tools {

struct ConnectArgs {
  std::string connect;  // host:port; empty: the data directory
  std::string user = "ormdb";
  std::string password;  // else ORMDB_PASSWORD
  void Register(CLI::App* cmd);
};

class Target {
 public:
  virtual ~Target() = default;
  // One request (JSON text) in a transaction of its own.
  virtual Result<query::QueryResult> Run(const std::string& request, bool explain) = 0;
  // Several requests in one transaction, all or nothing.
  virtual Status RunBatch(const std::vector<std::string>& requests) = 0;
  virtual Result<std::string> SchemaText() = 0;
  // `migrate plan` (apply false) or `migrate apply`: the printed plan, and
  // for apply the schema version it installed.
  virtual Result<std::string> Migrate(const std::string& file_name, const std::string& text, bool apply,
                                      bool allow_destructive) = 0;
  virtual std::string Describe() const = 0;

  static Result<std::unique_ptr<Target>> Open(const ConnectArgs& c, const Global& g);
};

}  // namespace ormdb::tools
