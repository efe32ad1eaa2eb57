// A server session handling requests in process, without sockets: what
// the event loop relies on when it runs a request itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/database.h"
#include "engine/users.h"
#include "net/executor_pool.h"
#include "net/frame_pacer.h"
#include "net/protocol.h"
#include "net/session.h"
#include "tests/test_util.h"

namespace ormdb::net {
namespace {

constexpr char kSchema[] = R"(
model User {
  id    Int    @id @default(autoincrement())
  email String
  score Int    @default(0)
}
)";

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    auto db = engine::Database::Open(dir_.path(), o);
    ASSERT_OK(db.status());
    db_ = std::move(db).value();
    ASSERT_OK(db_->InstallSchema("schema.prisma", kSchema).status());
    users_ = std::make_unique<engine::Users>(&db_->store(), engine::PasswordCost{1, 64 * 1024});
    ASSERT_OK(users_->Create("ormdb", "secret"));
    ctx_.db = db_.get();
    ctx_.users = users_.get();
    session_ = std::make_unique<Session>(&ctx_, 1);
    Hello h;
    h.user = "ormdb";
    h.password = "secret";
    std::string out;
    session_->Handle(Header(MessageType::kHello, EncodeHello(h)), EncodeHello(h), &out);
    ASSERT_TRUE(session_->authenticated());
  }

  FrameHeader Header(MessageType type, std::string_view payload) {
    FrameHeader h;
    h.type = type;
    h.request_id = ++id_;
    h.payload_length = static_cast<uint32_t>(payload.size());
    return h;
  }

  // The reply frame's type; *payload its payload.
  MessageType ReplyType(const std::string& frame, std::string* payload = nullptr) {
    auto h = DecodeFrameHeader(std::string_view(frame).substr(0, kFrameHeaderBytes), 1u << 30);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    if (!h.ok()) return MessageType::kError;
    if (payload != nullptr) *payload = frame.substr(kFrameHeaderBytes);
    if (h->type == MessageType::kError) {
      auto e = DecodeError(frame.substr(kFrameHeaderBytes));
      ADD_FAILURE() << "error reply: " << (e.ok() ? e->message : e.status().ToString());
    }
    return h->type;
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Users> users_;
  ServerContext ctx_;
  std::unique_ptr<Session> session_;
  uint64_t id_ = 0;
};

// A Mutate that reaches a model a migration is rewriting is handed back
// (nothing kept, nothing written) to run where it may wait; reads and
// writes elsewhere answer as usual, and afterwards the same Mutate does.
TEST_F(SessionTest, AMutateThatWouldWaitIsHandedBack) {
  {
    auto t = db_->Begin();
    for (int i = 0; i < 300; ++i) {
      ASSERT_OK(t->Insert("User", {{"email", schema::Value::String("u" + std::to_string(i))}}).status());
    }
    ASSERT_OK(t->Commit().status());
  }
  const std::string create = EncodeQuery({RequestEncoding::kJson, R"({"create":"User","data":{"email":"new"}})"});
  const std::string read = EncodeQuery({RequestEncoding::kJson, R"({"count":"User"})"});
  std::string v2 = kSchema;
  v2.replace(v2.find("score Int "), 10, "score BigInt ");
  engine::MigrateOptions o;
  o.batch_rows = 64;
  int handed_back = 0;
  o.progress = [&](const std::string& what, uint64_t) {
    if (what.find("rewriting the rows of User") == std::string::npos) return;
    // The migration holds User's gate here.
    std::string out;
    EXPECT_FALSE(session_->HandleWithoutWaiting(Header(MessageType::kMutate, create), create, &out));
    EXPECT_TRUE(out.empty());
    ++handed_back;
    EXPECT_TRUE(session_->HandleWithoutWaiting(Header(MessageType::kFetch, read), read, &out));
    EXPECT_EQ(ReplyType(out), MessageType::kResult);
  };
  ASSERT_OK(db_->Migrate("schema.prisma", v2, o).status());
  EXPECT_GT(handed_back, 0);
  auto t = db_->Begin(true);
  EXPECT_EQ(t->Scan("User", {})->size(), 300u);  // the handed-back create kept nothing
  std::string out;
  EXPECT_TRUE(session_->HandleWithoutWaiting(Header(MessageType::kMutate, create), create, &out));
  EXPECT_EQ(ReplyType(out), MessageType::kResult);
}

// Inside an interactive transaction every request may wait (failing one
// would fail the transaction): it is always handed back.
TEST_F(SessionTest, RequestsInsideATransactionAreHandedBack) {
  std::string out;
  session_->Handle(Header(MessageType::kBegin, ""), "", &out);
  ASSERT_EQ(ReplyType(out), MessageType::kOk);
  const std::string create = EncodeQuery({RequestEncoding::kJson, R"({"create":"User","data":{"email":"t"}})"});
  out.clear();
  EXPECT_FALSE(session_->HandleWithoutWaiting(Header(MessageType::kMutate, create), create, &out));
  EXPECT_TRUE(out.empty());
  session_->Handle(Header(MessageType::kMutate, create), create, &out);
  EXPECT_EQ(ReplyType(out), MessageType::kResult);
}

// A Mutate that may not wait for its flush either comes back with its
// reply and a pending commit: the reply names the commit's version, the
// write is invisible until the commit settles, and visible once it
// finishes. A Fetch has nothing pending; a failed Mutate neither.
TEST_F(SessionTest, AMutateThatMayNotWaitForItsFlushLeavesAPendingCommit) {
  const std::string create = EncodeQuery({RequestEncoding::kJson, R"({"create":"User","data":{"email":"p"}})"});
  std::atomic<int> told{0};
  const uint64_t listener = db_->store().AddAppliedListener([&told] { told.fetch_add(1); });
  std::unique_ptr<engine::PendingCommit> pending;
  std::string out;
  ASSERT_TRUE(session_->HandleWithoutWaiting(Header(MessageType::kMutate, create), create, &out, &pending));
  ASSERT_NE(pending, nullptr);
  std::string payload;
  ASSERT_EQ(ReplyType(out, &payload), MessageType::kResult);
  auto m = DecodeResult(payload);
  ASSERT_OK(m.status());
  EXPECT_EQ(m->version, pending->version());
  for (int i = 0; i < 10000 && !pending->Settled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(pending->Settled());
  EXPECT_GE(told.load(), 1);
  ASSERT_OK(pending->Finish());
  EXPECT_GE(db_->store().last_committed().value(), pending->version());
  auto t = db_->Begin(true);
  EXPECT_EQ(t->Scan("User", {})->size(), 1u);

  const std::string read = EncodeQuery({RequestEncoding::kJson, R"({"count":"User"})"});
  std::unique_ptr<engine::PendingCommit> none;
  out.clear();
  ASSERT_TRUE(session_->HandleWithoutWaiting(Header(MessageType::kFetch, read), read, &out, &none));
  EXPECT_EQ(none, nullptr);
  EXPECT_EQ(ReplyType(out), MessageType::kResult);
  const std::string bad = EncodeQuery({RequestEncoding::kJson, R"({"create":"User","data":{"email":42}})"});
  out.clear();
  ASSERT_TRUE(session_->HandleWithoutWaiting(Header(MessageType::kMutate, bad), bad, &out, &none));
  EXPECT_EQ(none, nullptr);
  auto h = DecodeFrameHeader(std::string_view(out).substr(0, kFrameHeaderBytes), 1u << 30);
  ASSERT_OK(h.status());
  EXPECT_EQ(h->type, MessageType::kError);
  db_->store().RemoveAppliedListener(listener);
}

// The event loop's pacing of change-stream frames: the batch interval
// until a window shows more busy streams than the loop's share of the
// frame budget allows, then streams x 1 s / share; back when they quiet.
TEST(FramePacerTest, SpacesFramesWhenBusyStreamsWouldPassTheLoopsShare) {
  // 10,000 frames a second over two loops: 5,000 for this one.
  FramePacer p(2000, 10000, 2);
  EXPECT_EQ(p.interval_us(), 2000);
  std::vector<uint64_t> marks(100, 0);
  int64_t start = 0;  // of the next window
  auto window = [&](size_t streams, int frames_each) {
    for (int f = 0; f < frames_each; ++f) {
      for (size_t s = 0; s < streams; ++s) p.CountFrame(&marks[s], start + f * (FramePacer::kWindowUs / frames_each));
    }
    start += FramePacer::kWindowUs;
  };
  window(100, 3);  // the first window: counted, the interval not yet changed
  EXPECT_EQ(p.interval_us(), 2000);
  window(100, 3);  // 100 streams: 100 x 1 s / 5,000 = 20 ms
  EXPECT_EQ(p.interval_us(), 20'000);
  window(5, 3);  // five: 1 ms, below the batch interval
  EXPECT_EQ(p.interval_us(), 20'000);
  window(5, 1);
  EXPECT_EQ(p.interval_us(), 2000);
  window(10, 50);  // a stream counts once a window, however many frames it sends
  window(10, 50);
  EXPECT_EQ(p.interval_us(), 2000);

  // No budget: the batch interval always; one loop gets the whole budget.
  FramePacer unbounded(500, 0, 2);
  FramePacer alone(0, 1000, 1);
  std::vector<uint64_t> m1(50, 0), m2(50, 0);
  for (int w = 0; w < 3; ++w) {
    for (size_t s = 0; s < 50; ++s) {
      unbounded.CountFrame(&m1[s], w * FramePacer::kWindowUs);
      alone.CountFrame(&m2[s], w * FramePacer::kWindowUs);
    }
  }
  EXPECT_EQ(unbounded.interval_us(), 500);
  EXPECT_EQ(alone.interval_us(), 50'000);  // 50 x 1 s / 1,000
}

// Reads on the executor pool: at most max_reads at once; other work never
// waits behind them (a read that waits for it would otherwise hold its
// place forever).
TEST(ExecutorPoolTest, RunsAtMostMaxReadsAtOnceAndOtherWorkBesideThem) {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int started = 0, running = 0, most = 0, done = 0;
  {
    ExecutorPool pool(1, 16, 2);
    ASSERT_EQ(pool.max_reads(), 2u);
    for (int i = 0; i < 8; ++i) {
      pool.SubmitRead([&] {
        std::unique_lock lock(mu);
        ++started;
        most = std::max(most, ++running);
        cv.notify_all();
        cv.wait(lock, [&] { return released; });  // the first two hold their places until released
        --running;
        ++done;
        cv.notify_all();
      });
    }
    {
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return started == 2; }));
    }
    // Two reads wait for this task: it must run although the reads are at
    // their limit.
    pool.Submit([&] {
      std::lock_guard lock(mu);
      released = true;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return done == 8; })) << done << " of 8 done";
  }
  EXPECT_EQ(most, 2);
  EXPECT_EQ(started, 8);
}

TEST(ExecutorPoolTest, ReadsWaitingForAPlaceRunInTheOrderSubmitted) {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::vector<int> order;
  {
    ExecutorPool pool(1, 16, 1);
    for (int i = 0; i < 6; ++i) {
      pool.SubmitRead([&, i] {
        std::unique_lock lock(mu);
        order.push_back(i);
        cv.notify_all();
        cv.wait(lock, [&] { return released; });
      });
    }
    {
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !order.empty(); }));
    }
    pool.Submit([&] {
      std::lock_guard lock(mu);
      released = true;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return order.size() == 6; }));
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace ormdb::net
