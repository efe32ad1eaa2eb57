#include "bench/graph_report.h"

#include <cmath>
#include <cstdio>

#include "bench/bench_stats.h"

namespace ormdb::bench::graph {

namespace {

constexpr double kSpreadFlag = 0.15;

// "met, 12% above" / "MISSED by 30%".
std::string GoalText(double ratio, double goal) {
  if (std::isnan(goal)) return "";
  if (std::isnan(ratio)) return "-";
  if (ratio >= goal) return "met, " + Fixed((ratio / goal - 1) * 100, 0) + "% above";
  return "MISSED by " + Fixed((1 - ratio / goal) * 100, 0) + "%";
}

// Per repetition, the best SQLite strategy's ops/s and its contender index
// (NaN / -1 when none ran well).
std::vector<std::pair<double, int>> BestSqlite(const Runs& runs, const ReportContext& ctx, Workload w,
                                               size_t setting) {
  const std::vector<Contender> cs = ContendersOf(w);
  std::vector<std::pair<double, int>> best;
  for (int r = 0; r < ctx.reps; ++r) {
    std::pair<double, int> b{NAN, -1};
    for (size_t c = 0; c < cs.size(); ++c) {
      if (cs[c].is_ormdb()) continue;
      const CellRun* run = runs.Get(r, w, setting, c);
      if (run == nullptr || !run->good()) continue;
      if (b.second < 0 || run->ops_per_s > b.first) b = {run->ops_per_s, static_cast<int>(c)};
    }
    best.push_back(b);
  }
  return best;
}

std::vector<double> Field(const Runs& runs, const ReportContext& ctx, Workload w, size_t setting, size_t c,
                          double CellRun::*field) {
  std::vector<double> v;
  for (int r = 0; r < ctx.reps; ++r) {
    const CellRun* run = runs.Get(r, w, setting, c);
    v.push_back(run != nullptr && run->good() ? run->*field : NAN);
  }
  return v;
}

}  // namespace

std::string SettingName(const Setting& s) {
  return std::string(s.cold ? "cold" : "warm") + ", " + std::to_string(s.threads) +
         (s.threads == 1 ? " thread" : " threads");
}

bool Applies(const Setting& s, Workload w) { return !s.cold || w != Workload::kFiltered; }

double GoalRatio(Workload w) {
  switch (w) {
    case Workload::kPoint: return 2.0;
    case Workload::kGraph: return 3.0;
    case Workload::kPage: return 5.0;
    case Workload::kFiltered: return NAN;
  }
  return NAN;
}

void Runs::Put(int rep, Workload w, size_t setting, size_t contender, CellRun run) {
  cells_[{rep, static_cast<int>(w), setting, contender}] = std::move(run);
}

const CellRun* Runs::Get(int rep, Workload w, size_t setting, size_t contender) const {
  auto it = cells_.find({rep, static_cast<int>(w), setting, contender});
  return it == cells_.end() ? nullptr : &it->second;
}

double PairedRatio(const Runs& runs, const ReportContext& ctx, Workload w, size_t setting, size_t ormdb) {
  std::vector<std::pair<double, int>> best = BestSqlite(runs, ctx, w, setting);
  std::vector<double> ratios;
  for (int r = 0; r < ctx.reps; ++r) {
    const CellRun* run = runs.Get(r, w, setting, ormdb);
    if (run == nullptr || !run->good() || best[r].second < 0 || !(best[r].first > 0)) continue;
    ratios.push_back(run->ops_per_s / best[r].first);
  }
  return Median(ratios);
}

void PrintWorkload(const Runs& runs, const ReportContext& ctx, Workload w) {
  const std::vector<Contender> cs = ContendersOf(w);
  const double goal = GoalRatio(w);
  std::printf("\n## %s %s: %s\n", std::string(WorkloadId(w)).c_str(), std::string(WorkloadName(w)).c_str(),
              std::string(WorkloadShape(w)).c_str());
  std::printf("%llu entities per operation; SQLite queries per operation:",
              static_cast<unsigned long long>(ctx.systems->expected_entities[static_cast<int>(w)]));
  for (const Contender& c : cs) {
    if (c.is_ormdb()) continue;
    std::printf(" %s %d", std::string(StrategyName(c.strategy, w)).c_str(),
                ctx.queries[static_cast<int>(w)][static_cast<int>(c.strategy)]);
  }
  if (std::isnan(goal)) {
    std::printf("; no goal\n\n");
  } else {
    std::printf("; goal: ormDB >= %.0fx SQLite's best\n\n", goal);
  }
  std::printf("| %-15s | %-14s | %9s | %6s | %8s | %8s | %-11s | %-18s |\n", "cell", "contender", "ops/s", "spread",
              "p50 us", "p99 us", "vs SQLite", "goal");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(17, '-').c_str(), std::string(16, '-').c_str(),
              std::string(10, '-').append(":").c_str(), std::string(7, '-').append(":").c_str(),
              std::string(9, '-').append(":").c_str(), std::string(9, '-').append(":").c_str(),
              std::string(13, '-').c_str(), std::string(20, '-').c_str());
  for (size_t si = 0; si < ctx.settings.size(); ++si) {
    if (!Applies(ctx.settings[si], w)) continue;
    std::vector<std::pair<double, int>> best = BestSqlite(runs, ctx, w, si);
    bool first = true;
    for (size_t c = 0; c < cs.size(); ++c) {
      std::vector<double> ops = Field(runs, ctx, w, si, c, &CellRun::ops_per_s);
      const double spread = Spread(ops);
      std::string vs, goal_text;
      if (cs[c].is_ormdb()) {
        const double ratio = PairedRatio(runs, ctx, w, si, c);
        vs = Fixed(ratio, 2) + "x";
        goal_text = GoalText(ratio, goal);
      } else {
        int wins = 0;
        for (const auto& b : best) wins += b.second == static_cast<int>(c) ? 1 : 0;
        if (wins > 0) vs = "best " + std::to_string(wins) + "/" + std::to_string(ctx.reps);
      }
      std::printf("| %-15s | %-14s | %9s | %5s%s | %8s | %8s | %-11s | %-18s |\n",
                  first ? SettingName(ctx.settings[si]).c_str() : "", ContenderName(cs[c], w).c_str(),
                  Thousands(Median(ops)).c_str(), std::isnan(spread) ? "-" : (Fixed(spread * 100, 0) + "%").c_str(),
                  spread > kSpreadFlag ? "*" : " ", Fixed(Median(Field(runs, ctx, w, si, c, &CellRun::p50_us)), 0).c_str(),
                  Fixed(Median(Field(runs, ctx, w, si, c, &CellRun::p99_us)), 0).c_str(), vs.c_str(),
                  goal_text.c_str());
      first = false;
    }
  }
}

void PrintGoals(const Runs& runs, const ReportContext& ctx, const std::vector<Workload>& workloads) {
  std::printf("\n## Goals: ormDB's ops/s over SQLite's best strategy in the same repetition (median of the paired "
              "ratios)\n\n");
  for (Workload w : workloads) {
    const double goal = GoalRatio(w);
    const std::vector<Contender> cs = ContendersOf(w);
    for (size_t si = 0; si < ctx.settings.size(); ++si) {
      if (!Applies(ctx.settings[si], w)) continue;
      std::printf("%s %-14s %-15s", std::string(WorkloadId(w)).c_str(), std::string(WorkloadName(w)).c_str(),
                  SettingName(ctx.settings[si]).c_str());
      for (size_t c = 0; c < cs.size(); ++c) {
        if (!cs[c].is_ormdb()) continue;
        const double ratio = PairedRatio(runs, ctx, w, si, c);
        std::printf("  %s %sx", ContenderName(cs[c], w).c_str(), Fixed(ratio, 2).c_str());
        if (!std::isnan(goal)) std::printf(" (goal %.0fx: %s)", goal, GoalText(ratio, goal).c_str());
      }
      std::printf("\n");
    }
  }
}

}  // namespace ormdb::bench::graph
