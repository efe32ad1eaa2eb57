// graph_bench's summary: per workload a table of every cell (setting x
// contender) over the repetitions, ormDB's ratios to SQLite's best strategy
// (paired per repetition) and the goals.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bench/graph_cells.h"

namespace ormdb::bench::graph {

// How a cell runs: warm (closed loop, `threads` threads) or cold (1 thread).
struct Setting {
  bool cold = false;
  int threads = 1;
};
std::string SettingName(const Setting& s);  // "warm, 1 thread", "cold, 1 thread"
// Whether workload `w` runs in setting `s` (cold only W1-W3).
bool Applies(const Setting& s, Workload w);

// ormDB's goal over SQLite's best strategy (ops/s ratio); NaN: none.
double GoalRatio(Workload w);

class Runs {
 public:
  void Put(int rep, Workload w, size_t setting, size_t contender, CellRun run);
  // nullptr when the cell did not run.
  const CellRun* Get(int rep, Workload w, size_t setting, size_t contender) const;

 private:
  std::map<std::tuple<int, int, size_t, size_t>, CellRun> cells_;
};

struct ReportContext {
  int reps = 1;
  std::vector<Setting> settings;
  const Systems* systems = nullptr;
  int queries[kWorkloads][kStrategies] = {};  // SQLite queries per operation, from the checks
};

// The median over repetitions of contender `ormdb`'s ops/s over the best
// SQLite strategy's in the same repetition.
double PairedRatio(const Runs& runs, const ReportContext& ctx, Workload w, size_t setting, size_t ormdb);

void PrintWorkload(const Runs& runs, const ReportContext& ctx, Workload w);
void PrintGoals(const Runs& runs, const ReportContext& ctx, const std::vector<Workload>& workloads);

}  // namespace ormdb::bench::graph
