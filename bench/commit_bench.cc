// commit_bench: durable commit throughput and latency of ormDB's transactional
// store against SQLite (WAL, synchronous=FULL) and LMDB (sync on), in one run
// on one machine, plus ormDB's recovery time per GiB of log.
//
// Each cell (engine x clients) opens a fresh database and runs a closed loop:
// every client thread commits one transaction after another, each writing one
// new 16-byte key with a 100-byte value (commit_engines.h), durable when
// Commit returns. After a warm-up, the commits that complete inside a fixed
// window give commits/s; every commit that overlaps the window gives a
// latency (begin to durable commit: p50, p99, max), so a client left waiting
// through the window still shows; for ormDB the log's fdatasyncs per commit
// over the window. At the end of a cell the engine must hold exactly the
// keys committed.
//
// Method (BENCH.md, for a noisy 2-core machine): --reps repetitions; in each,
// every client count runs every engine back to back, the engine order
// rotating from one repetition to the next. Per cell the summary gives the
// median of the repetitions and their spread ((max - min) / median, flagged
// above 15%); each ratio is the median of the per-repetition paired ratios,
// never a ratio of medians. A 4 KiB write + fdatasync probe on the same file
// system, taken first, gives the machine's one-flush-per-commit cap.
//
// Recovery (commit_recovery.h): --wal-mb MiB of one-put commit records
// (default 64, the most a crash leaves behind with the default checkpoint
// settings) past the data file's checkpoint, dropped from the OS cache;
// Store::Open, which replays them and checkpoints, is timed.
//
//   commit_bench [--seconds S] [--warmup S] [--clients 1,4,16,64] [--reps R]
//                [--wal-mb N] [--engines ormdb,sqlite,lmdb] [--smoke]
//   --engines: run only these (a diagnostic: ratios need all three)
//   --wal-mb 0: skip the recovery measurement
//   --smoke: 0.3 s windows, one repetition, clients 1 and 4, 8 MiB of log;
//            checks that everything runs, not a result
// Exits non-zero when any engine reports an error or a check fails.
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/commit_engines.h"
#include "bench/commit_machine.h"
#include "bench/commit_recovery.h"

namespace ormdb::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kSpreadFlag = 0.15;
constexpr double kGoalSqliteRatio = 3.0;  // at 16 committers
constexpr int kGoalClients = 16;

struct Flags {
  double seconds = 3.0;
  double warmup = 0.5;
  std::vector<int> clients = {1, 4, 16, 64};
  int reps = 3;
  uint64_t wal_mb = 64;  // about the most log a crash leaves with default checkpoints; 0: skip
  bool smoke = false;
  bool engines[kEngineKinds] = {true, true, true};  // ormDB, SQLite, LMDB
};

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    size_t comma = s.find(',', pos);
    out.push_back(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) return out;
    pos = comma + 1;
  }
}

bool ParseClients(const std::string& s, std::vector<int>* out) {
  out->clear();
  for (const std::string& item : SplitCommas(s)) {
    int n = std::atoi(item.c_str());
    if (n < 1 || n > 1024) return false;
    out->push_back(n);
  }
  return true;
}

bool ParseEngines(const std::string& s, bool* engines) {
  std::fill(engines, engines + kEngineKinds, false);
  for (std::string name : SplitCommas(s)) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    int e = name == "ormdb" ? 0 : name == "sqlite" ? 1 : name == "lmdb" ? 2 : -1;
    if (e < 0) return false;
    engines[e] = true;
  }
  return true;
}

bool ParseFlags(int argc, char** argv, Flags* flags) {
  bool seconds_set = false, clients_set = false, reps_set = false, wal_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string v;
    auto value = [&](const std::string& name) {
      if (arg == name && i + 1 < argc) {
        v = argv[++i];
        return true;
      }
      if (arg.rfind(name + "=", 0) == 0) {
        v = arg.substr(name.size() + 1);
        return true;
      }
      return false;
    };
    if (arg == "--smoke") {
      flags->smoke = true;
    } else if (value("--seconds")) {
      flags->seconds = std::atof(v.c_str());
      if (!(flags->seconds > 0)) return false;
      seconds_set = true;
    } else if (value("--warmup")) {
      flags->warmup = std::atof(v.c_str());
      if (!(flags->warmup >= 0)) return false;
    } else if (value("--clients")) {
      if (!ParseClients(v, &flags->clients)) return false;
      clients_set = true;
    } else if (value("--reps")) {
      flags->reps = std::atoi(v.c_str());
      if (flags->reps < 1) return false;
      reps_set = true;
    } else if (value("--engines")) {
      if (!ParseEngines(v, flags->engines)) return false;
    } else if (value("--wal-mb")) {
      flags->wal_mb = std::strtoull(v.c_str(), nullptr, 10);
      wal_set = true;
    } else {
      return false;
    }
  }
  if (flags->smoke) {
    if (!seconds_set) flags->seconds = 0.3;
    flags->warmup = std::min(flags->warmup, 0.1);
    if (!clients_set) flags->clients = {1, 4};
    if (!reps_set) flags->reps = 1;
    if (!wal_set) flags->wal_mb = 8;
  }
  return true;
}

// -------------------------------------------------------------------- cells

struct CellRun {
  bool ran = false;  // false: the engine was not selected
  Status status;
  bool good() const { return ran && status.ok(); }
  double commits_per_s = 0;
  double p50_us = 0, p99_us = 0, max_us = 0;
  double syncs_per_commit = NAN;  // ormDB only
  uint64_t counted = 0;           // commits inside the window
};

double Percentile(const std::vector<uint64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return NAN;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_ns.size())));
  return static_cast<double>(sorted_ns[std::max<size_t>(rank, 1) - 1]) / 1e3;
}

CellRun RunCell(EngineKind kind, int clients, const Flags& flags, const std::string& dir) {
  CellRun out;
  out.ran = true;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    out.status = Status::IOError("creating " + dir + ": " + ec.message());
    return out;
  }
  {
    Result<std::unique_ptr<CommitEngine>> opened = OpenCommitEngine(kind, dir);
    if (!opened.ok()) {
      out.status = opened.status();
      return out;
    }
    std::unique_ptr<CommitEngine> engine = std::move(*opened);
    std::vector<std::unique_ptr<CommitSession>> sessions;
    for (int c = 0; c < clients; ++c) {
      Result<std::unique_ptr<CommitSession>> s = engine->NewSession();
      if (!s.ok()) {
        out.status = s.status();
        return out;
      }
      sessions.push_back(std::move(*s));
    }

    std::atomic<uint64_t> next_op{0};
    std::atomic<bool> failed{false};
    std::mutex error_mu;
    Status error;
    struct alignas(64) Tally {  // one client's, on its own cache line
      uint64_t done = 0;       // commits, warm-up included
      uint64_t in_window = 0;  // commits completed inside the window
      std::vector<uint64_t> latency_ns;
    };
    std::vector<Tally> tallies(clients);
    const auto start = Clock::now() + std::chrono::milliseconds(20);
    const auto measure_start =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(flags.warmup));
    const auto measure_end =
        measure_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(flags.seconds));

    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        Tally& tally = tallies[c];
        tally.latency_ns.reserve(1 << 16);
        char key[kCommitKeyBytes], value[kCommitValueBytes];
        std::this_thread::sleep_until(start);
        while (!failed.load(std::memory_order_relaxed)) {
          uint64_t i = next_op.fetch_add(1, std::memory_order_relaxed);
          CommitKey(i, key);
          CommitValue(i, value);
          auto t0 = Clock::now();
          if (t0 >= measure_end) break;
          Status st = sessions[c]->Commit({key, sizeof(key)}, {value, sizeof(value)});
          auto t1 = Clock::now();
          if (!st.ok()) {
            std::lock_guard lock(error_mu);
            if (error.ok()) error = st;
            failed = true;
            break;
          }
          ++tally.done;
          if (t1 >= measure_start && t1 < measure_end) ++tally.in_window;
          // Latency of every commit that overlaps the window, so one left
          // waiting through the window (a starved client) is not left out.
          if (t1 >= measure_start) {
            tally.latency_ns.push_back(
                static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
          }
        }
      });
    }
    uint64_t syncs0 = 0, records0 = 0, syncs1 = 0, records1 = 0;
    std::this_thread::sleep_until(measure_start);
    bool has_syncs = engine->SyncCounters(&syncs0, &records0);
    std::this_thread::sleep_until(measure_end);
    engine->SyncCounters(&syncs1, &records1);
    for (auto& t : threads) t.join();
    if (!error.ok()) {
      out.status = error.Annotate(std::string(engine->name()) + " commit");
      return out;
    }

    std::vector<uint64_t> all;
    uint64_t committed = 0;
    for (const Tally& t : tallies) {
      all.insert(all.end(), t.latency_ns.begin(), t.latency_ns.end());
      out.counted += t.in_window;
      committed += t.done;
    }
    std::sort(all.begin(), all.end());
    out.commits_per_s = static_cast<double>(out.counted) / flags.seconds;
    out.p50_us = Percentile(all, 0.50);
    out.p99_us = Percentile(all, 0.99);
    out.max_us = Percentile(all, 1.0);
    if (has_syncs && records1 > records0) {
      out.syncs_per_commit = static_cast<double>(syncs1 - syncs0) / static_cast<double>(records1 - records0);
    }
    Result<uint64_t> count = engine->Count();
    if (!count.ok()) {
      out.status = count.status();
    } else if (*count != committed) {
      out.status = Status::Corruption(std::string(engine->name()) + " holds " + std::to_string(*count) +
                                      " keys after " + std::to_string(committed) + " commits");
    } else if (out.counted == 0) {
      out.status = Status::Internal(std::string(engine->name()) + ": no commit completed inside the window");
    }
  }  // sessions and engine closed here (ormDB checkpoints at close), untimed
  std::filesystem::remove_all(dir, ec);
  return out;
}

// ---------------------------------------------------------------- summary

double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Spread(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  double med = Median(v);
  if (v.size() < 2 || !(med > 0)) return NAN;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return (*hi - *lo) / med;
}

// 12345.6 -> "12,346"
std::string Thousands(double x) {
  if (std::isnan(x)) return "-";
  std::string digits = std::to_string(static_cast<long long>(std::llround(x)));
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out += digits[i];
    if (digits[i] != '-' && (n - 1 - i) % 3 == 0 && i != n - 1) out += ',';
  }
  return out;
}

std::string Fixed(double x, int decimals) {
  if (std::isnan(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  return buf;
}

constexpr EngineKind kKinds[kEngineKinds] = {EngineKind::kOrmdb, EngineKind::kSqlite, EngineKind::kLmdb};

// runs[rep][client index][engine]
using Runs = std::vector<std::vector<std::vector<CellRun>>>;

std::vector<double> Field(const Runs& runs, size_t ci, int e, double CellRun::*field) {
  std::vector<double> v;
  for (const auto& rep : runs) v.push_back(rep[ci][e].good() ? rep[ci][e].*field : NAN);
  return v;
}

// The median over repetitions of ormDB's commits/s over engine e's, paired
// per repetition.
double PairedRatio(const Runs& runs, size_t ci, int e) {
  std::vector<double> r;
  for (const auto& rep : runs) {
    const CellRun& a = rep[ci][0];
    const CellRun& b = rep[ci][e];
    if (a.good() && b.good() && b.commits_per_s > 0) r.push_back(a.commits_per_s / b.commits_per_s);
  }
  return Median(r);
}

void PrintSummary(const Runs& runs, const Flags& flags, double cap) {
  std::printf("\n## Durable commits: one transaction = one new 16-byte key + 100-byte value; closed loop;\n"
              "## %.1f s window after %.1f s warm-up; median of %d repetition(s), engine order rotated\n\n",
              flags.seconds, flags.warmup, flags.reps);
  std::printf("%7s  %-6s  %11s  %6s  %8s  %8s  %9s  %12s\n", "clients", "engine", "commits/s", "spread", "p50 us",
              "p99 us", "max us", "syncs/commit");
  bool flagged = false;
  const int first = static_cast<int>(std::find(flags.engines, flags.engines + kEngineKinds, true) - flags.engines);
  for (size_t ci = 0; ci < flags.clients.size(); ++ci) {
    for (int e = 0; e < kEngineKinds; ++e) {
      if (!flags.engines[e]) continue;
      std::vector<double> cps = Field(runs, ci, e, &CellRun::commits_per_s);
      double spread = Spread(cps);
      bool flag = spread > kSpreadFlag;
      flagged |= flag;
      std::printf("%7s  %-6s  %11s  %5s%s  %8s  %8s  %9s  %12s\n",
                  e == first ? std::to_string(flags.clients[ci]).c_str() : "", EngineName(kKinds[e]),
                  Thousands(Median(cps)).c_str(), std::isnan(spread) ? "-" : (Fixed(spread * 100, 0) + "%").c_str(),
                  flag ? "*" : " ", Fixed(Median(Field(runs, ci, e, &CellRun::p50_us)), 0).c_str(),
                  Fixed(Median(Field(runs, ci, e, &CellRun::p99_us)), 0).c_str(),
                  Fixed(Median(Field(runs, ci, e, &CellRun::max_us)), 0).c_str(),
                  Fixed(Median(Field(runs, ci, e, &CellRun::syncs_per_commit)), 3).c_str());
    }
  }
  if (flagged) std::printf("* spread above %.0f%%: the machine was noisy; rerun before trusting the cell\n",
                           kSpreadFlag * 100);

  std::printf("\n## Ratios of commits/s (median of the paired per-repetition ratios; above 1: ormDB faster)\n\n");
  std::printf("%7s  %12s  %10s  %22s\n", "clients", "ormDB/SQLite", "ormDB/LMDB", "ormDB/one-flush cap");
  for (size_t ci = 0; ci < flags.clients.size(); ++ci) {
    double ormdb = Median(Field(runs, ci, 0, &CellRun::commits_per_s));
    std::printf("%7d  %12s  %10s  %22s\n", flags.clients[ci], Fixed(PairedRatio(runs, ci, 1), 2).c_str(),
                Fixed(PairedRatio(runs, ci, 2), 2).c_str(), Fixed(ormdb / cap, 2).c_str());
  }

  auto goal = std::find(flags.clients.begin(), flags.clients.end(), kGoalClients);
  if (goal == flags.clients.end()) return;
  size_t ci = goal - flags.clients.begin();
  double vs_sqlite = PairedRatio(runs, ci, 1);
  double ormdb = Median(Field(runs, ci, 0, &CellRun::commits_per_s));
  std::printf("\n## Goals at %d committers\n", kGoalClients);
  std::printf("ormDB >= %.0fx SQLite's commits/s: %sx -> %s\n", kGoalSqliteRatio, Fixed(vs_sqlite, 2).c_str(),
              vs_sqlite >= kGoalSqliteRatio ? "met" : "MISSED");
  std::printf("ormDB past the one-flush-per-commit cap (%s/s): %s/s = %sx the cap -> %s\n", Thousands(cap).c_str(),
              Thousands(ormdb).c_str(), Fixed(ormdb / cap, 2).c_str(), ormdb >= cap ? "met" : "MISSED");
}

// ------------------------------------------------------------------- main

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr,
                 "usage: commit_bench [--seconds S] [--warmup S] [--clients 1,4,16,64] [--reps R] [--wal-mb N] "
                 "[--engines ormdb,sqlite,lmdb] [--smoke]\n");
    return 2;
  }
  double load = LoadAverage();
  if (load > 0.5) {
    std::fprintf(stderr, "warning: 1-minute load average is %.2f (above 0.5); numbers will be noisy\n", load);
  }
  TempDir tmp;
  if (tmp.path().empty()) {
    std::fprintf(stderr, "error: cannot create a temporary directory: %s\n", std::strerror(errno));
    return 1;
  }
  bool failed = false;

  struct utsname un;
  ::uname(&un);
  std::printf("# commit_bench%s\n", flags.smoke ? " --smoke (a check that everything runs, not a result)" : "");
  std::printf("machine: %u cores (nproc), %s, kernel %s, %s, 1-minute load %.2f at start\n",
              std::thread::hardware_concurrency(), ReadFieldLine("/proc/cpuinfo", "model name").c_str(), un.release,
              FileSystemName(tmp.path()).c_str(), load);
  for (EngineKind kind : kKinds) {
    std::string dir = tmp.path() + "/describe-" + EngineName(kind);
    std::filesystem::create_directories(dir);
    Result<std::unique_ptr<CommitEngine>> e = OpenCommitEngine(kind, dir);
    if (!e.ok()) {
      std::fprintf(stderr, "error: opening %s: %s\n", EngineName(kind), e.status().ToString().c_str());
      return 1;
    }
    std::printf("%-6s  %s\n", EngineName(kind), (*e)->Describe().c_str());
    e->reset();
    std::filesystem::remove_all(dir);
  }

  const int kProbeRounds = flags.smoke ? 100 : 500;
  double overwrite_us = FdatasyncProbe(tmp.path(), false, kProbeRounds);
  double append_us = FdatasyncProbe(tmp.path(), true, kProbeRounds);
  double cap = 1e6 / overwrite_us;
  std::printf("fdatasync probe (%d rounds, median): 4 KiB overwrite + fdatasync %s us -> one flush per commit "
              "caps at %s commits/s; 4 KiB append + fdatasync %s us\n",
              kProbeRounds, Fixed(overwrite_us, 1).c_str(), Thousands(cap).c_str(), Fixed(append_us, 1).c_str());
  std::fflush(stdout);
  if (std::isnan(overwrite_us)) {
    std::fprintf(stderr, "error: the fdatasync probe failed: %s\n", std::strerror(errno));
    return 1;
  }

  Runs runs(flags.reps, std::vector<std::vector<CellRun>>(flags.clients.size(), std::vector<CellRun>(kEngineKinds)));
  int cell = 0;
  for (int r = 0; r < flags.reps; ++r) {
    for (size_t ci = 0; ci < flags.clients.size(); ++ci) {
      for (int k = 0; k < kEngineKinds; ++k) {
        int e = (k + r) % kEngineKinds;
        if (!flags.engines[e]) continue;
        std::string dir = tmp.path() + "/cell-" + std::to_string(cell++);
        CellRun run = RunCell(kKinds[e], flags.clients[ci], flags, dir);
        SyncFileSystem(tmp.path());
        if (run.status.ok()) {
          std::fprintf(stderr, "[rep %d/%d] %2d clients  %-6s  %9s commits/s  p50 %6.0f us  p99 %6.0f us  max %8.0f us%s\n", r + 1,
                       flags.reps, flags.clients[ci], EngineName(kKinds[e]), Thousands(run.commits_per_s).c_str(),
                       run.p50_us, run.p99_us, run.max_us,
                       std::isnan(run.syncs_per_commit)
                           ? ""
                           : ("  " + Fixed(run.syncs_per_commit, 3) + " syncs/commit").c_str());
        } else {
          std::fprintf(stderr, "error: [rep %d] %d clients %s: %s\n", r + 1, flags.clients[ci],
                       EngineName(kKinds[e]), run.status.ToString().c_str());
          failed = true;
        }
        runs[r][ci][e] = std::move(run);
      }
    }
  }
  PrintSummary(runs, flags, cap);
  std::fflush(stdout);

  if (flags.wal_mb > 0) {
    std::fprintf(stderr, "recovery: writing %llu MiB of log, then replaying it...\n",
                 static_cast<unsigned long long>(flags.wal_mb));
    RecoveryResult rec;
    Status st = MeasureRecovery(tmp.path() + "/recovery", flags.wal_mb << 20, &rec);
    std::filesystem::remove_all(tmp.path() + "/recovery");
    if (!st.ok()) {
      std::fprintf(stderr, "error: recovery: %s\n", st.ToString().c_str());
      failed = true;
    } else {
      double gib = static_cast<double>(rec.log_bytes) / (1 << 30);
      double mib = static_cast<double>(rec.log_bytes) / (1 << 20);
      std::printf("\n## Recovery (ormDB): Store::Open replaying a log of one-put commits (data file covers none of "
                  "it), log dropped from the OS cache first\n\n");
      std::printf("log %.1f MiB, %s commit records; Store::Open %.2f s -> %.1f s per GiB of log, %s records/s, "
                  "%.1f MiB/s; peak memory growth during the open %.0f MiB (%.1f MiB per MiB of log)\n",
                  mib, Thousands(static_cast<double>(rec.records)).c_str(), rec.open_s, rec.open_s / gib,
                  Thousands(static_cast<double>(rec.recovered_records) / rec.open_s).c_str(), mib / rec.open_s,
                  rec.peak_rss_growth_mib, rec.peak_rss_growth_mib / mib);
    }
  }
  if (failed) std::printf("\nFAILED: an engine reported an error (see stderr)\n");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace ormdb::bench

int main(int argc, char** argv) { return ormdb::bench::Main(argc, argv); }
