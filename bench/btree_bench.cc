// btree_bench: ormDB's B+tree against LMDB, in one process, on one dataset
// (kv_engines.h describes it). Workloads:
//   point_get      random point gets of loaded keys, 1,000 per read snapshot
//                  (ormDB Snapshot / LMDB read txn), value copied out
//   scan           full ordered scan of every entry under one snapshot
//   insert_nosync  random new keys, 1,000 per committed write transaction,
//                  no fsync (ormDB sync=false, LMDB MDB_NOSYNC)
//   insert_sync    the same with fsync at every commit (both engines' defaults)
//
// Method: both databases are loaded once (untimed) and checked to hold the
// same data (a hash of a full scan, sampled gets, absent keys). Each workload
// then runs --reps times per engine, ormDB and LMDB back to back, alternating
// which goes first. The summary gives each engine's median time per operation
// and the median of the per-repetition paired ratios ormDB/LMDB (below 1:
// ormDB is faster). After the runs the two databases are compared again.
//
// Flags of its own (the rest go to Google Benchmark):
//   --smoke     20,000 keys, one short repetition: a correctness check, not a result
//   --keys N    keys loaded before timing (default 1,000,000)
//   --reps N    repetitions per workload and engine (default 5)
//   --ormdb-buffered  open ormDB with direct_io=false (a diagnostic, not
//               the configuration the results are quoted for)
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/kv_engines.h"

namespace ormdb::bench {
namespace {

constexpr size_t kGetBatch = 1000;
constexpr size_t kInsertBatch = 1000;
constexpr size_t kLoadBatch = 10000;
constexpr double kSpreadFlag = 0.15;
constexpr int kOrmdb = 0;
constexpr int kLmdb = 1;
constexpr int kEngines = 2;

enum Workload { kPointGet, kScan, kInsertNoSync, kInsertSync, kWorkloads };

struct WorkloadInfo {
  const char* name;
  const char* unit;   // of the per-operation times in the summary
  double unit_per_s;  // that unit per second
  double goal;        // the highest acceptable ormDB/LMDB time ratio
};
constexpr WorkloadInfo kInfo[kWorkloads] = {
    {"point_get", "ns/get", 1e9, 1.5},
    {"scan", "ns/key", 1e9, 1.5},
    {"insert_nosync", "us/key", 1e6, 1.0},
    {"insert_sync", "us/key", 1e6, 1.0},
};

struct Flags {
  bool smoke = false;
  size_t keys = 1'000'000;
  int reps = 5;
  bool ormdb_buffered = false;
  size_t nosync_batches = 100;  // write transactions per repetition
  size_t sync_batches = 20;
};

// Takes this tool's own flags out of argv, leaving Google Benchmark's.
bool ParseFlags(int* argc, char** argv, Flags* flags) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name, std::string* v) {
      if (arg == name && i + 1 < *argc) {
        *v = argv[++i];
        return true;
      }
      if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
        *v = std::string(arg.substr(name.size() + 1));
        return true;
      }
      return false;
    };
    std::string v;
    if (arg == "--smoke") {
      flags->smoke = true;
    } else if (arg == "--ormdb-buffered") {
      flags->ormdb_buffered = true;
    } else if (value("--keys", &v)) {
      flags->keys = std::strtoull(v.c_str(), nullptr, 10);
      if (flags->keys < 1000) return false;
    } else if (value("--reps", &v)) {
      flags->reps = std::atoi(v.c_str());
      if (flags->reps < 1) return false;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = nullptr;
  if (flags->smoke) {
    if (flags->keys == Flags{}.keys) flags->keys = 20'000;
    flags->reps = 1;
    flags->nosync_batches = 5;
    flags->sync_batches = 3;
  }
  return true;
}

// A directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/btree_bench.XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// ------------------------------------------------------------------ setup

Status Load(KvEngine* engine, const Dataset& data) {
  std::fprintf(stderr, "loading %zu keys into %s (%zu per transaction, no fsync)...", data.loaded(), engine->name(),
               kLoadBatch);
  auto start = std::chrono::steady_clock::now();
  for (size_t first = 0; first < data.loaded(); first += kLoadBatch) {
    RETURN_IF_ERROR(engine->InsertBatch(data, first, std::min(kLoadBatch, data.loaded() - first)));
  }
  RETURN_IF_ERROR(engine->Flush());
  double s = Seconds(start);
  std::fprintf(stderr, " %.1f s (%.0f keys/s)\n", s, data.loaded() / s);
  return Status::OK();
}

// Both engines hold keys [0, present) of the dataset and nothing else.
Status Verify(KvEngine* const* engines, const Dataset& data, size_t present, size_t sample_gets) {
  std::array<ScanHash, kEngines> hashes;
  for (int e = 0; e < kEngines; ++e) {
    RETURN_IF_ERROR(engines[e]->Hash(&hashes[e]));
    if (hashes[e].entries() != present) {
      return Status::Corruption(std::string(engines[e]->name()) + " scan returned " +
                                std::to_string(hashes[e].entries()) + " entries, expected " + std::to_string(present));
    }
  }
  if (hashes[kOrmdb].hash() != hashes[kLmdb].hash()) {
    return Status::Corruption("full-scan hashes differ: ormDB " + std::to_string(hashes[kOrmdb].hash()) + ", LMDB " +
                              std::to_string(hashes[kLmdb].hash()));
  }
  std::string value;
  const auto& order = data.lookup_order();
  for (int e = 0; e < kEngines; ++e) {
    for (size_t i = 0; i < std::min(sample_gets, order.size()); ++i) {
      Status st = engines[e]->Get(data.key(order[i]), &value);
      if (!st.ok() || value != data.value(order[i])) {
        return Status::Corruption(std::string(engines[e]->name()) + ": get of key #" + std::to_string(order[i]) +
                                  (st.ok() ? " returned a wrong value" : " failed: " + st.ToString()));
      }
    }
    for (size_t i = present; i < std::min(present + 100, data.total()); ++i) {
      Status st = engines[e]->Get(data.key(i), &value);
      if (!st.IsNotFound()) {
        return Status::Corruption(std::string(engines[e]->name()) + ": absent key #" + std::to_string(i) +
                                  (st.ok() ? " was found" : " failed: " + st.ToString()));
      }
    }
  }
  return Status::OK();
}

// ------------------------------------------------------------- workloads

struct Harness {
  const Dataset* data;
  KvEngine* engines[kEngines];
  size_t next_insert[kEngines];  // each engine's next unused key of the insert pool
  size_t scan_entries;
};

void Fail(benchmark::State& state, const Status& st) { state.SkipWithError(st.ToString().c_str()); }

void PointGet(benchmark::State& state, Harness* h, int e) {
  const std::vector<uint32_t>& order = h->data->lookup_order();
  size_t pos = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    if (pos + kGetBatch > order.size()) pos = 0;
    Status st = h->engines[e]->GetBatch(*h->data, order.data() + pos, kGetBatch, &bytes);
    if (!st.ok()) {
      Fail(state, st);
      break;
    }
    pos += kGetBatch;
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * kGetBatch);
}

void Scan(benchmark::State& state, Harness* h, int e) {
  uint64_t entries = 0;
  for (auto _ : state) {
    ScanTally tally;
    Status st = h->engines[e]->Scan(&tally);
    if (st.ok() && tally.entries != h->scan_entries) {
      st = Status::Corruption("scan returned " + std::to_string(tally.entries) + " entries");
    }
    if (!st.ok()) {
      Fail(state, st);
      break;
    }
    benchmark::DoNotOptimize(tally.touched);
    entries += tally.entries;
  }
  state.SetItemsProcessed(entries);
}

void Insert(benchmark::State& state, Harness* h, int e, bool sync) {
  KvEngine* engine = h->engines[e];
  size_t& next = h->next_insert[e];
  Status st = engine->SetSync(sync);
  if (st.ok() && next + state.max_iterations * kInsertBatch > h->data->total()) {
    st = Status::InvalidArgument("the insert key pool is exhausted (more iterations than planned)");
  }
  if (!st.ok()) {
    Fail(state, st);
    return;
  }
  for (auto _ : state) {
    st = engine->InsertBatch(*h->data, next, kInsertBatch);
    if (!st.ok()) {
      Fail(state, st);
      break;
    }
    next += kInsertBatch;
  }
  state.SetItemsProcessed(state.iterations() * kInsertBatch);
}

// --------------------------------------------------------------- results

struct Cell {
  int workload;
  int engine;
  int rep;
};

// Prints the usual console lines and keeps each run's wall-clock and CPU
// seconds per item. items_per_second is items over real time (every
// benchmark uses UseRealTime), so items = rate x real time.
class Collector : public benchmark::ConsoleReporter {
 public:
  Collector(std::map<std::string, Cell> cells, int reps)
      : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular), cells_(std::move(cells)) {
    for (auto* table : {&real_, &cpu_})
      for (auto& w : *table)
        for (auto& e : w) e.assign(reps, NAN);
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      auto it = cells_.find(run.run_name.function_name);
      if (it == cells_.end()) continue;
      if (run.error_occurred) {
        ++errors_;
        continue;
      }
      auto rate = run.counters.find("items_per_second");
      if (rate == run.counters.end() || rate->second.value <= 0) continue;
      const Cell& c = it->second;
      real_[c.workload][c.engine][c.rep] = 1.0 / rate->second.value;
      cpu_[c.workload][c.engine][c.rep] = run.cpu_accumulated_time / (rate->second.value * run.real_accumulated_time);
    }
  }

  int errors() const { return errors_; }
  const std::vector<double>& real(int w, int e) const { return real_[w][e]; }
  const std::vector<double>& cpu(int w, int e) const { return cpu_[w][e]; }

 private:
  std::map<std::string, Cell> cells_;
  using Table = std::array<std::array<std::vector<double>, kEngines>, kWorkloads>;  // [workload][engine][rep]
  Table real_;
  Table cpu_;
  int errors_ = 0;
};

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The median over repetitions of ormDB's time / LMDB's time in the same repetition.
double PairedRatio(const std::vector<double>& ormdb, const std::vector<double>& lmdb) {
  std::vector<double> ratios;
  for (size_t r = 0; r < ormdb.size(); ++r) {
    if (!std::isnan(ormdb[r]) && !std::isnan(lmdb[r])) ratios.push_back(ormdb[r] / lmdb[r]);
  }
  return Median(ratios);
}

// (max - min) / median.
double Spread(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return (*hi - *lo) / Median(v);
}

// "yes", or by how much the ratio misses the goal.
std::string GoalMet(double ratio, double goal) {
  if (std::isnan(ratio)) return "-";
  if (ratio <= goal) return "yes";
  char buf[32];
  std::snprintf(buf, sizeof buf, "NO (%.1f%% over)", (ratio / goal - 1) * 100);
  return buf;
}

void PrintSummary(const Collector& results, const Flags& flags) {
  std::printf(
      "\nSummary: median of %d repetition%s per engine (wall clock); ratio = median over repetitions of ormDB "
      "time / LMDB time (below 1: ormDB faster); spread = (max-min)/median; cpu ratio = the same ratio of CPU "
      "time%s\n",
      flags.reps, flags.reps == 1 ? "" : "s", flags.smoke ? "\n(smoke run: a correctness check, not results)" : "");
  std::printf("%-14s %-7s %10s %7s %10s %7s %7s %6s  %-16s %9s\n", "workload", "unit", "ormDB", "spread", "LMDB",
              "spread", "ratio", "goal", "met", "cpu ratio");
  bool flagged = false;
  for (int w = 0; w < kWorkloads; ++w) {
    std::vector<double> per_engine[kEngines];
    for (int e = 0; e < kEngines; ++e) {
      for (double s : results.real(w, e)) {
        if (!std::isnan(s)) per_engine[e].push_back(s * kInfo[w].unit_per_s);
      }
    }
    if (per_engine[kOrmdb].empty() && per_engine[kLmdb].empty()) continue;  // filtered out
    double ratio = PairedRatio(results.real(w, kOrmdb), results.real(w, kLmdb));
    double cpu_ratio = PairedRatio(results.cpu(w, kOrmdb), results.cpu(w, kLmdb));
    std::string met = GoalMet(ratio, kInfo[w].goal);
    char spread[kEngines][16];
    for (int e = 0; e < kEngines; ++e) {
      double s = Spread(per_engine[e]);
      bool wide = s > kSpreadFlag && per_engine[e].size() > 1;
      flagged |= wide;
      std::snprintf(spread[e], sizeof spread[e], "%.0f%%%s", std::isnan(s) ? 0.0 : s * 100, wide ? "*" : "");
    }
    std::printf("%-14s %-7s %10.3f %7s %10.3f %7s %7.3f %6.2f  %-16s %9.3f\n", kInfo[w].name, kInfo[w].unit,
                Median(per_engine[kOrmdb]), spread[kOrmdb], Median(per_engine[kLmdb]), spread[kLmdb], ratio,
                kInfo[w].goal, met.c_str(), cpu_ratio);
  }
  if (flagged)
    std::printf("* spread above %.0f%%: the machine was noisy; rerun before trusting the cell\n", kSpreadFlag * 100);
}

void WarnIfBusy() {
  std::ifstream in("/proc/loadavg");
  double load1 = 0;
  if (in >> load1 && load1 > 0.5) {
    std::fprintf(stderr, "warning: 1-minute load average is %.2f (above 0.5); numbers will be noisy\n", load1);
  }
}

int Run(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(&argc, argv, &flags)) {
    std::fprintf(stderr,
                 "usage: btree_bench [--smoke] [--keys N>=1000] [--reps N>=1] [--ormdb-buffered] [benchmark flags]\n");
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  WarnIfBusy();

  TempDir dir;
  if (dir.path().empty()) {
    std::fprintf(stderr, "error: cannot create a temporary directory: %s\n", std::strerror(errno));
    return 1;
  }
  const size_t pool = flags.reps * (flags.nosync_batches + flags.sync_batches) * kInsertBatch;
  const size_t lookups = flags.smoke ? size_t{1} << 16 : size_t{1} << 20;
  Dataset data(flags.keys, pool, lookups);

  // Room for every key the run will write: ormDB's cache holds the whole
  // tree (LMDB reads through the OS page cache), LMDB's map never fills.
  EngineConfig config;
  config.cache_bytes = std::max<size_t>(size_t{64} << 20, data.total() * 512);
  config.map_bytes = std::max<size_t>(size_t{1} << 30, data.total() * 2048);
  config.direct_io = !flags.ormdb_buffered;
  std::unique_ptr<KvEngine> owned[kEngines];
  for (int e = 0; e < kEngines; ++e) {
    config.dir = dir.path() + (e == kOrmdb ? "/ormdb" : "/lmdb");
    auto engine = e == kOrmdb ? OpenOrmdb(config) : OpenLmdb(config);
    if (!engine.ok()) {
      std::fprintf(stderr, "error: %s\n", engine.status().ToString().c_str());
      return 1;
    }
    owned[e] = std::move(engine).value();
  }
  Harness h{&data, {owned[kOrmdb].get(), owned[kLmdb].get()}, {data.loaded(), data.loaded()}, data.loaded()};

  for (KvEngine* engine : h.engines) {
    if (Status st = Load(engine, data); !st.ok()) {
      std::fprintf(stderr, "\nerror: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  if (Status st = Verify(h.engines, data, data.loaded(), flags.smoke ? 2000 : 20000); !st.ok()) {
    std::fprintf(stderr, "error: the engines disagree after loading: %s\n", st.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "verified: both engines hold the same %zu entries\n", data.loaded());

  std::printf(
      "dataset: %zu keys of %zu random bytes (splitmix64 seed %llu), %zu-byte values, loaded in random "
      "order; inserts of new keys in transactions of %zu\n",
      data.loaded(), kKeyBytes, static_cast<unsigned long long>(kKeySeed), kValueBytes, kInsertBatch);
  for (KvEngine* engine : h.engines) std::printf("%-6s %s\n", engine->name(), engine->Describe().c_str());
  std::fflush(stdout);

  std::map<std::string, Cell> cells;
  for (int w = 0; w < kWorkloads; ++w) {
    for (int r = 0; r < flags.reps; ++r) {
      for (int i = 0; i < kEngines; ++i) {
        int e = (r % 2 == 0) ? i : kEngines - 1 - i;  // alternate which engine goes first
        std::string name = std::string(kInfo[w].name) + "/" + h.engines[e]->name() + "/rep:" + std::to_string(r);
        cells[name] = Cell{w, e, r};
        benchmark::internal::Benchmark* b = nullptr;
        switch (w) {
          case kPointGet:
            b = benchmark::RegisterBenchmark(name.c_str(), PointGet, &h, e)->Unit(benchmark::kMicrosecond);
            break;
          case kScan:
            b = benchmark::RegisterBenchmark(name.c_str(), Scan, &h, e)->Unit(benchmark::kMillisecond);
            break;
          case kInsertNoSync:
          case kInsertSync: {
            bool sync = w == kInsertSync;
            b = benchmark::RegisterBenchmark(name.c_str(), Insert, &h, e, sync)
                    ->Unit(benchmark::kMillisecond)
                    ->Iterations(sync ? flags.sync_batches : flags.nosync_batches);
            break;
          }
        }
        b->UseRealTime();
        if (flags.smoke && (w == kPointGet || w == kScan)) b->MinTime(0.01);
      }
    }
  }

  Collector results(std::move(cells), flags.reps);
  benchmark::RunSpecifiedBenchmarks(&results);
  benchmark::Shutdown();
  PrintSummary(results, flags);

  int rc = results.errors() > 0 ? 1 : 0;
  if (h.next_insert[kOrmdb] == h.next_insert[kLmdb]) {
    if (Status st = Verify(h.engines, data, h.next_insert[kOrmdb], flags.smoke ? 2000 : 20000); !st.ok()) {
      std::fprintf(stderr, "error: the engines disagree after the runs: %s\n", st.ToString().c_str());
      rc = 1;
    } else {
      std::fprintf(stderr, "verified: both engines hold the same %zu entries after the runs\n", h.next_insert[kOrmdb]);
    }
  }
  if (results.errors() > 0) std::fprintf(stderr, "error: %d benchmark run(s) failed\n", results.errors());
  return rc;
}

}  // namespace
}  // namespace ormdb::bench

int main(int argc, char** argv) { return ormdb::bench::Run(argc, argv); }
