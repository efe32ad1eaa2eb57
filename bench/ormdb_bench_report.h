// ormdb-bench's summary: per workload and client count a table of every
// contender over the repetitions (median ops/s and spread, latencies, bytes
// and round trips per operation), ormDB's paired ratios against each peer's
// best strategy, the goals of issue 7, and the same as JSON or SVG bars.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bench/ormdb_bench_cells.h"

namespace ormdb::bench::whole {

class Runs {
 public:
  void Put(int rep, Op op, int clients, size_t contender, CellResult r) {
    cells_[{rep, static_cast<int>(op), clients, contender}] = std::move(r);
  }
  const CellResult* Get(int rep, Op op, int clients, size_t contender) const {
    auto it = cells_.find({rep, static_cast<int>(op), clients, contender});
    return it == cells_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::tuple<int, int, int, size_t>, CellResult> cells_;
};

struct ReportContext {
  int reps = 1;
  std::vector<Op> ops;
  std::vector<int> clients;
  double loopback_rt_per_s = 0;
  std::vector<std::string> fingerprint;  // "key: value" lines about the machine and the peers
};

// The median over repetitions of ormDB's ops/s over the best strategy of
// `peer` in the same repetition; NaN when missing.
double PairedRatio(const Runs& runs, const ReportContext& ctx, Op op, int clients, SystemId peer);

void PrintTables(const Runs& runs, const ReportContext& ctx);
// The goals of issue 7, met or missed by how much; false when one is missed.
bool PrintGoals(const Runs& runs, const ReportContext& ctx);
// `cold`: the cold cells too (one client, one repetition), as "cold_cells".
std::string ToJson(const Runs& runs, const ReportContext& ctx, const Runs* cold = nullptr,
                   const ReportContext* cold_ctx = nullptr);
std::string ToSvg(const Runs& runs, const ReportContext& ctx);

}  // namespace ormdb::bench::whole
