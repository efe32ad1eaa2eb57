#include "bench/ormdb_bench_cells.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "bench/bench_stats.h"
#include "bench/graph_ormdb.h"
#include "bench/ormdb_bench_server.h"

namespace ormdb::bench::whole {

using Clock = std::chrono::steady_clock;

std::string_view OpId(Op op) {
  constexpr std::string_view ids[] = {"W1", "W2", "W3", "W4", "W6", "W7", "W8"};
  return ids[static_cast<int>(op)];
}

std::string_view OpName(Op op) {
  constexpr std::string_view names[] = {"point",          "user graph",    "page", "filtered posts",
                                        "durable insert", "nested create", "batch insert"};
  return names[static_cast<int>(op)];
}

bool IsRead(Op op) { return op <= Op::kW4; }

Workload ReadWorkload(Op op) { return graph::kAllWorkloads[std::min(static_cast<int>(op), 3)]; }

std::string_view SystemName(SystemId s) {
  switch (s) {
    case SystemId::kOrmdb: return "ormDB";
    case SystemId::kPostgres: return "PostgreSQL";
    case SystemId::kSqlite: return "SQLite";
  }
  return "?";
}

std::string ContenderName(const Contender& c, Op op) {
  std::string out(SystemName(c.system));
  if (c.system == SystemId::kOrmdb) return out;
  if (IsRead(op)) return out + " " + std::string(graph::StrategyName(c.strategy, ReadWorkload(op)));
  switch (op) {
    case Op::kW6: return out + " INSERT";
    case Op::kW7: return out + " txn";
    default: return out + " multi-row";
  }
}

std::vector<Contender> ContendersOf(Op op) {
  std::vector<Contender> out = {{SystemId::kOrmdb}};
  for (SystemId s : {SystemId::kPostgres, SystemId::kSqlite}) {
    if (op == Op::kW1 || !IsRead(op)) {
      out.push_back({s, Strategy::kNPlusOne});
    } else {
      for (Strategy st : graph::kAllStrategies) out.push_back({s, st});
    }
  }
  return out;
}

Status ClientSessions::Open(Env* env, SystemId s, bool writes) {
  switch (s) {
    case SystemId::kOrmdb:
      if (!ormdb) {
        ASSIGN_OR_RETURN(ormdb, net::Client::Connect(env->ormdb));
      }
      return Status::OK();
    case SystemId::kPostgres:
      if (!pg) {
        ASSIGN_OR_RETURN(pg, PgSession::Open(env->pg_conninfo));
      }
      return Status::OK();
    case SystemId::kSqlite:
      if (writes) {
        if (!sqlite_writer) {
          ASSIGN_OR_RETURN(sqlite_writer, SqliteWriter::Open(env->sqlite_path));
        }
      } else if (!sqlite) {
        ASSIGN_OR_RETURN(sqlite, graph::SqliteSession::Open(env->sqlite_path, env->sqlite_options));
      }
      return Status::OK();
  }
  return Status::OK();
}

uint64_t ClientSessions::WireBytes(SystemId s) const {
  if (s == SystemId::kOrmdb && ormdb) return ormdb->bytes_sent() + ormdb->bytes_received();
  if (s == SystemId::kPostgres && pg) {
    uint64_t sent = 0, received = 0;
    pg->WireBytes(&sent, &received);
    return sent + received;
  }
  return 0;
}

// --------------------------------------------------------------- operations

namespace {

std::string Words(graph::SplitMix64* rng, int n) {
  std::string out;
  uint64_t draw = 0;
  for (int i = 0; i < n; ++i) {
    if (i % 10 == 0) draw = rng->Next();
    if (i > 0) out += ' ';
    out += graph::kWords[(draw >> (6 * (i % 10))) & 63];
  }
  return out;
}

}  // namespace

NewComment MakeComment(Env* env, graph::SplitMix64* rng, int64_t post_id) {
  NewComment c;
  c.id = env->next_comment_id.fetch_add(1, std::memory_order_relaxed);
  c.post_id = post_id > 0 ? post_id : static_cast<int64_t>(rng->Next() % static_cast<uint64_t>(env->params.posts)) + 1;
  c.author_id = static_cast<int64_t>(rng->Next() % static_cast<uint64_t>(env->params.users)) + 1;
  c.created_at_us = (1'720'000'000 + c.id) * graph::kMicrosPerSecond;
  c.body = Words(rng, 12);
  return c;
}

Status RunOp(Env* env, ClientSessions* cs, const Contender& c, Op op, int64_t param, graph::SplitMix64* rng,
             OpOutcome* out) {
  if (IsRead(op)) {
    const Workload w = ReadWorkload(op);
    graph::Fingerprint f;
    switch (c.system) {
      case SystemId::kOrmdb: {
        ASSIGN_OR_RETURN(query::QueryResult r, cs->ormdb->Fetch(graph::RequestText(w, param)));
        ASSIGN_OR_RETURN(f, graph::FingerprintOfBlocks(r, w));
        out->round_trips = 1;
        break;
      }
      case SystemId::kPostgres:
        RETURN_IF_ERROR(cs->pg->Fetch(w, c.strategy, param, &cs->graph));
        f = graph::FingerprintOf(cs->graph, false);
        out->round_trips = cs->pg->queries();
        break;
      case SystemId::kSqlite:
        RETURN_IF_ERROR(cs->sqlite->Fetch(w, c.strategy, param, &cs->graph));
        f = graph::FingerprintOf(cs->graph, false);
        out->round_trips = 0;
        break;
    }
    out->entities = f.entities;
    return Status::OK();
  }
  // Writes: the same rows whoever runs them (ids from the shared counters).
  if (op == Op::kW6) {
    NewComment nc = MakeComment(env, rng, 0);
    out->entities = 1;
    switch (c.system) {
      case SystemId::kOrmdb:
        out->round_trips = 1;
        return cs->ormdb->Mutate(CreateCommentText(nc)).status();
      case SystemId::kPostgres:
        RETURN_IF_ERROR(cs->pg->InsertComment(nc));
        out->round_trips = cs->pg->queries();
        return Status::OK();
      case SystemId::kSqlite: return cs->sqlite_writer->InsertComment(nc);
    }
  }
  if (op == Op::kW7) {
    NewPost p;
    p.id = env->next_post_id.fetch_add(1, std::memory_order_relaxed);
    p.author_id = static_cast<int64_t>(rng->Next() % static_cast<uint64_t>(env->params.users)) + 1;
    p.created_at_us = (1'800'000'000 + p.id) * graph::kMicrosPerSecond;
    p.views = static_cast<int64_t>(rng->Next() % 100000);
    p.published = rng->Next() % 10 != 0;
    p.title = Words(rng, 6);
    p.body = Words(rng, 30);
    for (int i = 0; i < 10; ++i) p.comments.push_back(MakeComment(env, rng, p.id));
    out->entities = 11;
    switch (c.system) {
      case SystemId::kOrmdb:
        out->round_trips = 1;
        return cs->ormdb->Mutate(CreatePostText(p)).status();
      case SystemId::kPostgres:
        RETURN_IF_ERROR(cs->pg->InsertPost(p));
        out->round_trips = cs->pg->queries();
        return Status::OK();
      case SystemId::kSqlite: return cs->sqlite_writer->InsertPost(p);
    }
  }
  std::vector<NewComment> batch;
  batch.reserve(100);
  for (int i = 0; i < 100; ++i) batch.push_back(MakeComment(env, rng, 0));
  out->entities = 100;
  switch (c.system) {
    case SystemId::kOrmdb:
      out->round_trips = 1;
      return cs->ormdb->Mutate(CreateManyCommentsText(batch)).status();
    case SystemId::kPostgres:
      RETURN_IF_ERROR(cs->pg->InsertComments(batch));
      out->round_trips = cs->pg->queries();
      return Status::OK();
    case SystemId::kSqlite: return cs->sqlite_writer->InsertComments(batch);
  }
  return Status::OK();
}

Result<Graph> ReadAnswer(Env* env, ClientSessions* cs, const Contender& c, Op op, int64_t param) {
  (void)env;
  const Workload w = ReadWorkload(op);
  switch (c.system) {
    case SystemId::kOrmdb: {
      ASSIGN_OR_RETURN(query::QueryResult r, cs->ormdb->Fetch(graph::RequestText(w, param)));
      return graph::GraphOfBlocks(r, w);
    }
    case SystemId::kPostgres: RETURN_IF_ERROR(cs->pg->Fetch(w, c.strategy, param, &cs->graph)); break;
    case SystemId::kSqlite: RETURN_IF_ERROR(cs->sqlite->Fetch(w, c.strategy, param, &cs->graph)); break;
  }
  return cs->graph;
}

// -------------------------------------------------------------------- cells

namespace {

// RunOp, and a read must return the entities the dataset fixes.
Status RunCheckedOp(Env* env, ClientSessions* cs, const Contender& c, Op op, int64_t param, graph::SplitMix64* rng,
                    OpOutcome* o) {
  RETURN_IF_ERROR(RunOp(env, cs, c, op, param, rng, o));
  const uint64_t want = IsRead(op) ? env->expected_entities[static_cast<int>(op)] : 0;
  if (want != 0 && o->entities != want) {
    return Status::Corruption(std::string(OpId(op)) + " with parameter " + std::to_string(param) + " returned " +
                              std::to_string(o->entities) + " entities, expected " + std::to_string(want));
  }
  return Status::OK();
}

// Latency percentiles from every operation's time, and the per-operation
// averages over `ops` operations.
void FillPerOp(std::vector<uint64_t> ns, uint64_t ops, uint64_t bytes, uint64_t round_trips, uint64_t entities,
               CellResult* out) {
  std::sort(ns.begin(), ns.end());
  out->p50_us = Percentile(ns, 0.50);
  out->p99_us = Percentile(ns, 0.99);
  out->p999_us = Percentile(ns, 0.999);
  out->max_us = ns.empty() ? NAN : static_cast<double>(ns.back()) / 1e3;
  if (ops > 0) {
    out->bytes_per_op = static_cast<double>(bytes) / static_cast<double>(ops);
    out->round_trips_per_op = static_cast<double>(round_trips) / static_cast<double>(ops);
    out->entities_per_op = static_cast<double>(entities) / static_cast<double>(ops);
  }
}

}  // namespace

CellResult RunCell(Env* env, std::vector<ClientSessions>& sessions, const Contender& c, Op op, int clients,
                   double warmup, double seconds, uint64_t seed) {
  CellResult out;
  out.ran = true;
  for (int t = 0; t < clients; ++t) {
    Status st = sessions[t].Open(env, c.system, !IsRead(op));
    if (!st.ok()) {
      out.status = st.Annotate("client " + std::to_string(t));
      return out;
    }
  }
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  struct alignas(64) Tally {
    uint64_t in_window = 0, all = 0, round_trips = 0, entities = 0;
    uint64_t bytes_before = 0, bytes_after = 0;
    std::vector<uint64_t> latency_ns;
    // Operations that started in the window and ended after it: counted
    // only when none ended inside (an operation longer than the window).
    std::vector<uint64_t> late_ns;
    Clock::time_point last_end{};
  };
  std::vector<Tally> tallies(clients);
  const Meter before = env->meter ? env->meter(c.system, !IsRead(op)) : Meter{};
  const auto start = Clock::now() + std::chrono::milliseconds(5);
  const auto measure_start = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  const auto measure_end =
      measure_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int t = 0; t < clients; ++t) {
    pool.emplace_back([&, t] {
      Tally& tally = tallies[t];
      tally.latency_ns.reserve(1 << 14);
      graph::SplitMix64 rng{seed * 1000003 + 977 * static_cast<uint64_t>(t)};
      ClientSessions* cs = &sessions[t];
      tally.bytes_before = cs->WireBytes(c.system);
      std::this_thread::sleep_until(start);
      while (!failed.load(std::memory_order_relaxed)) {
        const int64_t param = IsRead(op) ? graph::RandomParam(ReadWorkload(op), env->params, &rng) : 0;
        const auto t0 = Clock::now();
        if (t0 >= measure_end) break;
        OpOutcome o;
        Status st = RunCheckedOp(env, cs, c, op, param, &rng, &o);
        const auto t1 = Clock::now();
        if (!st.ok()) {
          std::lock_guard lock(error_mu);
          if (out.status.ok()) out.status = st.Annotate(ContenderName(c, op));
          failed = true;
          break;
        }
        ++tally.all;
        tally.round_trips += static_cast<uint64_t>(o.round_trips);
        tally.entities += o.entities;
        const auto ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
        if (t1 >= measure_start && t1 < measure_end) {
          ++tally.in_window;
          tally.latency_ns.push_back(ns);
        } else if (t1 >= measure_end) {
          tally.late_ns.push_back(ns);
          tally.last_end = t1;
        }
      }
      tally.bytes_after = cs->WireBytes(c.system);
    });
  }
  for (std::thread& t : pool) t.join();
  if (!out.status.ok()) return out;
  const Meter after = env->meter ? env->meter(c.system, !IsRead(op)) : Meter{};
  std::vector<uint64_t> all;
  uint64_t ops_all = 0, rts = 0, entities = 0, bytes = 0;
  for (Tally& t : tallies) {
    out.ops += t.in_window;
    ops_all += t.all;
    rts += t.round_trips;
    entities += t.entities;
    bytes += t.bytes_after - t.bytes_before;
    all.insert(all.end(), t.latency_ns.begin(), t.latency_ns.end());
  }
  if (env->meter && ops_all > 0) {
    const double n = static_cast<double>(ops_all);
    if (c.system != SystemId::kSqlite) {
      out.server_cpu_us_per_op = static_cast<double>(after.server_cpu_ns - before.server_cpu_ns) / 1e3 / n;
    }
    out.client_cpu_us_per_op = static_cast<double>(after.client_cpu_ns - before.client_cpu_ns) / 1e3 / n;
    if (!IsRead(op) && before.syncs >= 0 && after.syncs >= 0) {
      out.syncs_per_op = static_cast<double>(after.syncs - before.syncs) / n;
    }
  }
  out.ops_per_s = static_cast<double>(out.ops) / seconds;
  if (out.ops == 0) {
    // Every operation outlasted the window (slow strategies at 64 clients
    // in short --quick cells): the rate over the time until the last ended.
    Clock::time_point last = measure_end;
    for (Tally& t : tallies) {
      out.ops += t.late_ns.size();
      all.insert(all.end(), t.late_ns.begin(), t.late_ns.end());
      last = std::max(last, t.last_end);
    }
    out.ops_per_s = static_cast<double>(out.ops) / std::chrono::duration<double>(last - measure_start).count();
  }
  FillPerOp(std::move(all), ops_all, bytes, rts, entities, &out);
  if (out.ops == 0) out.status = Status::Internal("no operation completed inside the window");
  return out;
}

CellResult RunColdCell(Env* env, ClientSessions* cs, const Contender& c, Op op, const std::vector<int64_t>& params) {
  CellResult out;
  out.ran = true;
  if (Status st = cs->Open(env, c.system, false); !st.ok()) {
    out.status = st.Annotate("reconnecting");
    return out;
  }
  const Meter before = env->meter ? env->meter(c.system, false) : Meter{};
  const uint64_t bytes_before = cs->WireBytes(c.system);
  std::vector<uint64_t> latency_ns;
  uint64_t rts = 0, entities = 0;
  graph::SplitMix64 rng{1};
  const auto begin = Clock::now();
  for (int64_t param : params) {
    OpOutcome o;
    const auto t0 = Clock::now();
    Status st = RunCheckedOp(env, cs, c, op, param, &rng, &o);
    const auto t1 = Clock::now();
    if (!st.ok()) {
      out.status = st.Annotate(ContenderName(c, op) + ", cold");
      return out;
    }
    latency_ns.push_back(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    rts += static_cast<uint64_t>(o.round_trips);
    entities += o.entities;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  const Meter after = env->meter ? env->meter(c.system, false) : Meter{};
  out.ops = params.size();
  out.ops_per_s = seconds > 0 ? static_cast<double>(out.ops) / seconds : NAN;
  FillPerOp(std::move(latency_ns), out.ops, cs->WireBytes(c.system) - bytes_before, rts, entities, &out);
  if (env->meter && out.ops > 0) {
    const double n = static_cast<double>(out.ops);
    if (c.system != SystemId::kSqlite) {
      out.server_cpu_us_per_op = static_cast<double>(after.server_cpu_ns - before.server_cpu_ns) / 1e3 / n;
    }
    out.client_cpu_us_per_op = static_cast<double>(after.client_cpu_ns - before.client_cpu_ns) / 1e3 / n;
  }
  return out;
}

// ------------------------------------------------------------ loopback probe

double LoopbackRoundTripsPerSecond(double seconds) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (listener >= 0) ::close(listener);
    return NAN;
  }
  const int one = 1;
  std::thread echo([listener, one] {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char b;
    while (::read(fd, &b, 1) == 1) {
      if (::write(fd, &b, 1) != 1) break;
    }
    ::close(fd);
  });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  uint64_t n = 0;
  double elapsed = 0;
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    char b = 'x';
    while (Clock::now() < end) {
      if (::write(fd, &b, 1) != 1 || ::read(fd, &b, 1) != 1) break;
      ++n;
    }
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  if (fd >= 0) ::close(fd);
  ::shutdown(listener, SHUT_RDWR);
  echo.join();
  ::close(listener);
  return elapsed > 0 ? static_cast<double>(n) / elapsed : NAN;
}

}  // namespace ormdb::bench::whole
