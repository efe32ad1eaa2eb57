// The server tests' `ormdb serve`: net::ServerProcess on the binary of this
// build, with a known password.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/client.h"
#include "net/server_process.h"

namespace ormdb::testing {

constexpr const char* kTestPassword = "test-password-1";

class ServerProcess : public net::ServerProcess {
 public:
  // `args` go after `ormdb --data DIR serve --port 0`.
  ServerProcess(std::string data_dir, std::vector<std::string> args)
      : net::ServerProcess({ORMDB_BINARY, std::move(data_dir), std::move(args), kTestPassword, "", false}) {}

  net::ClientOptions ClientOptions() const {
    net::ClientOptions o = Client();
    o.client_name = "server_test";
    o.io_timeout_ms = 120'000;  // a hung server fails the test instead of hanging it
    return o;
  }
  Result<std::unique_ptr<net::Client>> Connect() const { return net::Client::Connect(ClientOptions()); }
};

// The blog schema the server tests install.
inline std::string BlogSchemaPath() { return std::string(ORMDB_SOURCE_DIR) + "/tests/data/schemas/blog.prisma"; }

}  // namespace ormdb::testing
