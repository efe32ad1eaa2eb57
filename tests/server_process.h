// The server tests' `ormdb serve`: net::ServerProcess on the binary of this
// build, with a known password.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "net/client.h"
#include "net/server_process.h"
#include "tests/test_util.h"

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

// A test with a server on a data directory of its own. Every test ends
// with a clean stop, and a server that a sanitizer reported on (in its log)
// fails the test that ran it.
class ServerFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_ == nullptr) return;
    if (server_->running()) {
      const int status = server_->Stop(SIGTERM);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status << "\n" << server_->Output();
    }
    EXPECT_EQ(server_->Output().find("Sanitizer"), std::string::npos) << server_->Output();
  }
  // The blog schema, two event loops, and `extra` options.
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--init-schema", BlogSchemaPath(), "--workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    Restart(std::move(args));
  }
  // A new server process on the same data directory (the last one stopped
  // or killed).
  void Restart(std::vector<std::string> args = {}) {
    server_ = std::make_unique<ServerProcess>(dir_.File("data"), std::move(args));
    ASSERT_OK(server_->Start());
  }
  std::unique_ptr<net::Client> Connect() {
    auto c = server_->Connect();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace ormdb::testing
