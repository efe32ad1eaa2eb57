// Where the shell, import and export send their requests: a server
// (--connect host:port, over net::Client) or a data directory opened in
// this process. Both answer the same requests with the same results.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  bool compress = false;  // offer zstd to the server
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
  // Follows a change stream (docs/change-streams.md): `spec` is the
  // subscription (JSON text); `page` gets each page of events
  // ({"token": N, "changes": [...]}) and returns false to stop. A server's
  // stream goes on until stopped or ended by the server (its error says
  // the token to resume after); a data directory has no other writer, so
  // its retained history is followed to the newest commit, then Watch
  // returns.
  // `started` gets the token the stream starts after, once subscribed.
  using PageFn = std::function<bool(std::string_view json, size_t count)>;
  virtual Status Watch(const std::string& spec, const std::function<void(uint64_t)>& started,
                       const PageFn& page) = 0;

  static Result<std::unique_ptr<Target>> Open(const ConnectArgs& c, const Global& g);
};

}  // namespace ormdb::tools
