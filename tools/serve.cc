// ormdb serve: the server on a data directory (net/server.h), with its
// first-start duties: the default local user, and with --init-schema /
// --init-data an example schema and rows loaded into an empty database.
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "engine/users.h"
#include "net/metrics_endpoint.h"
#include "net/server.h"
#include "tools/commands.h"

namespace ormdb::tools {
namespace {

struct ServeArgs {
  net::ServerOptions server;
  engine::ChangeOptions changes;
  int metrics_port = -1;
  std::string user = "ormdb";
  std::string init_schema, init_data;
};

// 1,000 connections need 1,000 descriptors: take what the hard limit allows.
void RaiseFileLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

// The first start of a database: a user to log in with. The password comes
// from ORMDB_PASSWORD when set (scripts, containers), else it is generated
// and printed this once.
Status EnsureUser(engine::Users& users, const std::string& name) {
  ASSIGN_OR_RETURN(bool empty, users.Empty());
  if (!empty) return Status::OK();
  const char* env = std::getenv("ORMDB_PASSWORD");
  const bool generated = env == nullptr || *env == '\0';
  const std::string password = generated ? engine::Users::GeneratePassword() : std::string(env);
  RETURN_IF_ERROR(users.Create(name, password));
  if (generated) {
    std::printf("created user %s with password %s\n(printed this once: keep it; `ormdb user passwd` sets another)\n",
                name.c_str(), password.c_str());
  } else {
    std::printf("created user %s with the password in ORMDB_PASSWORD\n", name.c_str());
  }
  return Status::OK();
}

// An empty database gets the example schema and rows (make run).
Status LoadExample(engine::Database& db, const ServeArgs& a) {
  if (a.init_schema.empty() || db.catalog()->version() != 0) return Status::OK();
  std::string text = ReadFileOrExit(a.init_schema, "schema file");
  ASSIGN_OR_RETURN(auto catalog, db.InstallSchema(a.init_schema, text));
  std::printf("installed schema %s (version %u)\n", a.init_schema.c_str(), catalog->version());
  if (a.init_data.empty()) return Status::OK();
  std::ifstream in(a.init_data);
  if (!in) return Status::FromErrno(errno, "reading " + a.init_data);
  std::vector<std::string> requests;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos && !line.starts_with("//")) requests.push_back(line);
  }
  RETURN_IF_ERROR(db.ExecuteBatch(requests).status().Annotate(a.init_data));
  std::printf("loaded %zu requests of example data from %s\n", requests.size(), a.init_data.c_str());
  return Status::OK();
}

int Serve(const Global& g, const ServeArgs& a) {
  // The signals are taken by sigwait below; every thread started from here
  // on inherits the mask, so none of them is interrupted by them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  RaiseFileLimit();

  engine::DatabaseOptions options;
  options.changes = a.changes;
  auto db = OpenOrExit(g.data_dir, options);
  engine::Users users(&db->store());
  if (Status st = EnsureUser(users, a.user); !st.ok()) return Fail(st);
  if (Status st = LoadExample(*db, a); !st.ok()) return Fail(st);

  net::Server server(db.get(), &users, a.server);
  if (Status st = server.Start(); !st.ok()) return Fail(st);
  net::MetricsEndpoint metrics([&] { return server.metrics().Render(*db, g.data_dir); });
  if (a.metrics_port >= 0) {
    if (Status st = metrics.Start(a.server.host, static_cast<uint16_t>(a.metrics_port)); !st.ok()) {
      server.Shutdown();
      return Fail(st);
    }
  }
  // The metrics line first: "listening on" is what scripts wait for.
  if (a.metrics_port >= 0) std::printf("metrics at http://%s:%u/metrics\n", a.server.host.c_str(), metrics.port());
  std::printf("ormDB %s listening on %s:%u (data in %s, pid %d)\n", ORMDB_VERSION, a.server.host.c_str(),
              server.port(), g.data_dir.c_str(), static_cast<int>(::getpid()));
  std::printf("connect: ormdb shell --connect %s:%u --user %s\n", a.server.host.c_str(), server.port(),
              a.user.c_str());

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("%s: finishing the requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.Shutdown();
  metrics.Stop();
  if (Status st = db->store().Checkpoint(); !st.ok()) return Fail(st.Annotate("the final checkpoint"));
  db.reset();
  std::printf("stopped cleanly\n");
  return 0;
}

}  // namespace

Runner AddServe(CLI::App& app, const Global& g) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "run the server on the data directory");
  net::ServerOptions& s = a->server;
  net::ServerLimits& l = s.limits;
  cmd->add_option("--host", s.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", s.port, "port to listen on (0: any free one)")->capture_default_str();
  cmd->add_option("--workers", s.workers, "event loops (0: one per core)")->capture_default_str();
  cmd->add_option("--max-executors", s.max_executors, "threads running requests, at most")->capture_default_str();
  cmd->add_option("--max-running-reads", s.max_running_reads,
                  "reads (Fetch, Explain) running on executors at once; more wait their turn (0: twice the cores)")
      ->capture_default_str();
  cmd->add_option("--metrics", a->metrics_port, "serve Prometheus metrics on this port");
  cmd->add_option("--user", a->user, "the user created at the first start")->capture_default_str();
  cmd->add_option("--max-frame-bytes", l.max_frame_bytes, "largest request frame")
      ->capture_default_str()
      ->check(CLI::Range(net::kHandshakeMaxPayloadBytes, UINT32_MAX));
  cmd->add_option("--max-connections", l.max_connections, "connections at once")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 24));
  cmd->add_option("--max-in-flight", l.max_in_flight, "requests queued per connection")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 20));
  cmd->add_option("--idle-timeout-ms", l.idle_timeout_ms, "close connections idle this long")->capture_default_str();
  cmd->add_option("--query-timeout-ms", l.query_timeout_ms, "time budget of a request (0: none)")
      ->capture_default_str();
  cmd->add_option("--max-rows-read", l.max_rows_read, "rows a request may read")->capture_default_str();
  cmd->add_option("--max-rows-returned", l.max_rows_returned, "rows a request may return")->capture_default_str();
  cmd->add_option("--max-pending-output-bytes", l.max_pending_output_bytes,
                  "unsent reply bytes per connection before the server stops reading it")
      ->capture_default_str();
  cmd->add_option("--max-subscriptions", l.max_subscriptions, "change stream subscriptions per connection")
      ->capture_default_str();
  cmd->add_option("--subscription-output-bytes", l.subscription_output_bytes,
                  "unsent change bytes per subscription before the server stops reading its events")
      ->capture_default_str();
  cmd->add_option("--subscription-batch-us", l.subscription_batch_us,
                  "a subscription's Changes frames go out at most this often while commits keep coming (0: one "
                  "per commit)")
      ->capture_default_str();
  cmd->add_option("--subscription-frames-per-second", l.subscription_frames_per_second,
                  "about how many Changes frames a second the server sends in all; with more streams, each "
                  "one's frames are spaced further apart than --subscription-batch-us (0: no bound)")
      ->capture_default_str();
  cmd->add_option("--loop-write-us", l.loop_write_us,
                  "a write runs on its event loop (no thread hand-off) when its connection's previous write ran "
                  "faster than this; slower ones go to the executor pool")
      ->capture_default_str();
  engine::ChangeOptions& ch = a->changes;
  cmd->add_option("--change-retention-bytes", ch.retain_bytes, "stored change history kept, at most")
      ->capture_default_str();
  cmd->add_option("--change-retention-seconds", ch.retain_seconds, "stored change history kept, at most this old")
      ->capture_default_str();
  cmd->add_option("--change-buffer-bytes", ch.buffer_bytes,
                  "recent changes held in memory; a subscriber further behind is told it lags")
      ->capture_default_str();
  cmd->add_flag("!--no-change-capture", ch.capture, "store no change events (subscribers see none)");
  cmd->add_flag("!--no-compression", s.compression, "never compress frames");
  cmd->add_option("--init-schema", a->init_schema, "install this schema into an empty database")
      ->check(CLI::ExistingFile);
  cmd->add_option("--init-data", a->init_data, "then run these requests (JSON, one per line), all or nothing")
      ->check(CLI::ExistingFile);
  return [cmd, &g, a]() -> int { return cmd->parsed() ? Serve(g, *a) : -1; };
}

}  // namespace ormdb::tools
