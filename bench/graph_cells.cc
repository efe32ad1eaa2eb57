#include "bench/graph_cells.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "bench/bench_stats.h"

namespace ormdb::bench::graph {

using Clock = std::chrono::steady_clock;

std::string ContenderName(const Contender& c, Workload w) {
  switch (c.system) {
    case System::kOrmdb: return "ormDB";
    case System::kOrmdbPrepared: return "ormDB prepared";
    case System::kSqlite: return "SQLite " + std::string(StrategyName(c.strategy, w));
  }
  return "?";
}

std::vector<Contender> ContendersOf(Workload w) {
  std::vector<Contender> out = {{System::kOrmdb}, {System::kOrmdbPrepared}};
  if (w == Workload::kPoint) {
    out.push_back({System::kSqlite, Strategy::kNPlusOne});
  } else {
    for (Strategy st : kAllStrategies) out.push_back({System::kSqlite, st});
  }
  return out;
}

Result<std::unique_ptr<ThreadContext>> OpenThreadContext(Systems* s) {
  auto ctx = std::make_unique<ThreadContext>();
  ASSIGN_OR_RETURN(ctx->prepared, PreparedRequests::Prepare(s->db.get()));
  ASSIGN_OR_RETURN(ctx->sqlite, SqliteSession::Open(s->sqlite_path, s->sqlite_options));
  return ctx;
}

Status RunOperation(Systems* s, ThreadContext* ctx, const Contender& c, Workload w, int64_t param, Fingerprint* f) {
  if (c.system == System::kSqlite) {
    RETURN_IF_ERROR(ctx->sqlite->Fetch(w, c.strategy, param, &ctx->graph));
    *f = FingerprintOf(ctx->graph, false);
    return Status::OK();
  }
  Result<query::QueryResult> r =
      c.system == System::kOrmdb ? s->db->Execute(RequestText(w, param)) : ctx->prepared->Run(w, param);
  if (!r.ok()) return r.status();
  ASSIGN_OR_RETURN(*f, FingerprintOfBlocks(*r, w));
  return Status::OK();
}

// ---------------------------------------------------------------- parameters

namespace {

// W4's t: the creation time of post j, at least this many posts from the newest.
constexpr int64_t kFilteredTail = 500;

int64_t PostCreatedAt(int64_t j) { return (1'700'000'000 + 10 * j) * kMicrosPerSecond; }

}  // namespace

int64_t DistinctParams(Workload w, const Systems& s) {
  switch (w) {
    case Workload::kPoint:
    case Workload::kGraph: return s.users;
    case Workload::kPage: return std::max<int64_t>(1, s.users - kPageUsers + 1);
    case Workload::kFiltered: return std::max<int64_t>(1, s.posts - kFilteredTail);
  }
  return 1;
}

namespace {

// The i-th of the DistinctParams(w) parameters.
int64_t NthParam(Workload w, int64_t i) {
  switch (w) {
    case Workload::kPoint:
    case Workload::kGraph: return i + 1;
    case Workload::kPage: return i;
    case Workload::kFiltered: return PostCreatedAt(i + 1);
  }
  return 0;
}

}  // namespace

int64_t RandomParam(Workload w, const Systems& s, SplitMix64* rng) {
  return NthParam(w, static_cast<int64_t>(rng->Next() % static_cast<uint64_t>(DistinctParams(w, s))));
}

std::vector<int64_t> DistinctRandomParams(Workload w, const Systems& s, size_t n, SplitMix64* rng) {
  std::vector<int64_t> all(static_cast<size_t>(DistinctParams(w, s)));
  for (size_t i = 0; i < all.size(); ++i) all[i] = NthParam(w, static_cast<int64_t>(i));
  n = std::min(n, all.size());
  for (size_t i = 0; i < n; ++i) {  // a partial Fisher-Yates: the first n are a random sample
    size_t j = i + static_cast<size_t>(rng->Next() % (all.size() - i));
    std::swap(all[i], all[j]);
  }
  all.resize(n);
  return all;
}

// --------------------------------------------------------------------- cells

namespace {

Status CheckEntities(const Systems& s, Workload w, int64_t param, const Fingerprint& f) {
  const uint64_t want = s.expected_entities[static_cast<int>(w)];
  if (f.entities == want) return Status::OK();
  return Status::Corruption(std::string(WorkloadId(w)) + " with parameter " + std::to_string(param) + " returned " +
                            std::to_string(f.entities) + " entities, expected " + std::to_string(want));
}

void Summarize(std::vector<uint64_t>* latency_ns, CellRun* out) {
  std::sort(latency_ns->begin(), latency_ns->end());
  out->p50_us = Percentile(*latency_ns, 0.50);
  out->p99_us = Percentile(*latency_ns, 0.99);
}

}  // namespace

CellRun RunWarmCell(Systems* s, std::vector<std::unique_ptr<ThreadContext>>& contexts, const Contender& c,
                    Workload w, int threads, double warmup, double seconds, uint64_t seed) {
  CellRun out;
  out.ran = true;
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  struct alignas(64) Tally {
    uint64_t in_window = 0;
    std::vector<uint64_t> latency_ns;
  };
  std::vector<Tally> tallies(threads);
  const auto start = Clock::now() + std::chrono::milliseconds(5);
  const auto measure_start = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  const auto measure_end =
      measure_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Tally& tally = tallies[t];
      tally.latency_ns.reserve(1 << 16);
      SplitMix64 rng{seed * 1000003 + 977 * static_cast<uint64_t>(t)};
      ThreadContext* ctx = contexts[t].get();
      std::this_thread::sleep_until(start);
      while (!failed.load(std::memory_order_relaxed)) {
        const int64_t param = RandomParam(w, *s, &rng);
        const auto t0 = Clock::now();
        if (t0 >= measure_end) break;
        Fingerprint f;
        Status st = RunOperation(s, ctx, c, w, param, &f);
        const auto t1 = Clock::now();
        if (st.ok()) st = CheckEntities(*s, w, param, f);
        if (!st.ok()) {
          std::lock_guard lock(error_mu);
          if (out.status.ok()) out.status = st;
          failed = true;
          break;
        }
        if (t1 >= measure_start && t1 < measure_end) {
          ++tally.in_window;
          tally.latency_ns.push_back(
              static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();
  if (!out.status.ok()) return out;
  std::vector<uint64_t> all;
  for (Tally& t : tallies) {
    out.ops += t.in_window;
    all.insert(all.end(), t.latency_ns.begin(), t.latency_ns.end());
  }
  out.ops_per_s = static_cast<double>(out.ops) / seconds;
  Summarize(&all, &out);
  if (out.ops == 0) out.status = Status::Internal("no operation completed inside the window");
  return out;
}

CellRun RunColdCell(Systems* s, const Contender& c, Workload w, const std::vector<int64_t>& params) {
  CellRun out;
  out.ran = true;
  std::unique_ptr<ThreadContext> ctx = std::make_unique<ThreadContext>();
  if (c.is_ormdb()) {
    s->db.reset();  // closes (and checkpoints: nothing is left to write)
    DropFromPageCache(s->ormdb_dir);
    Result<std::unique_ptr<engine::Database>> db =
        engine::Database::Open(s->ormdb_dir, MakeDatabaseOptions(s->ormdb_options));
    if (!db.ok()) {
      out.status = db.status().Annotate("reopening ormDB");
      return out;
    }
    s->db = std::move(db).value();
    if (c.system == System::kOrmdbPrepared) {
      Result<std::unique_ptr<PreparedRequests>> p = PreparedRequests::Prepare(s->db.get());
      if (!p.ok()) {
        out.status = p.status();
        return out;
      }
      ctx->prepared = std::move(p).value();
    }
  } else {
    DropFromPageCache(s->sqlite_path);
    DropFromPageCache(s->sqlite_path + "-wal");
    DropFromPageCache(s->sqlite_path + "-shm");
    Result<std::unique_ptr<SqliteSession>> q = SqliteSession::Open(s->sqlite_path, s->sqlite_options);
    if (!q.ok()) {
      out.status = q.status();
      return out;
    }
    ctx->sqlite = std::move(q).value();
  }
  std::vector<uint64_t> latency_ns;
  latency_ns.reserve(params.size());
  const auto begin = Clock::now();
  for (int64_t param : params) {
    Fingerprint f;
    const auto t0 = Clock::now();
    Status st = RunOperation(s, ctx.get(), c, w, param, &f);
    const auto t1 = Clock::now();
    if (st.ok()) st = CheckEntities(*s, w, param, f);
    if (!st.ok()) {
      out.status = st;
      return out;
    }
    latency_ns.push_back(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  out.ops = params.size();
  out.ops_per_s = elapsed > 0 ? static_cast<double>(out.ops) / elapsed : 0;
  Summarize(&latency_ns, &out);
  return out;
}

// ---------------------------------------------------------------- the files

namespace {

void DropFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  (void)::fdatasync(fd);
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

}  // namespace

void DropFromPageCache(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec)) {
      if (e.is_regular_file(ec)) DropFile(e.path().string());
    }
  } else if (std::filesystem::exists(path, ec)) {
    DropFile(path);
  }
}

uint64_t DiskBytes(const std::string& path) {
  std::error_code ec;
  uint64_t n = 0;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec)) {
      if (e.is_regular_file(ec)) n += e.file_size(ec);
    }
  } else {
    uint64_t size = std::filesystem::file_size(path, ec);
    if (!ec) n = size;
  }
  return n;
}

}  // namespace ormdb::bench::graph
