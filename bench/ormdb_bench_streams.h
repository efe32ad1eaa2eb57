// ormdb-bench's change-stream measurement (issue 8): durable one-row
// commits (W6's comments) by a fixed number of writer clients while 0, 10
// and 100 subscribers follow every Comment change over the protocol. It
// reports the commit rate with each subscriber count against the rate with
// none (the goal: under 10% loss at 100), and the latency from a commit to
// its delivery: from the writer's request to the subscriber's frame (an
// upper bound: it includes the commit's fdatasync) and from the writer's
// acknowledgement to the frame (negative when the event beat the ack).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/ormdb_bench_cells.h"

namespace ormdb::bench::whole {

struct StreamCell {
  Status status;
  int subscribers = 0;
  double commits_per_s = 0;
  uint64_t commits = 0;     // acknowledged in the window
  uint64_t delivered = 0;   // events received by all subscribers (all of them, window or not)
  uint64_t expected = 0;    // commits x subscribers: every subscriber must see every commit
  double write_p50_us = 0, write_p99_us = 0;  // request sent -> event received
  double ack_p50_us = 0, ack_p99_us = 0;      // ack received -> event received (signed)
};

struct StreamOptions {
  std::vector<int> subscribers = {0, 10, 100};
  // What every subscriber asks for (docs/change-streams.md).
  std::string spec = R"({"models":["Comment"],"new":true})";
  int writers = 8;
  double warmup = 1, seconds = 5;
  int reps = 3;
};

using StreamProgress = std::function<void(std::string_view what, uint64_t done, uint64_t total)>;

// Runs reps x subscriber counts cells (the counts' order rotated per
// repetition); results by repetition, then by count in options.subscribers order.
std::vector<std::vector<StreamCell>> RunStreamCells(Env* env, const StreamOptions& options,
                                                    const StreamProgress& progress);

// The table, the medians and the goal, for people.
void PrintStreams(FILE* out, const StreamOptions& options, const std::vector<std::vector<StreamCell>>& reps);

}  // namespace ormdb::bench::whole
