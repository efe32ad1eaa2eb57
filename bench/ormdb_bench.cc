// ormdb-bench (issue 7): BENCH.md's whole workloads against an ormDB server
// (a process of its own, over the wire protocol), a private PostgreSQL 15
// cluster (libpq, the ORM strategies) and SQLite (embedded), on one
// generated dataset, in one run. It checks that every system and strategy
// returns the same entities, then runs every workload x client count x
// contender back to back, rotating the order per repetition, and prints per
// workload ops/s, latency percentiles, bytes on the wire and round trips per
// operation, ormDB's paired ratios against each peer's best strategy, and the
// goals. See bench/README.md.
//
//   ormdb_bench                 10,000 users, 3 repetitions, 5 s cells, 1/8/64 clients
//   ormdb_bench --quick         1,000 users, one repetition, short cells (make test runs it)
//   ormdb_bench --json > r.json --plot r.svg
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "bench/bench_stats.h"
#include "bench/commit_machine.h"
#include "bench/graph_dataset.h"
#include "bench/graph_sqlite.h"
#include "bench/ormdb_bench_cells.h"
#include "bench/ormdb_bench_meters.h"
#include "bench/ormdb_bench_pg.h"
#include "bench/ormdb_bench_report.h"
#include "bench/ormdb_bench_server.h"
#include "bench/ormdb_bench_streams.h"

namespace ormdb::bench::whole {
namespace {

using Clock = std::chrono::steady_clock;

// -------------------------------------------------------- cleanup on signal

// What the signal thread must stop if the run is interrupted.
std::mutex cleanup_mu;
OrmdbServer* g_server = nullptr;
PgCluster* g_cluster = nullptr;
std::string g_temp_dir;
// Set first by the signal thread: cells failing because the servers stop
// under them are not reported.
std::atomic<bool> g_stopping{false};

// SIGINT / SIGTERM / SIGHUP are blocked in every thread and taken by this
// one, which stops the server and the cluster and removes the temporary
// directory before exiting: no postgres is left running after Ctrl-C.
void StartSignalThread() {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([] {
    int sig = 0;
    sigwait(&set, &sig);
    g_stopping = true;
    std::fprintf(stderr, "\normdb-bench: %s, stopping the servers\n", strsignal(sig));
    std::lock_guard lock(cleanup_mu);
    if (g_server != nullptr) g_server->Stop();
    if (g_cluster != nullptr) g_cluster->Stop();
    if (!g_temp_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(g_temp_dir, ec);
    }
    ::_exit(128 + sig);
  }).detach();
}

// ----------------------------------------------------------------- progress

// A progress bar on stderr while stderr is a terminal; otherwise only the
// final line of each phase.
class ProgressLine {
 public:
  ProgressLine() : tty_(::isatty(2) != 0) {}
  void Update(std::string_view what, uint64_t done, uint64_t total) {
    if (!tty_) return;
    const auto now = Clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 30;
    const int filled = total == 0 ? width : static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r\033[K%-44.44s [%s%s] %3d%%", std::string(what).c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), total == 0 ? 100 : static_cast<int>(100 * done / total));
    std::fflush(stderr);
  }
  void Finish(const std::string& line) {
    std::fprintf(stderr, "%s%s\n", tty_ ? "\r\033[K" : "", line.c_str());
    std::fflush(stderr);
  }

 private:
  bool tty_;
  Clock::time_point last_{};
};

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Args {
  bool quick = false;
  double scale = 1;
  int reps = 3;
  double seconds = 5, warmup = 1;
  std::vector<int> clients = {1, 8, 64};
  std::vector<std::string> workloads;
  bool json = false;
  std::string plot;
  std::string ormdb_binary;
  std::vector<std::string> serve_args;
  std::string pg_bin = "/usr/lib/postgresql/15/bin";
  bool force = false;
  bool compression = false;
  int check_samples = 20;
  std::vector<int> stream_subscribers = {0, 10, 100};
  int stream_writers = 8;
  std::string stream_spec;
  size_t cold_roots = 2000;
};

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& x : args) out += (out.empty() ? "" : " ") + x;
  return out;
}

std::string DefaultOrmdbBinary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "ormdb";
  return (self.parent_path().parent_path() / "tools" / "ormdb").string();
}

int Fail(const Status& st) {
  std::fprintf(stderr, "ormdb-bench: %s\n", st.ToString().c_str());
  return 1;
}

// Every read workload's answers, on sampled parameters (and the edges), are
// the same entities in the same places with the same fields in every system
// and strategy; W4's entity count (its authors vary with the data) is
// learned here.
Status CheckAgreement(Env* env, ClientSessions* cs, const std::vector<Op>& ops, int samples, ProgressLine* progress) {
  graph::SplitMix64 rng{20260101};
  int done = 0;
  for (Op op : ops) {
    if (!IsRead(op)) continue;
    const Workload w = ReadWorkload(op);
    std::vector<int64_t> params =
        graph::DistinctRandomParams(w, env->params, static_cast<size_t>(samples), &rng);
    params.push_back(graph::RandomParam(w, env->params, &rng));
    const std::vector<Contender> contenders = ContendersOf(op);
    for (int64_t p : params) {
      graph::Fingerprint want;
      for (size_t i = 0; i < contenders.size(); ++i) {
        RETURN_IF_ERROR(cs->Open(env, contenders[i].system, false));
        Result<Graph> g = ReadAnswer(env, cs, contenders[i], op, p);
        if (!g.ok()) return g.status().Annotate("checking " + std::string(OpId(op)) + " on " + ContenderName(contenders[i], op));
        const graph::Fingerprint f = graph::FingerprintOf(*g, true);
        if (i == 0) {
          want = f;
          uint64_t& expected = env->expected_entities[static_cast<int>(op)];
          if (expected == 0) expected = f.entities;
          if (f.entities != expected) {
            return Status::Corruption(std::string(OpId(op)) + " parameter " + std::to_string(p) + ": ormDB returned " +
                                      std::to_string(f.entities) + " entities, the dataset fixes " +
                                      std::to_string(expected));
          }
        } else if (!(f == want)) {
          return Status::Corruption(std::string(OpId(op)) + " parameter " + std::to_string(p) + ": " +
                                    ContenderName(contenders[i], op) + " returned " + f.ToString() +
                                    ", ormDB returned " + want.ToString());
        }
      }
      progress->Update("checking answers agree", ++done, params.size() * 4);
    }
  }
  return Status::OK();
}

int Main(int argc, char** argv) {
  StartSignalThread();
  Args a;
  CLI::App app{"ormdb-bench: whole workloads (BENCH.md) against an ormDB server, PostgreSQL 15 and SQLite"};
  app.add_flag("--quick", a.quick, "1,000 users, one repetition, 0.4 s cells: checks the tool, numbers are a sketch");
  app.add_option("--scale", a.scale, "dataset size: 10,000 x scale users")->capture_default_str();
  app.add_option("--reps", a.reps, "repetitions")->capture_default_str();
  app.add_option("--seconds", a.seconds, "measured window per cell")->capture_default_str();
  app.add_option("--warmup", a.warmup, "unmeasured start of each cell, seconds")->capture_default_str();
  app.add_option("--clients", a.clients, "client counts (one connection each)")->delimiter(',');
  app.add_option("--workloads", a.workloads, "only these (W1,W2,...)")->delimiter(',');
  app.add_flag("--json", a.json, "print the results as JSON on stdout (the tables go to stderr)");
  app.add_option("--plot", a.plot, "write ormDB's ratios as SVG bars to this file");
  app.add_option("--ormdb", a.ormdb_binary, "the ormdb server binary (default: ../tools/ormdb next to this tool)");
  app.add_option("--serve-arg", a.serve_args, "pass this option to `ormdb serve` (repeatable), e.g. --serve-arg=--workers=4")
      ->allow_extra_args(false);
  app.add_option("--pg-bin", a.pg_bin, "PostgreSQL's bin directory (initdb, pg_ctl)")->capture_default_str();
  app.add_option("--check-samples", a.check_samples, "parameters per workload checked across systems")
      ->capture_default_str();
  app.add_option("--stream-subscribers", a.stream_subscribers, "change streams: subscriber counts (CS workload)")
      ->delimiter(',');
  app.add_option("--stream-writers", a.stream_writers, "change streams: writer clients")->capture_default_str();
  app.add_option("--stream-spec", a.stream_spec,
                 "change streams: every subscriber's subscription (default: every Comment change with its new values)");
  app.add_option("--cold-roots", a.cold_roots,
                 "cold cells (W1-W3): distinct roots each contender fetches once after its system restarted with "
                 "its files dropped from the OS cache; 0 skips them (--quick: 100)")
      ->capture_default_str();
  app.add_flag("--compression", a.compression, "ormDB's clients offer zstd (off by default, as in the client library)");
  app.add_flag("--force", a.force, "run even when the 1-minute load average is above 0.5");
  CLI11_PARSE(app, argc, argv);
  const bool explicit_clients = app.count("--clients") > 0;
  if (a.quick) {
    if (app.count("--reps") == 0) a.reps = 1;
    if (app.count("--seconds") == 0) a.seconds = 0.4;
    if (app.count("--warmup") == 0) a.warmup = 0.1;
    if (app.count("--check-samples") == 0) a.check_samples = 5;
    if (app.count("--cold-roots") == 0) a.cold_roots = 100;
    if (!explicit_clients) a.clients = {1, 8, 64};
  }
  if (a.ormdb_binary.empty()) a.ormdb_binary = DefaultOrmdbBinary();
  if (a.json) std::fflush(stdout);
  FILE* out = a.json ? stderr : stdout;

  std::vector<Op> ops;
  for (Op op : kAllOps) {
    bool want = a.workloads.empty();
    for (const std::string& w : a.workloads) want |= w == OpId(op);
    if (want) ops.push_back(op);
  }
  bool streams = a.workloads.empty();
  for (const std::string& w : a.workloads) streams |= w == "CS";
  const int max_clients = *std::max_element(a.clients.begin(), a.clients.end());

  const double load = LoadAverage();
  if (load > 0.5) {
    if (!a.force && !a.quick) {
      std::fprintf(stderr, "ormdb-bench: 1-minute load average %.2f > 0.5: the machine is busy (--force runs anyway)\n",
                   load);
      return 2;
    }
    std::fprintf(stderr, "ormdb-bench: warning: 1-minute load average %.2f > 0.5, numbers are disturbed\n", load);
  }

  ProgressLine progress;
  const graph::Progress report_progress = [&](std::string_view what, uint64_t done, uint64_t total) {
    progress.Update(what, done, total);
  };

  // The machine's floor: a loopback round trip.
  const double loopback = LoopbackRoundTripsPerSecond(a.quick ? 0.3 : 1.0);
  progress.Finish("loopback TCP ping-pong: " + Thousands(loopback) + " round trips/s (" +
                  Fixed(1e6 / loopback, 1) + " us)");

  auto t0 = Clock::now();
  const int32_t users = a.quick ? 1000 : static_cast<int32_t>(std::lround(graph::kUsersPerScale * a.scale));
  const graph::Dataset d = graph::GenerateDataset(users);
  progress.Finish("dataset: " + Thousands(users) + " users, " + Thousands(static_cast<double>(d.rows())) +
                  " rows, generated in " + Fixed(Since(t0), 1) + " s");

  TempDir temp("ormdb_bench");
  {
    std::lock_guard lock(cleanup_mu);
    g_temp_dir = temp.path();
  }

  // ormDB: a server process on its own data directory, loaded over the wire.
  OrmdbServer server(a.ormdb_binary, temp.path() + "/ormdb", a.serve_args);
  server.set_compression(a.compression);
  {
    std::lock_guard lock(cleanup_mu);
    g_server = &server;
  }
  if (Status st = server.Start(); !st.ok()) return Fail(st);
  t0 = Clock::now();
  {
    Result<std::unique_ptr<net::Client>> c = net::Client::Connect(server.ClientOptions());
    if (!c.ok()) return Fail(c.status().Annotate("connecting to the ormDB server"));
    if (Status st = LoadOrmdbOverWire(c->get(), d, 2000, [&](std::string_view what, uint64_t done, uint64_t total) {
          progress.Update("ormDB: loading " + std::string(what), done, total);
        });
        !st.ok()) {
      return Fail(st.Annotate("loading ormDB"));
    }
  }
  progress.Finish("ormDB: loaded over the protocol in " + Fixed(Since(t0), 1) + " s (createMany, 2,000 rows each)");

  // PostgreSQL: a private cluster, COPY.
  PgClusterOptions pg_options;
  pg_options.bin_dir = a.pg_bin;
  pg_options.shared_buffers_mib = a.quick ? 256 : std::clamp<int64_t>(std::llround(1024 * a.scale), 256, 8192);
  pg_options.max_connections = max_clients + 20;
  PgCluster cluster(pg_options);
  {
    std::lock_guard lock(cleanup_mu);
    g_cluster = &cluster;
  }
  t0 = Clock::now();
  progress.Update("PostgreSQL: initdb, start", 0, 1);
  if (Status st = cluster.Start(); !st.ok()) return Fail(st.Annotate("starting PostgreSQL"));
  if (Status st = LoadPostgres(cluster.ConnInfo(), d, [&](std::string_view what, uint64_t done, uint64_t total) {
        progress.Update("PostgreSQL: loading " + std::string(what), done, total);
      });
      !st.ok()) {
    return Fail(st.Annotate("loading PostgreSQL"));
  }
  progress.Finish("PostgreSQL " + cluster.Version() + ": cluster started and loaded in " + Fixed(Since(t0), 1) + " s");

  // SQLite: graph_bench's loader.
  t0 = Clock::now();
  const std::string sqlite_path = temp.path() + "/sqlite.db";
  if (Status st = graph::LoadSqlite(sqlite_path, d, 10'000, [&](std::string_view what, uint64_t done, uint64_t total) {
        progress.Update("SQLite: loading " + std::string(what), done, total);
      });
      !st.ok()) {
    return Fail(st.Annotate("loading SQLite"));
  }
  progress.Finish("SQLite: loaded in " + Fixed(Since(t0), 1) + " s");

  Env env;
  env.ormdb = server.ClientOptions();
  env.pg_conninfo = cluster.ConnInfo();
  env.sqlite_path = sqlite_path;
  // A cache of the whole file per connection, within 8 GiB over all clients.
  const int64_t sqlite_kib = static_cast<int64_t>(graph::DiskBytes(sqlite_path) / 1024 * 5 / 4) + 4096;
  env.sqlite_options.cache_kib = std::min<int64_t>(sqlite_kib, (int64_t{8} << 20) / max_clients);
  env.params.users = users;
  env.params.posts = static_cast<int64_t>(d.posts.size());
  env.expected_entities[0] = 1;
  env.expected_entities[1] = 1 + graph::kPostsPerUser + graph::kPostsPerUser * graph::kCommentsPerPost;
  env.expected_entities[2] = graph::kPageUsers * (1 + graph::kPagePosts + graph::kPagePosts * graph::kCommentsPerPost);
  env.next_comment_id = static_cast<int64_t>(d.comments.size()) + 1;
  env.next_post_id = static_cast<int64_t>(d.posts.size()) + 1;

  std::vector<ClientSessions> sessions(static_cast<size_t>(max_clients));

  // CPU and fdatasyncs per cell (BENCH.md, "Metrics"): the ormDB server's
  // process, PostgreSQL's postmaster with its backends, this process for
  // the clients (SQLite runs inside it). Syncs: ormDB's metrics endpoint,
  // pg_stat_wal, and a counting VFS under SQLite's writers.
  std::unique_ptr<PgSession> pg_stats;
  if (Result<std::unique_ptr<PgSession>> s = PgSession::Open(cluster.ConnInfo()); s.ok()) {
    pg_stats = std::move(s).value();
  } else {
    return Fail(s.status().Annotate("a connection for pg_stat_wal"));
  }
  pid_t postmaster = cluster.PostmasterPid();
  env.meter = [&](SystemId s, bool writes) {
    Meter m;
    switch (s) {
      case SystemId::kOrmdb:
        if (writes) {
          if (Result<uint64_t> v = server.WalSyncs(); v.ok()) m.syncs = static_cast<int64_t>(*v);
        }
        m.server_cpu_ns = ProcessCpuNs(server.pid());
        break;
      case SystemId::kPostgres:
        if (writes) {
          // The clients' backends publish their WAL counts now, not when
          // next idle for 10 s.
          bool flushed = true;
          for (ClientSessions& cs : sessions) {
            if (cs.pg != nullptr) flushed = flushed && cs.pg->FlushStats().ok();
          }
          Result<uint64_t> v = pg_stats->WalSyncs();
          if (flushed && v.ok()) m.syncs = static_cast<int64_t>(*v);
        }
        m.server_cpu_ns = ProcessTreeCpuNs(postmaster);
        break;
      case SystemId::kSqlite:
        if (writes) m.syncs = static_cast<int64_t>(SqliteSyncs());
        break;
    }
    m.client_cpu_ns = SelfCpuNs();
    return m;
  };

  // Untimed warm pass: every user's graph once through each system.
  t0 = Clock::now();
  for (const Contender& c : {Contender{SystemId::kOrmdb}, Contender{SystemId::kPostgres, Strategy::kIn},
                             Contender{SystemId::kSqlite, Strategy::kIn}}) {
    if (Status st = sessions[0].Open(&env, c.system, false); !st.ok()) return Fail(st);
    graph::SplitMix64 rng{1};
    for (int32_t u = 1; u <= users; ++u) {
      OpOutcome o;
      if (Status st = RunOp(&env, &sessions[0], c, Op::kW2, u, &rng, &o); !st.ok()) {
        return Fail(st.Annotate("warm pass, " + ContenderName(c, Op::kW2)));
      }
      progress.Update("warm pass: " + ContenderName(c, Op::kW2), static_cast<uint64_t>(u), static_cast<uint64_t>(users));
    }
  }
  progress.Finish("warm pass (every user's graph in each system) in " + Fixed(Since(t0), 1) + " s");

  if (Status st = CheckAgreement(&env, &sessions[0], ops, a.check_samples, &progress); !st.ok()) return Fail(st);
  progress.Finish("checked: every system and strategy returns the same entities, ids and fields");

  // Every repetition runs each workload x client count x contender once,
  // the contenders of a cell group in an order rotated per repetition.
  Runs runs;
  size_t total_cells = 0, done = 0;
  bool failed = false;
  // One repetition of a workload x client count: every contender once, in
  // an order rotated by the repetition and the group.
  auto run_group = [&](int rep, Op op, int clients, size_t group, const std::string& note) {
    const std::vector<Contender> cs = ContendersOf(op);
    for (size_t k = 0; k < cs.size(); ++k) {
      const size_t i = (k + static_cast<size_t>(rep) + group) % cs.size();
      progress.Update(note + std::string(OpId(op)) + " " + std::to_string(clients) + "c " + ContenderName(cs[i], op),
                      done, total_cells);
      CellResult r = RunCell(&env, sessions, cs[i], op, clients, a.warmup, a.seconds,
                             static_cast<uint64_t>(rep * 1000 + static_cast<int>(op) * 100 + clients));
      if (!r.status.ok()) {
        if (g_stopping) std::this_thread::sleep_for(std::chrono::hours(1));  // the signal thread exits
        failed = true;
        progress.Finish("FAILED " + std::string(OpId(op)) + " " + std::to_string(clients) + " clients " +
                        ContenderName(cs[i], op) + ": " + r.status.ToString());
      }
      runs.Put(rep, op, clients, i, std::move(r));
      ++done;
    }
  };
  // Every repetition of the given workloads, then the noisy groups again.
  // Reads go first, every repetition of them, then the writes: the writes
  // add rows that would change what the reads must return.
  auto run_phase = [&](const std::vector<Op>& phase) {
    if (phase.empty()) return;
    t0 = Clock::now();
    done = 0;
    total_cells = 0;
    for (Op op : phase) total_cells += ContendersOf(op).size() * a.clients.size() * static_cast<size_t>(a.reps);
    for (int rep = 0; rep < a.reps; ++rep) {
      size_t group = 0;
      for (Op op : phase) {
        for (int clients : a.clients) run_group(rep, op, clients, group++, "");
      }
    }
    progress.Finish("ran " + std::to_string(total_cells) + " cells in " + Fixed(Since(t0), 0) + " s");

    // BENCH.md: a cell whose ops/s spread over the repetitions exceeds 15%
    // is run again, once: its whole group (every contender, so the ratios
    // stay paired), every repetition. What is still noisy stays flagged.
    std::vector<std::pair<Op, int>> noisy;
    for (Op op : phase) {
      for (int clients : a.clients) {
        for (size_t i = 0; i < ContendersOf(op).size(); ++i) {
          std::vector<double> rates;
          for (int rep = 0; rep < a.reps; ++rep) {
            const CellResult* r = runs.Get(rep, op, clients, i);
            rates.push_back(r != nullptr && r->good() ? r->ops_per_s : NAN);
          }
          if (Spread(rates) > 0.15) {
            noisy.emplace_back(op, clients);
            break;
          }
        }
      }
    }
    if (!noisy.empty() && !failed) {
      t0 = Clock::now();
      done = 0;
      total_cells = 0;
      for (const auto& [op, clients] : noisy) total_cells += ContendersOf(op).size() * static_cast<size_t>(a.reps);
      for (int rep = 0; rep < a.reps; ++rep) {
        size_t group = 0;
        for (const auto& [op, clients] : noisy) run_group(rep, op, clients, group++, "rerun (spread > 15%): ");
      }
      progress.Finish("ran " + std::to_string(noisy.size()) + " groups again (a cell's spread was over 15%) in " +
                      Fixed(Since(t0), 0) + " s");
    }
  };
  std::vector<Op> reads, writes;
  for (Op op : ops) (IsRead(op) ? reads : writes).push_back(op);
  run_phase(reads);

  // Cold cells (BENCH.md): before each contender its system restarts with
  // its files dropped from the OS cache (ormDB reads with O_DIRECT, so its
  // own cache is all it has), then one client fetches distinct random roots
  // once each. W1-W3, one repetition.
  Runs cold;
  ReportContext cold_ctx;
  cold_ctx.clients = {1};
  for (Op op : ops) {
    if (op == Op::kW1 || op == Op::kW2 || op == Op::kW3) cold_ctx.ops.push_back(op);
  }
  if (a.cold_roots == 0) cold_ctx.ops.clear();
  auto make_cold = [&](SystemId s) -> Status {
    switch (s) {
      case SystemId::kOrmdb:
        for (ClientSessions& cs : sessions) cs.ormdb.reset();
        server.Stop();
        graph::DropFromPageCache(temp.path() + "/ormdb");
        RETURN_IF_ERROR(server.Start());
        env.ormdb = server.ClientOptions();
        return Status::OK();
      case SystemId::kPostgres: {
        for (ClientSessions& cs : sessions) cs.pg.reset();
        pg_stats.reset();
        RETURN_IF_ERROR(cluster.Restart([&] { graph::DropFromPageCache(cluster.dir() + "/data"); }));
        postmaster = cluster.PostmasterPid();
        ASSIGN_OR_RETURN(pg_stats, PgSession::Open(cluster.ConnInfo()));
        return Status::OK();
      }
      case SystemId::kSqlite:
        for (ClientSessions& cs : sessions) {
          cs.sqlite.reset();
          cs.sqlite_writer.reset();
        }
        for (const char* suffix : {"", "-wal", "-shm"}) graph::DropFromPageCache(sqlite_path + suffix);
        return Status::OK();
    }
    return Status::OK();
  };
  if (!cold_ctx.ops.empty() && !failed) {
    size_t cells = 0, n = 0;
    for (Op op : cold_ctx.ops) cells += ContendersOf(op).size();
    t0 = Clock::now();
    for (Op op : cold_ctx.ops) {
      graph::SplitMix64 rng{static_cast<uint64_t>(op) * 7919 + 13};
      const std::vector<int64_t> params =
          graph::DistinctRandomParams(ReadWorkload(op), env.params, a.cold_roots, &rng);
      const std::vector<Contender> cs = ContendersOf(op);
      for (size_t i = 0; i < cs.size(); ++i) {
        progress.Update("cold: " + std::string(OpId(op)) + " " + ContenderName(cs[i], op), n++, cells);
        CellResult r;
        if (Status st = make_cold(cs[i].system); !st.ok()) {
          r.ran = true;
          r.status = st.Annotate("restarting " + std::string(SystemName(cs[i].system)) + " cold");
        } else {
          r = RunColdCell(&env, &sessions[0], cs[i], op, params);
        }
        if (!r.status.ok()) {
          failed = true;
          progress.Finish("FAILED cold " + std::string(OpId(op)) + " " + ContenderName(cs[i], op) + ": " +
                          r.status.ToString());
        }
        cold.Put(0, op, 1, i, std::move(r));
      }
    }
    progress.Finish("ran " + std::to_string(cells) + " cold cells (" + std::to_string(a.cold_roots) +
                    " roots each) in " + Fixed(Since(t0), 0) + " s");
  }

  if (!failed) run_phase(writes);

  // Change streams (CS): ormDB alone, commit rate with subscribers attached.
  StreamOptions stream_options;
  stream_options.subscribers = a.stream_subscribers;
  stream_options.writers = a.stream_writers;
  if (!a.stream_spec.empty()) stream_options.spec = a.stream_spec;
  stream_options.warmup = a.warmup;
  stream_options.seconds = a.seconds;
  stream_options.reps = a.reps;
  std::vector<std::vector<StreamCell>> stream_runs;
  if (streams && !stream_options.subscribers.empty()) {
    t0 = Clock::now();
    stream_runs = RunStreamCells(&env, stream_options, [&](std::string_view what, uint64_t done, uint64_t total) {
      progress.Update(what, done, total);
    });
    for (const auto& rep : stream_runs) {
      for (const StreamCell& c : rep) failed |= !c.status.ok();
    }
    progress.Finish("ran the change-stream cells in " + Fixed(Since(t0), 0) + " s");
  }

  // Close every connection before the servers stop.
  sessions.clear();

  ReportContext ctx;
  ctx.reps = a.reps;
  ctx.ops = ops;
  ctx.clients = a.clients;
  ctx.loopback_rt_per_s = loopback;
  utsname un{};
  ::uname(&un);
  ctx.fingerprint = {
      "cpu: " + ReadFieldLine("/proc/cpuinfo", "model name"),
      "cores: " + std::to_string(std::thread::hardware_concurrency()),
      std::string("kernel: ") + un.release,
      "file system: " + FileSystemName(temp.path()),
      "load average at start: " + Fixed(load, 2),
      "fdatasync probe: " + Fixed(FdatasyncProbe(temp.path(), false, a.quick ? 20 : 200), 0) + " us",
      "loopback round trip: " + Fixed(1e6 / loopback, 1) + " us",
      "dataset: " + std::to_string(users) + " users, " + std::to_string(d.rows()) + " rows, seed 42",
      "cells: " + std::to_string(a.reps) + " repetitions, " + Fixed(a.seconds, 1) + " s after " + Fixed(a.warmup, 1) +
          " s warm-up, closed loop, one connection per client",
      "ormDB: `ormdb serve` (" + a.ormdb_binary + ") over loopback TCP, " +
          (a.serve_args.empty() ? std::string("default options") : "options " + JoinArgs(a.serve_args)) +
          " (log sync on: durable commits), JSON requests, " + (a.compression ? "zstd offered" : "no compression"),
      cluster.Describe(),
      graph::DescribeSqlite(env.sqlite_options),
  };
  cold_ctx.loopback_rt_per_s = loopback;
  auto print_tables = [&] {
    PrintTables(runs, ctx);
    if (!cold_ctx.ops.empty()) {
      std::printf("\nCold: before each contender its system restarted with its files dropped from the OS cache; "
                  "then one client fetched %zu distinct random roots once each\n",
                  a.cold_roots);
      PrintTables(cold, cold_ctx);
    }
    PrintGoals(runs, ctx);
    if (!stream_runs.empty()) PrintStreams(stdout, stream_options, stream_runs);
  };
  std::fprintf(out, "ormdb-bench%s\n", a.quick ? " --quick (a sketch: small dataset, short cells, one repetition)" : "");
  for (const std::string& f : ctx.fingerprint) std::fprintf(out, "  %s\n", f.c_str());
  if (a.json) {
    // Tables for people on stderr, JSON on stdout.
    std::fflush(stdout);
    int saved = ::dup(1);
    ::dup2(2, 1);
    print_tables();
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
    std::fputs(ToJson(runs, ctx, cold_ctx.ops.empty() ? nullptr : &cold, &cold_ctx).c_str(), stdout);
  } else {
    print_tables();
  }
  if (!a.plot.empty()) {
    std::ofstream svg(a.plot);
    svg << ToSvg(runs, ctx);
    if (!svg) return Fail(Status::IOError("writing " + a.plot));
  }

  {
    std::lock_guard lock(cleanup_mu);
    g_server = nullptr;
    g_cluster = nullptr;
  }
  server.Stop();
  cluster.Stop();
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace ormdb::bench::whole

int main(int argc, char** argv) { return ormdb::bench::whole::Main(argc, argv); }
