#include "bench/ormdb_bench_streams.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bench/bench_stats.h"
#include "bench/ormdb_bench_server.h"

namespace ormdb::bench::whole {
namespace {

using Clock = std::chrono::steady_clock;

int64_t Ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The "version" of every event in a Changes page's JSON, without parsing
// the rest: each event object starts {"version":N.
void EventVersions(std::string_view json, std::vector<uint64_t>* out) {
  static constexpr std::string_view kKey = "{\"version\":";
  for (size_t at = json.find(kKey); at != std::string_view::npos; at = json.find(kKey, at + 1)) {
    out->push_back(std::strtoull(json.data() + at + kKey.size(), nullptr, 10));
  }
}

// The p-quantile of signed nanoseconds, in microseconds.
double SignedPercentile(std::vector<int64_t>& ns, double p) {
  if (ns.empty()) return NAN;
  std::sort(ns.begin(), ns.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(ns.size())));
  return static_cast<double>(ns[std::max<size_t>(rank, 1) - 1]) / 1e3;
}

StreamCell RunOne(Env* env, const StreamOptions& o, int subscribers, uint64_t seed) {
  StreamCell cell;
  cell.subscribers = subscribers;
  net::ClientOptions copts = env->ormdb;
  copts.io_timeout_ms = 60'000;  // a stuck server fails the cell instead of hanging the run

  // Subscribers first, each from now on.
  struct Sub {
    std::unique_ptr<net::Client> c;
    uint64_t id = 0;
    // Every event's version in arrival order, and per page its receive
    // time (ns) and the number of versions through it: half the memory of
    // a time per event, which a hundred subscribers fill at a million
    // events a second.
    std::vector<uint64_t> versions;
    std::vector<std::pair<int64_t, size_t>> pages;
    Status status;
  };
  std::vector<Sub> subs(static_cast<size_t>(subscribers));
  for (Sub& s : subs) {
    Result<std::unique_ptr<net::Client>> c = net::Client::Connect(copts);
    if (!c.ok()) {
      cell.status = c.status().Annotate("subscriber connection");
      return cell;
    }
    s.c = std::move(c).value();
    Result<net::Client::Subscribed> sub = s.c->Subscribe(o.spec);
    if (!sub.ok()) {
      cell.status = sub.status().Annotate("subscribing");
      return cell;
    }
    s.id = sub->id;
  }
  // Room for the events the cell may bring, touched now rather than while
  // the writers are measured.
  const auto expect = static_cast<size_t>(20'000 * (o.warmup + o.seconds + 1));
  for (Sub& s : subs) {
    s.versions.resize(expect);
    s.versions.clear();
  }
  // One thread reads every subscriber's socket through epoll, as a cache
  // tier following many streams would; a thread per subscriber would spend
  // this 2-core machine's time on wake-ups the server then cannot use.
  std::atomic<uint64_t> last_version{UINT64_MAX};  // set when the writers are done
  std::atomic<bool> give_up{false};                 // a spec that may not match the last commit
  std::thread reader([&subs, &last_version, &give_up] {
    if (subs.empty()) return;
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
      subs.front().status = Status::IOError(std::string("epoll_create1: ") + std::strerror(errno));
      return;
    }
    std::vector<net::FrameBuffer> frames(subs.size());
    size_t open = 0;
    for (size_t i = 0; i < subs.size(); ++i) {
      const int fd = subs[i].c->fd();
      frames[i].Append(subs[i].c->TakeUnread());
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        subs[i].status = Status::IOError(std::string("epoll_ctl: ") + std::strerror(errno));
        continue;
      }
      ++open;
    }
    // Reads what the socket has and takes its whole frames; false when the
    // subscriber is done (its last page seen, or an error).
    auto drain = [&](size_t i) {
      Sub& s = subs[i];
      for (;;) {
        const std::span<char> room = frames[i].Prepare(size_t{1} << 16);  // read straight into the frame buffer
        const ssize_t n = ::recv(s.c->fd(), room.data(), room.size(), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
        if (n <= 0) {
          s.status = n == 0 ? Status::IOError("the server closed a subscriber's connection")
                            : Status::IOError(std::string("recv: ") + std::strerror(errno));
          return false;
        }
        const int64_t now = Ns(Clock::now());
        frames[i].Commit(static_cast<size_t>(n));
        net::Reply r;
        for (;;) {
          Result<bool> got = frames[i].Next(&r);
          if (!got.ok()) {
            s.status = got.status();
            return false;
          }
          if (!*got) break;
          if (r.type() != net::MessageType::kChanges) {
            s.status = r.status().ok() ? Status::Corruption("unexpected reply in the stream") : r.status();
            return false;
          }
          Result<net::ChangesMessage> m = net::DecodeChanges(r.payload);
          if (!m.ok()) {
            s.status = m.status();
            return false;
          }
          EventVersions(m->json, &s.versions);
          s.pages.emplace_back(now, s.versions.size());
          if (m->token >= last_version.load()) return false;
        }
      }
    };
    std::vector<epoll_event> ready(64);
    while (open > 0 && !give_up.load()) {
      const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 100);
      for (int k = 0; k < n; ++k) {
        const size_t i = ready[static_cast<size_t>(k)].data.u64;
        if (!drain(i)) {
          ::epoll_ctl(ep, EPOLL_CTL_DEL, subs[i].c->fd(), nullptr);
          --open;
        }
      }
    }
    ::close(ep);
  });

  // Writers: a closed loop of durable one-comment commits.
  struct alignas(64) Writer {
    std::vector<std::tuple<uint64_t, int64_t, int64_t>> commits;  // version, sent, acknowledged (ns)
    Status status;
  };
  std::vector<Writer> writers(static_cast<size_t>(o.writers));
  const auto start = Clock::now() + std::chrono::milliseconds(5);
  const auto measure_start = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  const auto measure_end =
      measure_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> pool;
  for (int w = 0; w < o.writers; ++w) {
    pool.emplace_back([&, w] {
      Writer& me = writers[static_cast<size_t>(w)];
      Result<std::unique_ptr<net::Client>> c = net::Client::Connect(copts);
      if (!c.ok()) {
        me.status = c.status();
        return;
      }
      graph::SplitMix64 rng{seed * 7919 + static_cast<uint64_t>(w)};
      std::this_thread::sleep_until(start);
      for (;;) {
        const auto t0 = Clock::now();
        if (t0 >= measure_end) break;
        Result<query::QueryResult> r = (*c)->Mutate(CreateCommentText(MakeComment(env, &rng, 0)));
        const auto t1 = Clock::now();
        if (!r.ok()) {
          me.status = r.status();
          return;
        }
        me.commits.emplace_back(r->version, Ns(t0), Ns(t1));
      }
    });
  }
  for (auto& t : pool) t.join();
  uint64_t newest = 0;
  for (const Writer& w : writers) {
    if (!w.status.ok() && cell.status.ok()) cell.status = w.status.Annotate("writer");
    for (const auto& [v, sent, acked] : w.commits) newest = std::max(newest, v);
  }
  last_version = newest;
  // A reader blocked in its receive wakes with the next page: one more
  // commit, which every reader's last page then covers.
  if (subscribers > 0) {
    Result<std::unique_ptr<net::Client>> c = net::Client::Connect(copts);
    if (c.ok()) {
      graph::SplitMix64 rng{seed};
      Result<query::QueryResult> r = (*c)->Mutate(CreateCommentText(MakeComment(env, &rng, 0)));
      if (r.ok()) last_version = r->version;
    }
  }
  const bool exact = o.spec == StreamOptions{}.spec;  // every commit matches every subscriber
  if (!exact) {
    std::this_thread::sleep_for(std::chrono::seconds(1));  // what is in flight arrives
    give_up = true;
  }
  reader.join();
  for (const Sub& s : subs) {
    if (!s.status.ok() && cell.status.ok()) cell.status = s.status.Annotate("subscriber");
  }

  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> when;  // version -> sent, acked
  uint64_t all_commits = 0;
  for (const Writer& w : writers) {
    for (const auto& [v, sent, acked] : w.commits) {
      when[v] = {sent, acked};
      ++all_commits;
      if (acked >= Ns(measure_start) && acked < Ns(measure_end)) ++cell.commits;
    }
  }
  cell.commits_per_s = static_cast<double>(cell.commits) / o.seconds;
  cell.expected = all_commits * static_cast<uint64_t>(subscribers);
  std::vector<int64_t> from_write, from_ack;
  for (const Sub& s : subs) {
    size_t page = 0;
    for (size_t e = 0; e < s.versions.size(); ++e) {
      while (s.pages[page].second <= e) ++page;
      const uint64_t v = s.versions[e];
      const int64_t at = s.pages[page].first;
      auto it = when.find(v);
      if (it == when.end()) continue;  // the closing commit
      ++cell.delivered;
      from_write.push_back(at - it->second.first);
      from_ack.push_back(at - it->second.second);
    }
  }
  if (cell.status.ok() && exact && cell.delivered != cell.expected) {
    cell.status = Status::Corruption(std::to_string(subscribers) + " subscribers received " +
                                     std::to_string(cell.delivered) + " events of " + std::to_string(all_commits) +
                                     " commits each (" + std::to_string(cell.expected) + " expected)");
  }
  cell.write_p50_us = SignedPercentile(from_write, 0.5);
  cell.write_p99_us = SignedPercentile(from_write, 0.99);
  cell.ack_p50_us = SignedPercentile(from_ack, 0.5);
  cell.ack_p99_us = SignedPercentile(from_ack, 0.99);
  return cell;
}

}  // namespace

std::vector<std::vector<StreamCell>> RunStreamCells(Env* env, const StreamOptions& o, const StreamProgress& progress) {
  std::vector<std::vector<StreamCell>> out(static_cast<size_t>(o.reps),
                                           std::vector<StreamCell>(o.subscribers.size()));
  const uint64_t total = static_cast<uint64_t>(o.reps) * o.subscribers.size();
  uint64_t done = 0;
  for (int rep = 0; rep < o.reps; ++rep) {
    for (size_t k = 0; k < o.subscribers.size(); ++k) {
      const size_t i = (k + static_cast<size_t>(rep)) % o.subscribers.size();
      progress("change streams: " + std::to_string(o.subscribers[i]) + " subscribers", done, total);
      out[static_cast<size_t>(rep)][i] = RunOne(env, o, o.subscribers[i], static_cast<uint64_t>(rep * 100 + i));
      ++done;
    }
  }
  progress("change streams", total, total);
  return out;
}

void PrintStreams(FILE* out, const StreamOptions& o, const std::vector<std::vector<StreamCell>>& reps) {
  std::fprintf(out,
               "\nchange streams: %d writers each committing one comment at a time (durable), every subscriber "
               "subscribed with %s; medians of %zu repetitions\n",
               o.writers, o.spec.c_str(), reps.size());
  std::fprintf(out, "  %-12s %12s %8s %22s %22s %12s\n", "subscribers", "commits/s", "vs 0", "request->event p50/p99",
               "ack->event p50/p99", "events");
  double base = NAN, at_max = NAN;
  for (size_t i = 0; i < o.subscribers.size(); ++i) {
    std::vector<double> rate, w50, w99, a50, a99;
    uint64_t delivered = 0;
    bool failed = false;
    for (const auto& rep : reps) {
      const StreamCell& c = rep[i];
      if (!c.status.ok()) {
        std::fprintf(out, "  %-12d FAILED: %s\n", o.subscribers[i], c.status.ToString().c_str());
        failed = true;
        continue;
      }
      rate.push_back(c.commits_per_s);
      w50.push_back(c.write_p50_us);
      w99.push_back(c.write_p99_us);
      a50.push_back(c.ack_p50_us);
      a99.push_back(c.ack_p99_us);
      delivered += c.delivered;
    }
    if (failed && rate.empty()) continue;
    const double r = Median(rate);
    if (o.subscribers[i] == 0) base = r;
    if (i + 1 == o.subscribers.size()) at_max = r;
    auto us = [](double a, double b) {
      return std::isnan(a) ? std::string("-") : Fixed(a, 0) + " / " + Fixed(b, 0) + " us";
    };
    std::fprintf(out, "  %-12d %12s %8s %22s %22s %12s\n", o.subscribers[i], Thousands(r).c_str(),
                 std::isnan(base) ? "-" : Fixed(r / base, 2).c_str(), us(Median(w50), Median(w99)).c_str(),
                 us(Median(a50), Median(a99)).c_str(), Thousands(static_cast<double>(delivered)).c_str());
  }
  if (!std::isnan(base) && !std::isnan(at_max) && o.subscribers.back() > 0) {
    const double loss = 1 - at_max / base;
    std::fprintf(out, "  goal: under 10%% commit throughput lost with %d subscribers: %s (%s%%)\n",
                 o.subscribers.back(), loss < 0.10 ? "MET" : "MISSED", Fixed(100 * loss, 1).c_str());
  }
}

}  // namespace ormdb::bench::whole
