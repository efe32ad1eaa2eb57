// Small statistics and number formatting for the whole-workload benchmarks'
// reports: medians and spreads of repetitions, percentiles of latencies,
// "12,345" and fixed-point text.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ormdb::bench {

// Of the non-NaN values; NaN when there are none.
inline double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// (max - min) / median of the non-NaN values; NaN with fewer than two.
inline double Spread(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  double med = Median(v);
  if (v.size() < 2 || !(med > 0)) return NAN;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return (*hi - *lo) / med;
}

// The p-quantile (nearest rank) of sorted nanoseconds, in microseconds.
inline double Percentile(const std::vector<uint64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return NAN;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_ns.size())));
  return static_cast<double>(sorted_ns[std::max<size_t>(rank, 1) - 1]) / 1e3;
}

// 12345.6 -> "12,346"; NaN -> "-".
inline std::string Thousands(double x) {
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

inline std::string Fixed(double x, int decimals) {
  if (std::isnan(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  return buf;
}

}  // namespace ormdb::bench
