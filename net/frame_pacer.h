// How far apart an event loop spaces each change stream's Changes frames
// while commits keep coming (docs/change-streams.md, "Batching" and "A frame
// budget"): at least the batch interval, and longer when the loop's busy
// streams would send more than its share of the server's frames a second.
// The loop counts the streams that sent frames over fixed windows; at the
// end of each, the interval becomes streams x 1 s / share.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ormdb::net {

class FramePacer {
 public:
  static constexpr int64_t kWindowUs = 100'000;

  // `frames_per_second`: the whole server's budget (0: none), shared
  // equally by `loops` event loops.
  FramePacer(uint32_t batch_us, uint32_t frames_per_second, size_t loops)
      : batch_us_(batch_us), share_(Share(frames_per_second, loops)), interval_us_(batch_us) {}

  // How long a stream waits after its last frame before the next.
  int64_t interval_us() const { return interval_us_; }

  // A stream sent a frame at `now_us`. `*stream_window` is the stream's own
  // mark of the last window it was counted in (0 at first).
  void CountFrame(uint64_t* stream_window, int64_t now_us) {
    if (now_us - window_start_us_ >= kWindowUs) {
      interval_us_ = batch_us_;
      if (share_ > 0) {
        interval_us_ = std::max<int64_t>(interval_us_, static_cast<int64_t>(streams_) * 1'000'000 / share_);
      }
      window_start_us_ = now_us;
      ++window_;
      streams_ = 0;
    }
    if (*stream_window != window_) {
      *stream_window = window_;
      ++streams_;
    }
  }

 private:
  static int64_t Share(uint32_t frames_per_second, size_t loops) {
    if (frames_per_second == 0) return 0;
    return std::max<int64_t>(1, frames_per_second / std::max<int64_t>(1, static_cast<int64_t>(loops)));
  }

  const int64_t batch_us_;
  const int64_t share_;  // frames a second this loop may send; 0: no bound
  int64_t interval_us_;
  int64_t window_start_us_ = INT64_MIN / 2;
  uint64_t window_ = 1;
  uint32_t streams_ = 0;  // counted in the current window
};

}  // namespace ormdb::net
