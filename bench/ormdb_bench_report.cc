#include "bench/ormdb_bench_report.h"

#include <cmath>
#include <cstdio>

#include "bench/bench_stats.h"

namespace ormdb::bench::whole {

namespace {

// Per repetition, the best ops/s among `peer`'s strategies (and which).
double PeerBest(const Runs& runs, int rep, Op op, int clients, SystemId peer, size_t* which) {
  const std::vector<Contender> cs = ContendersOf(op);
  double best = NAN;
  for (size_t i = 0; i < cs.size(); ++i) {
    if (cs[i].system != peer) continue;
    const CellResult* r = runs.Get(rep, op, clients, i);
    if (r == nullptr || !r->good()) continue;
    if (std::isnan(best) || r->ops_per_s > best) {
      best = r->ops_per_s;
      if (which != nullptr) *which = i;
    }
  }
  return best;
}

std::vector<double> Series(const Runs& runs, const ReportContext& ctx, Op op, int clients, size_t i,
                           double CellResult::*field) {
  std::vector<double> v;
  for (int rep = 0; rep < ctx.reps; ++rep) {
    const CellResult* r = runs.Get(rep, op, clients, i);
    v.push_back(r != nullptr && r->good() ? r->*field : NAN);
  }
  return v;
}

struct Goal {
  Op op;
  int clients;
  const char* what;
  double target;  // ratio
  bool vs_loopback = false;
};

std::vector<Goal> Goals(const ReportContext& ctx) {
  std::vector<Goal> out;
  for (int c : {1, 8, 64}) {
    out.push_back({Op::kW2, c, "W2 user graph vs PostgreSQL best", 5.0});
    out.push_back({Op::kW3, c, "W3 page vs PostgreSQL best", 5.0});
  }
  out.push_back({Op::kW1, 1, "W1 point vs the loopback round-trip rate", 0.8, true});
  out.push_back({Op::kW6, 1, "W6 durable insert vs PostgreSQL", 1.5});
  out.push_back({Op::kW6, 64, "W6 durable insert vs PostgreSQL", 5.0});
  std::vector<Goal> kept;
  for (const Goal& g : out) {
    bool has_op = false, has_clients = false;
    for (Op o : ctx.ops) has_op |= o == g.op;
    for (int c : ctx.clients) has_clients |= c == g.clients;
    if (has_op && has_clients) kept.push_back(g);
  }
  return kept;
}

double GoalValue(const Runs& runs, const ReportContext& ctx, const Goal& g) {
  if (!g.vs_loopback) return PairedRatio(runs, ctx, g.op, g.clients, SystemId::kPostgres);
  return Median(Series(runs, ctx, g.op, g.clients, 0, &CellResult::ops_per_s)) / ctx.loopback_rt_per_s;
}

std::string JsonNumber(double x) {
  if (std::isnan(x) || std::isinf(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", x);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

double PairedRatio(const Runs& runs, const ReportContext& ctx, Op op, int clients, SystemId peer) {
  std::vector<double> ratios;
  for (int rep = 0; rep < ctx.reps; ++rep) {
    const CellResult* o = runs.Get(rep, op, clients, 0);
    const double best = PeerBest(runs, rep, op, clients, peer, nullptr);
    if (o == nullptr || !o->good() || !(best > 0)) continue;
    ratios.push_back(o->ops_per_s / best);
  }
  return Median(ratios);
}

void PrintTables(const Runs& runs, const ReportContext& ctx) {
  for (Op op : ctx.ops) {
    std::printf("\n%s %s\n", std::string(OpId(op)).c_str(), std::string(OpName(op)).c_str());
    std::printf("%7s  %-22s %12s %7s %9s %9s %9s %11s %7s %9s %15s%s\n", "clients", "contender", "ops/s", "spread",
                "p50 us", "p99 us", "p999 us", "bytes/op", "RT/op", "entities", "CPU us/op s+c",
                IsRead(op) ? "" : "  syncs/op");
    const std::vector<Contender> cs = ContendersOf(op);
    for (int clients : ctx.clients) {
      for (size_t i = 0; i < cs.size(); ++i) {
        const std::vector<double> ops = Series(runs, ctx, op, clients, i, &CellResult::ops_per_s);
        const double spread = Spread(ops);
        std::string failed;
        for (int rep = 0; rep < ctx.reps; ++rep) {
          const CellResult* r = runs.Get(rep, op, clients, i);
          if (r != nullptr && !r->status.ok()) failed = r->status.ToString();
        }
        const double server_cpu = Median(Series(runs, ctx, op, clients, i, &CellResult::server_cpu_us_per_op));
        const double client_cpu = Median(Series(runs, ctx, op, clients, i, &CellResult::client_cpu_us_per_op));
        const double syncs = Median(Series(runs, ctx, op, clients, i, &CellResult::syncs_per_op));
        const std::string cpu = std::isnan(client_cpu) ? "-"
                                : (std::isnan(server_cpu) ? "-" : Fixed(server_cpu, 0)) + " + " + Fixed(client_cpu, 0);
        std::printf("%7d  %-22s %12s %7s %9s %9s %9s %11s %7s %9s %15s%s%s\n", clients, ContenderName(cs[i], op).c_str(),
                    Thousands(Median(ops)).c_str(),
                    std::isnan(spread) ? "" : (Fixed(100 * spread, 0) + (spread > 0.15 ? "%!" : "%")).c_str(),
                    Fixed(Median(Series(runs, ctx, op, clients, i, &CellResult::p50_us)), 0).c_str(),
                    Fixed(Median(Series(runs, ctx, op, clients, i, &CellResult::p99_us)), 0).c_str(),
                    Fixed(Median(Series(runs, ctx, op, clients, i, &CellResult::p999_us)), 0).c_str(),
                    cs[i].system == SystemId::kSqlite
                        ? "embedded"
                        : Thousands(Median(Series(runs, ctx, op, clients, i, &CellResult::bytes_per_op))).c_str(),
                    Fixed(Median(Series(runs, ctx, op, clients, i, &CellResult::round_trips_per_op)), 1).c_str(),
                    Thousands(Median(Series(runs, ctx, op, clients, i, &CellResult::entities_per_op))).c_str(),
                    cpu.c_str(), IsRead(op) ? "" : ("  " + (std::isnan(syncs) ? std::string("-") : Fixed(syncs, 2))).c_str(),
                    failed.empty() ? "" : ("  FAILED: " + failed).c_str());
      }
      size_t pg_best = 0, sq_best = 0;
      PeerBest(runs, 0, op, clients, SystemId::kPostgres, &pg_best);
      PeerBest(runs, 0, op, clients, SystemId::kSqlite, &sq_best);
      std::printf("%7d  ormDB / PostgreSQL best (%s): %s   ormDB / SQLite best (%s): %s\n", clients,
                  ContenderName(cs[pg_best], op).c_str(),
                  Fixed(PairedRatio(runs, ctx, op, clients, SystemId::kPostgres), 2).c_str(),
                  ContenderName(cs[sq_best], op).c_str(),
                  Fixed(PairedRatio(runs, ctx, op, clients, SystemId::kSqlite), 2).c_str());
    }
  }
}

bool PrintGoals(const Runs& runs, const ReportContext& ctx) {
  bool all_met = true;
  std::printf("\nGoals (issue 7; ratios are medians of per-repetition paired ratios)\n");
  for (const Goal& g : Goals(ctx)) {
    const double v = GoalValue(runs, ctx, g);
    const bool met = v >= g.target;
    all_met &= met;
    std::printf("  %-45s %2d client%s  %6s  goal %s%.2f  %s\n", g.what, g.clients, g.clients == 1 ? " " : "s",
                Fixed(v, 2).c_str(), g.vs_loopback ? ">= " : ">= ", g.target,
                std::isnan(v) ? "not measured"
                : met         ? "met"
                              : ("MISSED by " + Fixed(100 * (1 - v / g.target), 0) + "%").c_str());
  }
  return all_met;
}

namespace {

// Every cell of `runs` as JSON objects, each on a line of its own.
std::string CellsJson(const Runs& runs, const ReportContext& ctx) {
  std::string o;
  bool first = true;
  for (Op op : ctx.ops) {
    const std::vector<Contender> cs = ContendersOf(op);
    for (int clients : ctx.clients) {
      for (size_t i = 0; i < cs.size(); ++i) {
        for (int rep = 0; rep < ctx.reps; ++rep) {
          const CellResult* r = runs.Get(rep, op, clients, i);
          if (r == nullptr) continue;
          o += first ? "\n    " : ",\n    ";
          first = false;
          o += "{\"workload\": \"" + std::string(OpId(op)) + "\", \"clients\": " + std::to_string(clients) +
               ", \"contender\": " + JsonString(ContenderName(cs[i], op)) +
               ", \"system\": \"" + std::string(SystemName(cs[i].system)) + "\", \"rep\": " + std::to_string(rep) +
               ", \"ok\": " + (r->good() ? "true" : "false") + ", \"ops_per_s\": " + JsonNumber(r->ops_per_s) +
               ", \"p50_us\": " + JsonNumber(r->p50_us) + ", \"p99_us\": " + JsonNumber(r->p99_us) +
               ", \"p999_us\": " + JsonNumber(r->p999_us) + ", \"max_us\": " + JsonNumber(r->max_us) +
               ", \"bytes_per_op\": " + JsonNumber(r->bytes_per_op) +
               ", \"round_trips_per_op\": " + JsonNumber(r->round_trips_per_op) +
               ", \"entities_per_op\": " + JsonNumber(r->entities_per_op) +
               ", \"server_cpu_us_per_op\": " + JsonNumber(r->server_cpu_us_per_op) +
               ", \"client_cpu_us_per_op\": " + JsonNumber(r->client_cpu_us_per_op) +
               ", \"syncs_per_op\": " + JsonNumber(r->syncs_per_op) + ", \"ops\": " + std::to_string(r->ops) +
               (r->status.ok() ? "" : ", \"error\": " + JsonString(r->status.ToString())) + "}";
        }
      }
    }
  }
  return o;
}

}  // namespace

std::string ToJson(const Runs& runs, const ReportContext& ctx, const Runs* cold, const ReportContext* cold_ctx) {
  std::string o = "{\n  \"tool\": \"ormdb-bench\",\n  \"reps\": " + std::to_string(ctx.reps) +
                  ",\n  \"loopback_round_trips_per_s\": " + JsonNumber(ctx.loopback_rt_per_s) +
                  ",\n  \"fingerprint\": [";
  for (size_t i = 0; i < ctx.fingerprint.size(); ++i) o += (i ? ", " : "") + JsonString(ctx.fingerprint[i]);
  o += "],\n  \"cells\": [" + CellsJson(runs, ctx);
  if (cold != nullptr) o += "\n  ],\n  \"cold_cells\": [" + CellsJson(*cold, *cold_ctx);
  bool first = true;
  o += "\n  ],\n  \"ratios\": [";
  first = true;
  for (Op op : ctx.ops) {
    for (int clients : ctx.clients) {
      o += first ? "\n    " : ",\n    ";
      first = false;
      o += "{\"workload\": \"" + std::string(OpId(op)) + "\", \"clients\": " + std::to_string(clients) +
           ", \"vs_postgres_best\": " + JsonNumber(PairedRatio(runs, ctx, op, clients, SystemId::kPostgres)) +
           ", \"vs_sqlite_best\": " + JsonNumber(PairedRatio(runs, ctx, op, clients, SystemId::kSqlite)) + "}";
    }
  }
  o += "\n  ],\n  \"goals\": [";
  first = true;
  for (const Goal& g : Goals(ctx)) {
    o += first ? "\n    " : ",\n    ";
    first = false;
    const double v = GoalValue(runs, ctx, g);
    o += "{\"goal\": " + JsonString(g.what) + ", \"clients\": " + std::to_string(g.clients) +
         ", \"target\": " + JsonNumber(g.target) + ", \"value\": " + JsonNumber(v) +
         ", \"met\": " + (v >= g.target ? "true" : "false") + "}";
  }
  return o + "\n  ]\n}\n";
}

// Horizontal bars, one group per workload x client count: ormDB's ratio to
// PostgreSQL's and SQLite's best, on a log scale with the 1x line.
std::string ToSvg(const Runs& runs, const ReportContext& ctx) {
  struct Bar {
    std::string label;
    double pg, sq;
  };
  std::vector<Bar> bars;
  for (Op op : ctx.ops) {
    for (int clients : ctx.clients) {
      bars.push_back({std::string(OpId(op)) + " " + std::string(OpName(op)) + ", " + std::to_string(clients) +
                          (clients == 1 ? " client" : " clients"),
                      PairedRatio(runs, ctx, op, clients, SystemId::kPostgres),
                      PairedRatio(runs, ctx, op, clients, SystemId::kSqlite)});
    }
  }
  const double lo = 0.01, hi = 100;  // log axis
  const int left = 230, width = 560, row = 34, top = 50;
  const int height = top + row * static_cast<int>(bars.size()) + 40;
  auto x_of = [&](double v) {
    v = std::clamp(v, lo, hi);
    return left + width * (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  };
  char buf[512];
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(left + width + 80) +
                  "\" height=\"" + std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<text x=\"10\" y=\"20\" font-size=\"15\">ormdb-bench: ormDB ops/s over the peer's best strategy "
       "(paired median; log scale)</text>\n";
  s += "<rect x=\"10\" y=\"28\" width=\"10\" height=\"10\" fill=\"#336699\"/><text x=\"24\" y=\"37\">vs PostgreSQL "
       "best</text><rect x=\"150\" y=\"28\" width=\"10\" height=\"10\" fill=\"#cc8833\"/><text x=\"164\" "
       "y=\"37\">vs SQLite best</text>\n";
  for (double tick : {0.01, 0.1, 1.0, 10.0, 100.0}) {
    std::snprintf(buf, sizeof(buf),
                  "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/><text x=\"%.1f\" y=\"%d\" "
                  "text-anchor=\"middle\">%gx</text>\n",
                  x_of(tick), top - 5, x_of(tick), height - 30, tick == 1.0 ? "#000" : "#ccc", x_of(tick),
                  height - 15, tick);
    s += buf;
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const int y = top + row * static_cast<int>(i);
    std::snprintf(buf, sizeof(buf), "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 6, y + 18,
                  bars[i].label.c_str());
    s += buf;
    int k = 0;
    for (double v : {bars[i].pg, bars[i].sq}) {
      const int by = y + 4 + 13 * k;
      const char* color = k == 0 ? "#336699" : "#cc8833";
      ++k;
      if (std::isnan(v)) continue;
      const double x0 = x_of(1.0), x1 = x_of(v);
      std::snprintf(buf, sizeof(buf),
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"11\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\" "
                    "font-size=\"10\">%.2fx</text>\n",
                    std::min(x0, x1), by, std::fabs(x1 - x0), color, std::max(x0, x1) + 3, by + 10, v);
      s += buf;
    }
  }
  return s + "</svg>\n";
}

}  // namespace ormdb::bench::whole
