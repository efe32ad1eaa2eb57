// Change streams through the protocol, against a real `ormdb serve`:
// subscribing with filters while several connections write, fetching then
// subscribing from the result's version, unsubscribing, resuming after a
// disconnect and after a SIGKILL of the server, expired tokens, and a
// subscriber too slow to keep up.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "net/client.h"
#include "net/protocol.h"
#include "tests/server_process.h"
#include "tests/test_util.h"
#include "util/json.h"

namespace ormdb {
namespace {

using net::Client;
using net::ErrorCode;
using net::MessageType;
using testing::ServerProcess;
using testing::TempDir;

json::Value Json(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? std::move(v).value() : json::Value();
}

std::string CreateUser(const std::string& email) {
  return R"({"create":"User","data":{"email":")" + email + R"("}})";
}

// What a subscriber received: the changes, and how the stream ended (if it did).
struct Stream {
  std::vector<json::Value> changes;
  uint64_t token = 0;
  std::optional<net::ErrorMessage> ended;
};

// Reads the stream's frames until `n` changes arrived or it ended.
void Read(Client& c, uint64_t id, size_t n, Stream* s) {
  while (s->changes.size() < n && !s->ended) {
    auto r = c.ReceiveFor(id);
    ASSERT_OK(r.status());
    if (r->type() == MessageType::kError) {
      auto e = r->error();
      ASSERT_OK(e.status());
      s->ended = *e;
      return;
    }
    ASSERT_EQ(r->type(), MessageType::kChanges);
    auto m = net::DecodeChanges(r->payload);
    ASSERT_OK(m.status());
    json::Value v = Json(m->json);
    EXPECT_EQ(v.Find("changes")->size(), m->count);
    EXPECT_GT(m->token, s->token);
    s->token = m->token;
    for (const json::Value& ch : v.Find("changes")->items()) s->changes.push_back(ch);
  }
}

class SubscribeTest : public testing::ServerFixture {};

TEST_F(SubscribeTest, FilteredSubscribersSeeExactlyTheirCommitsWhileSeveralConnectionsWrite) {
  StartServer();
  struct Sub {
    std::string spec;
    std::function<bool(int writer, bool post)> matches;
    std::unique_ptr<Client> c;
    uint64_t id = 0;
    Stream s;
  };
  std::vector<Sub> subs;
  subs.push_back({"{}", [](int, bool) { return true; }, nullptr, 0, {}});
  subs.push_back({R"({"models":["Post"]})", [](int, bool post) { return post; }, nullptr, 0, {}});
  subs.push_back({R"({"models":{"User":{"where":{"email":{"startsWith":"w1-"}},"select":{"email":true}}}})",
                  [](int w, bool post) { return w == 1 && !post; }, nullptr, 0, {}});
  for (Sub& s : subs) {
    s.c = Connect();
    auto sub = s.c->Subscribe(s.spec);
    ASSERT_OK(sub.status());
    s.id = sub->id;
  }
  // Each writer's commit: a user, and every other time a post of it too
  // (two events, one version).
  struct Commit {
    uint64_t version;
    int writer;
    std::string email;
    bool with_post;
  };
  std::mutex mu;
  std::vector<Commit> commits;
  std::vector<std::thread> writers;
  const int kPerWriter = 40;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      auto c = server_->Connect();
      ASSERT_OK(c.status());
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string email = "w" + std::to_string(w) + "-" + std::to_string(i) + "@x.org";
        const bool post = i % 2 == 0;
        std::string req = post ? R"({"create":"User","data":{"email":")" + email +
                                     R"(","posts":{"create":{"title":"t","slug":")" + email + R"("}}}})"
                               : CreateUser(email);
        auto r = (*c)->Mutate(req);
        ASSERT_OK(r.status());
        std::lock_guard lock(mu);
        commits.push_back({r->version, w, email, post});
      }
    });
  }
  for (auto& t : writers) t.join();
  std::sort(commits.begin(), commits.end(), [](const Commit& a, const Commit& b) { return a.version < b.version; });
  for (Sub& s : subs) {
    SCOPED_TRACE(s.spec);
    // The expected events, in commit order (a user before its post).
    std::vector<std::pair<uint64_t, std::string>> want;  // version, model
    for (const Commit& c : commits) {
      if (s.matches(c.writer, false)) want.emplace_back(c.version, "User");
      if (c.with_post && s.matches(c.writer, true)) want.emplace_back(c.version, "Post");
    }
    Read(*s.c, s.id, want.size(), &s.s);
    ASSERT_FALSE(s.s.ended) << s.s.ended->message;
    ASSERT_EQ(s.s.changes.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(static_cast<uint64_t>(s.s.changes[i].Find("version")->int_value()), want[i].first) << i;
      EXPECT_EQ(s.s.changes[i].Find("model")->string_value(), want[i].second) << i;
    }
    // No more than that: a Ping's answer comes before any further change.
    ASSERT_OK(s.c->Ping());
  }
  EXPECT_EQ(*subs[2].s.changes[0].Find("new"), Json(R"({"email":"w1-0@x.org"})"));
}

TEST_F(SubscribeTest, AFetchThenASubscriptionFromItsVersionMissNothing) {
  StartServer();
  auto c = Connect();
  ASSERT_OK(c->Mutate(CreateUser("a@x.org")).status());
  auto fetched = c->Fetch(R"({"findMany":"User"})");
  ASSERT_OK(fetched.status());
  auto writer = Connect();
  ASSERT_OK(writer->Mutate(CreateUser("b@x.org")).status());
  auto sub = c->Subscribe(R"({"after":)" + std::to_string(fetched->version) + "}");
  ASSERT_OK(sub.status());
  EXPECT_EQ(sub->message.token, fetched->version);
  ASSERT_OK(writer->Mutate(CreateUser("c@x.org")).status());
  Stream s;
  Read(*c, sub->id, 2, &s);
  ASSERT_EQ(s.changes.size(), 2u);
  EXPECT_EQ(s.changes[0].Find("new")->Find("email")->string_value(), "b@x.org");
  EXPECT_EQ(s.changes[1].Find("new")->Find("email")->string_value(), "c@x.org");
  // Other requests interleave with the stream on the same connection.
  EXPECT_OK(c->Fetch(R"({"count":"User"})").status());
  // Unsubscribing ends the stream with Cancelled.
  ASSERT_OK(c->Unsubscribe(sub->id).status());
  Read(*c, sub->id, 3, &s);
  ASSERT_TRUE(s.ended);
  EXPECT_EQ(s.ended->code, ErrorCode::kCancelled);
}

TEST_F(SubscribeTest, BadSubscriptionsAreErrorsNamingThePath) {
  StartServer();
  auto c = Connect();
  auto r = c->Call(MessageType::kSubscribe,
                   net::EncodeQuery({net::RequestEncoding::kJson, R"({"models":{"User":{"where":{"nope":1}}}})"}));
  ASSERT_OK(r.status());
  ASSERT_EQ(r->type(), MessageType::kError);
  auto e = r->error();
  ASSERT_OK(e.status());
  EXPECT_EQ(e->code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e->path, "models.User.where.nope") << e->message;
  auto r2 = c->Call(MessageType::kSubscribe, net::EncodeQuery({net::RequestEncoding::kJson, "{not json"}));
  ASSERT_OK(r2.status());
  EXPECT_EQ(r2->type(), MessageType::kError);
  EXPECT_OK(c->Ping());
}

TEST_F(SubscribeTest, ResumesAfterADisconnectAndAfterSigkill) {
  StartServer();
  uint64_t token = 0;
  std::vector<std::string> seen;
  {
    auto c = Connect();
    auto sub = c->Subscribe(R"({"models":["User"]})");
    ASSERT_OK(sub.status());
    for (int i = 0; i < 5; ++i) ASSERT_OK(c->Mutate(CreateUser("d" + std::to_string(i) + "@x.org")).status());
    Stream s;
    Read(*c, sub->id, 3, &s);
    ASSERT_GE(s.changes.size(), 3u);
    token = s.changes[2].Find("version")->int_value();
    for (size_t i = 0; i < 3; ++i) seen.push_back(s.changes[i].Find("new")->Find("email")->string_value());
  }  // the client goes away
  // Writers run into a SIGKILL; what they were told committed must be in
  // the stream after a restart, in order, once each.
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto c = server_->Connect();
    if (!c.ok()) return;
    for (int i = 0; !stop.load(); ++i) {
      std::string email = "k" + std::to_string(i) + "@x.org";
      if (!(*c)->Mutate(CreateUser(email)).ok()) return;
      acked.push_back(email);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server_->Kill();
  stop = true;
  writer.join();
  Restart();
  auto c = Connect();
  auto sub = c->Subscribe(R"({"models":["User"],"after":)" + std::to_string(token) + "}");
  ASSERT_OK(sub.status());
  Stream s;
  Read(*c, sub->id, 2 + acked.size(), &s);
  ASSERT_FALSE(s.ended);
  std::vector<std::string> got;
  for (const json::Value& ch : s.changes) got.push_back(ch.Find("new")->Find("email")->string_value());
  ASSERT_GE(got.size(), 2 + acked.size());
  EXPECT_EQ(got[0], "d3@x.org");
  EXPECT_EQ(got[1], "d4@x.org");
  // Every acknowledged commit, in order; at most one more (committed, its
  // reply lost to the kill).
  for (size_t i = 0; i < acked.size(); ++i) EXPECT_EQ(got[2 + i], acked[i]);
  EXPECT_LE(got.size(), 3 + acked.size());
}

TEST_F(SubscribeTest, ATokenOlderThanTheHistoryIsExpiredWithTheOldestToken) {
  StartServer({"--change-retention-bytes", "4096"});
  auto c = Connect();
  const uint64_t first = c->Mutate(CreateUser("first@x.org"))->version;
  for (int i = 0; i < 300; ++i) ASSERT_OK(c->Mutate(CreateUser("user-number-" + std::to_string(i) + "@x.org")).status());
  // Pruning runs once a second.
  std::optional<net::ErrorMessage> e;
  for (int attempt = 0; attempt < 50 && !e; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto r = c->Call(MessageType::kSubscribe,
                     net::EncodeQuery({net::RequestEncoding::kJson, R"({"after":)" + std::to_string(first) + "}"}));
    ASSERT_OK(r.status());
    if (r->type() == MessageType::kError) e = *r->error();
  }
  ASSERT_TRUE(e.has_value()) << "the history was never pruned";
  EXPECT_EQ(e->code, ErrorCode::kTokenExpired) << e->message;
  EXPECT_GT(e->token, first);
  // The oldest token it names works.
  auto sub = c->Subscribe(R"({"after":)" + std::to_string(e->token) + "}");
  EXPECT_OK(sub.status());
}

// While commits keep coming, a subscription gets at most one Changes frame
// per --subscription-batch-us, holding every commit since the one before;
// the first commit after a quiet spell goes out at once.
TEST_F(SubscribeTest, ChangesAreBatchedWhileCommitsKeepComingAndTheFirstGoesOutAtOnce) {
  StartServer({"--subscription-batch-us", "500000"});
  auto reader = Connect();
  auto sub = reader->Subscribe(R"({"models":["User"]})");
  ASSERT_OK(sub.status());
  auto writer = Connect();
  std::vector<uint64_t> versions;
  auto commit = [&](int i) {
    auto r = writer->Mutate(CreateUser("b" + std::to_string(i) + "@x.org"));
    ASSERT_OK(r.status());
    versions.push_back(r->version);
  };
  // Reads frames until `n` changes in all arrived; returns the frames.
  Stream s;
  auto read = [&](size_t n) {
    size_t frames = 0;
    while (s.changes.size() < n) {
      const size_t before = s.changes.size();
      Read(*reader, sub->id, before + 1, &s);
      if (s.ended || s.changes.size() == before) break;
      ++frames;
    }
    return frames;
  };
  const auto start = std::chrono::steady_clock::now();
  commit(0);
  EXPECT_EQ(read(1), 1u);
  // Far less than the interval (the commit itself included).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  constexpr int kBurst = 30;
  for (int i = 1; i <= kBurst; ++i) commit(i);
  const size_t frames = read(kBurst + 1);
  ASSERT_FALSE(s.ended) << s.ended->message;
  // One frame per commit without batching; a few with it (the burst takes
  // well under a second unless the machine is very slow).
  EXPECT_LE(frames, kBurst / 3u);
  std::vector<uint64_t> got;
  for (const auto& ch : s.changes) got.push_back(ch.Find("version")->int_value());
  EXPECT_EQ(got, versions);
}

// With more streams than the server's frame budget allows at the batch
// interval, each stream's frames are spaced further apart, and every
// event still arrives, in order.
TEST_F(SubscribeTest, ManyStreamsShareTheServersFrameBudget) {
  // Two loops, 40 frames a second: 20 per loop, so even one stream per
  // loop gets a frame at most every 50 ms once a window has been counted.
  StartServer({"--subscription-batch-us", "0", "--subscription-frames-per-second", "40"});
  constexpr int kStreams = 4;
  std::vector<std::unique_ptr<Client>> readers;
  std::vector<uint64_t> ids;
  for (int i = 0; i < kStreams; ++i) {
    readers.push_back(Connect());
    auto sub = readers.back()->Subscribe(R"({"models":["User"]})");
    ASSERT_OK(sub.status());
    ids.push_back(sub->id);
  }
  auto writer = Connect();
  std::vector<uint64_t> versions;
  auto write_for = [&](std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      auto r = writer->Mutate(CreateUser("f" + std::to_string(versions.size()) + "@x.org"));
      ASSERT_OK(r.status());
      versions.push_back(r->version);
    }
  };
  write_for(std::chrono::milliseconds(300));  // the loops count their streams
  const size_t warm = versions.size();
  const uint64_t from = versions.back();
  write_for(std::chrono::milliseconds(1000));
  const size_t measured = versions.size() - warm;
  constexpr size_t kMaxFrames = 1000 / 50 + 3;
  ASSERT_GE(measured, 2 * kMaxFrames) << "too few commits to tell batched from unbatched frames";
  for (int i = 0; i < kStreams; ++i) {
    Stream s;
    size_t frames_after = 0;
    while (s.changes.size() < versions.size() && !s.ended) {
      const size_t before = s.changes.size();
      Read(*readers[i], ids[i], before + 1, &s);
      if (s.token > from) ++frames_after;
    }
    ASSERT_FALSE(s.ended) << s.ended->message;
    std::vector<uint64_t> got;
    for (const auto& ch : s.changes) got.push_back(ch.Find("version")->int_value());
    EXPECT_EQ(got, versions) << "stream " << i;
    // One frame per commit without the budget.
    EXPECT_LE(frames_after, kMaxFrames) << "stream " << i << ": " << measured << " commits";
  }
}

TEST_F(SubscribeTest, ASlowSubscriberIsToldItLagsAndResumesWithoutSlowingWriters) {
  StartServer({"--change-buffer-bytes", "65536", "--subscription-output-bytes", "65536", "--no-compression"});
  net::ClientOptions o = server_->ClientOptions();
  o.compression = false;
  auto slow = Client::Connect(o);
  ASSERT_OK(slow.status());
  auto sub = (*slow)->Subscribe(R"({"models":["User"]})");
  ASSERT_OK(sub.status());
  // The subscriber reads nothing while about 4 MB of changes commit.
  // The writer is never held back by it (the server stops reading the
  // subscriber's events once 64 KiB wait to be sent, and the change log's
  // buffer drops the oldest commits past 64 KiB).
  auto writer = Connect();
  std::vector<uint64_t> versions;
  const std::string name(1000, 'n');
  for (int i = 0; i < 4000; ++i) {
    auto r = writer->Mutate(R"({"create":"User","data":{"email":"s)" + std::to_string(i) + R"(@x.org","name":")" +
                            name + "\"}}");
    ASSERT_OK(r.status());
    versions.push_back(r->version);
  }
  Stream s;
  Read(**slow, sub->id, versions.size(), &s);
  ASSERT_TRUE(s.ended) << "received all " << s.changes.size();
  EXPECT_EQ(s.ended->code, ErrorCode::kSubscriberLagging) << s.ended->message;
  EXPECT_EQ(s.ended->token, s.token);  // the last token it was sent
  ASSERT_LT(s.changes.size(), versions.size());
  // Resuming from that token delivers the rest, from the stored history.
  auto again = (*slow)->Subscribe(R"({"models":["User"],"after":)" + std::to_string(s.ended->token) + "}");
  ASSERT_OK(again.status());
  Stream rest;
  Read(**slow, again->id, versions.size() - s.changes.size(), &rest);
  ASSERT_FALSE(rest.ended) << rest.ended->message;
  std::vector<uint64_t> got;
  for (const auto& ch : s.changes) got.push_back(ch.Find("version")->int_value());
  for (const auto& ch : rest.changes) got.push_back(ch.Find("version")->int_value());
  EXPECT_EQ(got, versions);
}

}  // namespace
}  // namespace ormdb
