// graph_bench: ormDB's graph fetches against SQLite, embedded, in one run on
// one dataset (BENCH.md: the dataset, workloads W1-W4 and the method).
//
// Both systems load the same rows (graph_dataset.h). Before timing, every
// workload runs on a sample of roots in ormDB (JSON text and bound once) and
// in every SQLite strategy (graph_sqlite.h), and all must return the same
// entities, ids in the same places and field values; the run stops otherwise.
//
// Method (BENCH.md, for a noisy 2-core machine): an untimed full pass warms
// every cache, then --reps repetitions; in each, every workload runs every
// contender back to back (ormDB, ormDB prepared, each SQLite strategy) for
// --seconds each, closed loop, with 1 thread and with 2, the contender order
// rotating from one repetition to the next. Then the cold cells (W1-W3): the
// contender's system is reopened with its files dropped from the OS cache
// (posix_fadvise DONTNEED; ormDB reads with O_DIRECT, so its own cache is all
// it has) and --cold-roots distinct random roots are fetched once each.
// Per cell: ops/s, p50 and p99 latency, the median over repetitions and its
// spread; each ratio is the median of the per-repetition paired ratios of
// ormDB's ops/s over SQLite's best strategy in that repetition. Goals: W1 >= 2x,
// W2 >= 3x, W3 >= 5x SQLite's best.
//
//   graph_bench [--scale X] [--quick] [--smoke] [--reps R] [--seconds S] [--threads 1,2]
//               [--cold-roots N] [--filter TEXT] [--batch N] [--force]
//   --quick      1,000 users, 1 s cells, one repetition (BENCH.md); its numbers are a sketch
//   --smoke      200 users, very short cells: checks that everything runs (make test), not results
//   --filter     only workloads whose "W2 user graph" text contains TEXT (case-insensitive)
//   --cold-roots 0 skips the cold cells
//   --force      run even when the 1-minute load average is above 0.5
// Exits non-zero when a check fails or a system reports an error.
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_stats.h"
#include "bench/commit_machine.h"
#include "bench/graph_cells.h"
#include "bench/graph_dataset.h"
#include "bench/graph_ormdb.h"
#include "bench/graph_report.h"
#include "bench/graph_sqlite.h"

namespace ormdb::bench::graph {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kMaxLoad = 0.5;

struct Flags {
  double scale = 1;
  bool quick = false;
  bool smoke = false;
  bool force = false;
  int reps = 3;
  double seconds = 2;
  std::vector<int> threads = {1, 2};
  size_t cold_roots = 2000;
  size_t batch = 10000;
  std::string filter;

  int32_t users() const {
    if (smoke) return 200;
    if (quick) return 1000;
    return static_cast<int32_t>(std::llround(kUsersPerScale * scale));
  }
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  bool seconds_set = false, reps_set = false, roots_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], v;
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
    if (arg == "--quick") {
      f->quick = true;
    } else if (arg == "--smoke") {
      f->smoke = true;
    } else if (arg == "--force") {
      f->force = true;
    } else if (value("--scale")) {
      f->scale = std::atof(v.c_str());
      if (!(f->scale > 0)) return false;
    } else if (value("--reps")) {
      f->reps = std::atoi(v.c_str());
      if (f->reps < 1) return false;
      reps_set = true;
    } else if (value("--seconds")) {
      f->seconds = std::atof(v.c_str());
      if (!(f->seconds > 0)) return false;
      seconds_set = true;
    } else if (value("--threads")) {
      f->threads.clear();
      for (size_t pos = 0; pos <= v.size();) {
        size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        int n = std::atoi(v.substr(pos, comma - pos).c_str());
        if (n < 1 || n > 64) return false;
        f->threads.push_back(n);
        pos = comma + 1;
      }
    } else if (value("--cold-roots")) {
      f->cold_roots = std::strtoull(v.c_str(), nullptr, 10);
      roots_set = true;
    } else if (value("--batch")) {
      f->batch = std::strtoull(v.c_str(), nullptr, 10);
      if (f->batch == 0) return false;
    } else if (value("--filter")) {
      f->filter = Lower(v);
    } else {
      return false;
    }
  }
  if (f->quick) {
    if (!seconds_set) f->seconds = 1;
    if (!reps_set) f->reps = 1;
  }
  if (f->smoke) {
    if (!seconds_set) f->seconds = 0.05;
    if (!reps_set) f->reps = 1;
    if (!roots_set) f->cold_roots = 40;
  }
  return true;
}

// Progress lines on stderr while loading: at most one a second per table,
// and one when it is done.
Progress LoadProgress(const std::string& system) {
  struct State {
    std::string what;
    Clock::time_point start, last;
  };
  auto state = std::make_shared<State>();
  return [system, state](std::string_view what, uint64_t done, uint64_t total) {
    const auto now = Clock::now();
    if (state->what != what) {
      state->what = std::string(what);
      state->start = state->last = now;
    }
    if (done < total && now - state->last < std::chrono::seconds(1)) return;
    state->last = now;
    const double s = std::chrono::duration<double>(now - state->start).count();
    std::fprintf(stderr, "[load] %-6s %-9s %11s / %-11s %9s rows/s\n", system.c_str(), state->what.c_str(),
                 Thousands(static_cast<double>(done)).c_str(), Thousands(static_cast<double>(total)).c_str(),
                 s > 0 ? Thousands(static_cast<double>(done) / s).c_str() : "-");
  };
}

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ------------------------------------------------------------------ checks

// Parameters the checks use: the edges of each workload's range and a random sample.
std::vector<int64_t> CheckParams(Workload w, const Systems& s, size_t sample, SplitMix64* rng) {
  std::vector<int64_t> out;
  switch (w) {
    case Workload::kPoint:
    case Workload::kGraph: out = {1, s.users}; break;
    case Workload::kPage: out = {0, std::max<int64_t>(0, s.users - kPageUsers)}; break;
    case Workload::kFiltered: out = {(1'700'000'000 + 10) * kMicrosPerSecond}; break;
  }
  std::vector<int64_t> more = DistinctRandomParams(w, s, sample, rng);
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

// Runs each workload on sampled roots in every contender and compares the
// answers with ormDB's (JSON text) answer; sets the entities per operation
// and SQLite's queries per operation.
Status Verify(Systems* s, ThreadContext* ctx, const std::vector<Workload>& workloads, size_t sample,
              ReportContext* report) {
  SplitMix64 rng = Stream(kDefaultSeed, 50);
  for (Workload w : workloads) {
    const std::string wid(WorkloadId(w));
    uint64_t& expected = s->expected_entities[static_cast<int>(w)];
    switch (w) {
      case Workload::kPoint: expected = 1; break;
      case Workload::kGraph: expected = 1 + kPostsPerUser + kPostsPerUser * kCommentsPerPost; break;
      case Workload::kPage:
        expected = static_cast<uint64_t>(std::min<int64_t>(kPageUsers, s->users)) *
                   (1 + kPagePosts + kPagePosts * kCommentsPerPost);
        break;
      case Workload::kFiltered: expected = 0; break;  // the first answer's
    }
    for (int64_t param : CheckParams(w, *s, sample, &rng)) {
      const std::string where = wid + " with parameter " + std::to_string(param);
      Result<query::QueryResult> r = s->db->Execute(RequestText(w, param));
      if (!r.ok()) return r.status().Annotate("ormDB " + where);
      ASSIGN_OR_RETURN(Graph g, GraphOfBlocks(*r, w));
      const Fingerprint want = FingerprintOf(g, true);
      ASSIGN_OR_RETURN(Fingerprint blocks, FingerprintOfBlocks(*r, w));
      if (blocks.entities != want.entities || blocks.ids != want.ids) {
        return Status::Corruption(where + ": ormDB's blocks read in place (" + blocks.ToString() +
                                  ") disagree with the same blocks as objects (" + want.ToString() + ")");
      }
      if (expected == 0) expected = want.entities;
      if (want.entities != expected) {
        return Status::Corruption(where + ": ormDB returned " + std::to_string(want.entities) +
                                  " entities, the dataset fixes " + std::to_string(expected));
      }
      for (const Contender& c : ContendersOf(w)) {
        if (c.system == System::kOrmdb) continue;
        Fingerprint got;
        if (c.system == System::kOrmdbPrepared) {
          Result<query::QueryResult> p = ctx->prepared->Run(w, param);
          if (!p.ok()) return p.status().Annotate("ormDB prepared " + where);
          ASSIGN_OR_RETURN(Graph pg, GraphOfBlocks(*p, w));
          got = FingerprintOf(pg, true);
        } else {
          RETURN_IF_ERROR(ctx->sqlite->Fetch(w, c.strategy, param, &ctx->graph).Annotate(ContenderName(c, w) + " " + where));
          got = FingerprintOf(ctx->graph, true);
          report->queries[static_cast<int>(w)][static_cast<int>(c.strategy)] = ctx->sqlite->queries();
        }
        if (!(got == want)) {
          return Status::Corruption(where + ": " + ContenderName(c, w) + " answered " + got.ToString() +
                                    ", ormDB " + want.ToString());
        }
      }
    }
    std::fprintf(stderr, "[check] %s: every contender agrees (%llu entities per operation)\n", wid.c_str(),
                 static_cast<unsigned long long>(expected));
  }
  return Status::OK();
}

// The untimed full pass: every user's graph through ormDB once (one cache
// for all threads) and through each SQLite connection (a cache each), and
// every contender of W3 and W4 once.
Status WarmPass(Systems* s, std::vector<std::unique_ptr<ThreadContext>>& contexts,
                const std::vector<Workload>& workloads) {
  for (size_t t = 0; t < contexts.size(); ++t) {
    for (const Contender& c : {Contender{System::kOrmdb}, Contender{System::kSqlite, Strategy::kIn}}) {
      if (c.is_ormdb() && t > 0) continue;
      for (int64_t id = 1; id <= s->users; ++id) {
        Fingerprint f;
        RETURN_IF_ERROR(RunOperation(s, contexts[t].get(), c, Workload::kGraph, id, &f));
      }
    }
    for (Workload w : workloads) {
      SplitMix64 rng = Stream(kDefaultSeed, 60);
      for (const Contender& c : ContendersOf(w)) {
        Fingerprint f;
        RETURN_IF_ERROR(RunOperation(s, contexts[t].get(), c, w, RandomParam(w, *s, &rng), &f));
      }
    }
  }
  return Status::OK();
}

// ------------------------------------------------------------------- main

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr,
                 "usage: graph_bench [--scale X] [--quick] [--smoke] [--reps R] [--seconds S] [--threads 1,2] "
                 "[--cold-roots N] [--filter TEXT] [--batch N] [--force]\n");
    return 2;
  }
  const double load = LoadAverage();
  if (load > kMaxLoad && !flags.force) {
    std::fprintf(stderr,
                 "graph_bench: refusing to start: the 1-minute load average is %.2f (above %.1f), so the numbers "
                 "would measure the other work; wait for the machine to be idle, or pass --force\n",
                 load, kMaxLoad);
    return 2;
  }
  TempDir tmp("graph_bench");
  if (tmp.path().empty()) {
    std::fprintf(stderr, "error: cannot create a temporary directory: %s\n", std::strerror(errno));
    return 1;
  }
  std::vector<Workload> workloads;
  for (Workload w : kAllWorkloads) {
    std::string text = Lower(std::string(WorkloadId(w)) + " " + std::string(WorkloadName(w)));
    if (flags.filter.empty() || text.find(flags.filter) != std::string::npos) workloads.push_back(w);
  }
  if (workloads.empty()) {
    std::fprintf(stderr, "graph_bench: --filter %s matches no workload\n", flags.filter.c_str());
    return 2;
  }

  struct utsname un;
  ::uname(&un);
  std::printf("# graph_bench%s\n", flags.smoke   ? " --smoke (a check that everything runs, not a result)"
                                   : flags.quick ? " --quick (a sketch, not a result)"
                                                 : "");
  std::printf("machine: %u cores (nproc), %s, kernel %s, %s, 1-minute load %.2f at start%s\n",
              std::thread::hardware_concurrency(), ReadFieldLine("/proc/cpuinfo", "model name").c_str(), un.release,
              FileSystemName(tmp.path()).c_str(), load, load > kMaxLoad ? " (above 0.5: --force)" : "");
  std::printf("method: %d repetition(s); warm cells %.2f s closed loop after %.2f s warm-up, threads", flags.reps,
              flags.seconds, std::min(0.2, flags.seconds / 10));
  for (int t : flags.threads) std::printf(" %d", t);
  std::printf("; cold cells (W1-W3) %zu distinct roots once each after reopening and dropping the files from the OS "
              "cache; contender order rotated per repetition\n",
              flags.cold_roots);
  std::fflush(stdout);

  // ------------------------------------------------------------- the data
  Systems sys;
  sys.ormdb_dir = tmp.path() + "/ormdb";
  sys.sqlite_path = tmp.path() + "/graph.sqlite";
  {
    auto t0 = Clock::now();
    Dataset d = GenerateDataset(flags.users());
    sys.users = d.user_count();
    sys.posts = static_cast<int64_t>(d.posts.size());
    std::printf("dataset: seed %llu, %s users, %s posts, %s comments, %d tags, %s post-tag links (%s rows; "
                "generated in %.1f s)\n",
                static_cast<unsigned long long>(d.seed), Thousands(static_cast<double>(d.users.size())).c_str(),
                Thousands(static_cast<double>(d.posts.size())).c_str(),
                Thousands(static_cast<double>(d.comments.size())).c_str(), kTags,
                Thousands(static_cast<double>(d.post_tags.size())).c_str(),
                Thousands(static_cast<double>(d.rows())).c_str(), Since(t0));
    std::fflush(stdout);

    OrmdbOptions load_options;
    load_options.cache_bytes = (size_t{128} << 10) * static_cast<size_t>(sys.users) + (size_t{64} << 20);
    t0 = Clock::now();
    {
      std::filesystem::create_directories(sys.ormdb_dir);
      Result<std::unique_ptr<engine::Database>> db =
          engine::Database::Open(sys.ormdb_dir, MakeDatabaseOptions(load_options));
      Status st = db.ok() ? LoadOrmdb(db->get(), d, flags.batch, LoadProgress("ormDB")) : db.status();
      if (!st.ok()) {
        std::fprintf(stderr, "error: loading ormDB: %s\n", st.ToString().c_str());
        return 1;
      }
    }
    const double ormdb_load_s = Since(t0);
    t0 = Clock::now();
    Status st = LoadSqlite(sys.sqlite_path, d, flags.batch, LoadProgress("SQLite"));
    if (!st.ok()) {
      std::fprintf(stderr, "error: loading SQLite: %s\n", st.ToString().c_str());
      return 1;
    }
    const double sqlite_load_s = Since(t0);
    const double rows = static_cast<double>(d.rows());
    std::printf("load (%zu rows per transaction, untimed): ormDB %.1f s (%s rows/s, Transaction::Insert, then a "
                "checkpoint), SQLite %.1f s (%s rows/s, prepared INSERTs, then ANALYZE)\n",
                flags.batch, ormdb_load_s, Thousands(rows / ormdb_load_s).c_str(), sqlite_load_s,
                Thousands(rows / sqlite_load_s).c_str());
  }
  SyncFileSystem(tmp.path());
  const uint64_t ormdb_bytes = DiskBytes(sys.ormdb_dir);
  const uint64_t sqlite_bytes = DiskBytes(sys.sqlite_path) + DiskBytes(sys.sqlite_path + "-wal");
  // Caches hold the whole database with room to spare (BENCH.md: cache at least the dataset).
  sys.ormdb_options.cache_bytes = std::max<size_t>(size_t{64} << 20, ormdb_bytes + ormdb_bytes / 2);
  sys.sqlite_options.cache_kib = static_cast<int64_t>((sqlite_bytes + sqlite_bytes / 2) >> 10) + (16 << 10);
  std::printf("on disk: ormDB %.1f MiB, SQLite %.1f MiB\n", static_cast<double>(ormdb_bytes) / (1 << 20),
              static_cast<double>(sqlite_bytes) / (1 << 20));
  std::printf("ormDB:  %s\n", DescribeOrmdb(sys.ormdb_options).c_str());
  std::printf("SQLite: %s\n", DescribeSqlite(sys.sqlite_options).c_str());
  std::fflush(stdout);
  {
    Result<std::unique_ptr<engine::Database>> db =
        engine::Database::Open(sys.ormdb_dir, MakeDatabaseOptions(sys.ormdb_options));
    if (!db.ok()) {
      std::fprintf(stderr, "error: reopening ormDB: %s\n", db.status().ToString().c_str());
      return 1;
    }
    sys.db = std::move(db).value();
  }

  // ------------------------------------------------------ checks, warm pass
  const int max_threads = *std::max_element(flags.threads.begin(), flags.threads.end());
  std::vector<std::unique_ptr<ThreadContext>> contexts;
  for (int t = 0; t < max_threads; ++t) {
    Result<std::unique_ptr<ThreadContext>> ctx = OpenThreadContext(&sys);
    if (!ctx.ok()) {
      std::fprintf(stderr, "error: %s\n", ctx.status().ToString().c_str());
      return 1;
    }
    contexts.push_back(std::move(ctx).value());
  }
  ReportContext report;
  report.reps = flags.reps;
  report.systems = &sys;
  if (Status st = Verify(&sys, contexts[0].get(), workloads, flags.smoke ? 5 : 25, &report); !st.ok()) {
    std::fprintf(stderr, "error: the systems disagree, nothing was timed: %s\n", st.ToString().c_str());
    std::printf("\nFAILED: the answers differ (see stderr)\n");
    return 1;
  }
  {
    auto t0 = Clock::now();
    if (Status st = WarmPass(&sys, contexts, workloads); !st.ok()) {
      std::fprintf(stderr, "error: warm pass: %s\n", st.ToString().c_str());
      return 1;
    }
    std::fprintf(stderr, "[warm] full pass in %.1f s\n", Since(t0));
  }

  // ----------------------------------------------------------------- cells
  for (int t : flags.threads) report.settings.push_back(Setting{false, t});
  const bool cold = flags.cold_roots > 0;
  if (cold) report.settings.push_back(Setting{true, 1});
  Runs runs;
  bool failed = false;
  auto log_cell = [&](int r, Workload w, const Setting& setting, const Contender& c, const CellRun& run) {
    if (run.status.ok()) {
      std::fprintf(stderr, "[rep %d/%d] %s %-15s %-14s %11s ops/s  p50 %8.1f us  p99 %8.1f us\n", r + 1, flags.reps,
                   std::string(WorkloadId(w)).c_str(), SettingName(setting).c_str(), ContenderName(c, w).c_str(),
                   Thousands(run.ops_per_s).c_str(), run.p50_us, run.p99_us);
    } else {
      std::fprintf(stderr, "error: [rep %d] %s %s %s: %s\n", r + 1, std::string(WorkloadId(w)).c_str(),
                   SettingName(setting).c_str(), ContenderName(c, w).c_str(), run.status.ToString().c_str());
      failed = true;
    }
  };
  const btree::PagerStats pager_before = sys.db->store().tree().pager().stats();
  const double warmup = std::min(0.2, flags.seconds / 10);
  for (int r = 0; r < flags.reps; ++r) {
    for (Workload w : workloads) {
      const std::vector<Contender> cs = ContendersOf(w);
      for (size_t si = 0; si < report.settings.size(); ++si) {
        const Setting& setting = report.settings[si];
        if (setting.cold) continue;
        for (size_t k = 0; k < cs.size(); ++k) {
          const size_t c = (k + static_cast<size_t>(r)) % cs.size();
          const uint64_t seed = kDefaultSeed * 7919 + 1000 * static_cast<uint64_t>(r) + static_cast<uint64_t>(w);
          CellRun run = RunWarmCell(&sys, contexts, cs[c], w, setting.threads, warmup, flags.seconds, seed);
          log_cell(r, w, setting, cs[c], run);
          runs.Put(r, w, si, c, std::move(run));
        }
      }
    }
  }
  const btree::PagerStats pager_after = sys.db->store().tree().pager().stats();
  const uint64_t misses = pager_after.cache_misses - pager_before.cache_misses;
  const uint64_t hits = pager_after.cache_hits - pager_before.cache_hits;

  if (cold) {
    contexts.clear();  // the cold cells reopen the systems
    const size_t si = report.settings.size() - 1;
    for (int r = 0; r < flags.reps; ++r) {
      for (Workload w : workloads) {
        if (!Applies(report.settings[si], w)) continue;
        SplitMix64 rng = Stream(kDefaultSeed, 200 + 10 * static_cast<uint64_t>(r) + static_cast<uint64_t>(w));
        const std::vector<int64_t> roots = DistinctRandomParams(w, sys, flags.cold_roots, &rng);
        const std::vector<Contender> cs = ContendersOf(w);
        for (size_t k = 0; k < cs.size(); ++k) {
          const size_t c = (k + static_cast<size_t>(r)) % cs.size();
          SyncFileSystem(tmp.path());
          CellRun run = RunColdCell(&sys, cs[c], w, roots);
          log_cell(r, w, report.settings[si], cs[c], run);
          runs.Put(r, w, si, c, std::move(run));
        }
      }
    }
  }

  std::printf("\normDB's page cache during the warm cells: %s hits, %s misses\n",
              Thousands(static_cast<double>(hits)).c_str(), Thousands(static_cast<double>(misses)).c_str());
  std::printf("ops/s and latencies: medians over %d repetition(s); spread = (max - min) / median, * above 15%%; "
              "\"vs SQLite\" = median of the paired ratios ormDB / SQLite's best strategy in the same repetition; "
              "\"best k/R\": the SQLite strategy that was best in k of R repetitions\n",
              flags.reps);
  for (Workload w : workloads) PrintWorkload(runs, report, w);
  PrintGoals(runs, report, workloads);
  if (failed) std::printf("\nFAILED: a system reported an error (see stderr)\n");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace ormdb::bench::graph

int main(int argc, char** argv) { return ormdb::bench::graph::Main(argc, argv); }
