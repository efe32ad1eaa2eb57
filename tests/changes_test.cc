// Change streams in the embedded API: the events of creates, updates,
// deletes and cascades; filters; tokens from results; resuming after a
// subscriber goes away and after a reopen; pruned history; a subscriber the
// ring overran; and a model test of concurrent writers and subscribers,
// each checking it saw exactly the committed changes its filter matches, in
// commit order.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "engine/database.h"
#include "tests/test_util.h"
#include "util/json.h"

namespace ormdb::engine {
namespace {

using schema::Value;

constexpr char kSchema[] = R"(
model User {
  id    Int    @id
  name  String
  score Int    @default(0)
  posts Post[]
}

model Post {
  id       Int    @id
  title    String
  author   User   @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId Int
}
)";

json::Value Json(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << " in " << text;
  return v.ok() ? std::move(v).value() : json::Value();
}

class ChangesTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    db_.reset();
    DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    o.changes = changes_;
    auto db = Database::Open(dir_.path(), o);
    ASSERT_OK(db.status());
    db_ = std::move(db).value();
    if (db_->catalog()->version() == 0) ASSERT_OK(db_->InstallSchema("schema.prisma", kSchema).status());
  }

  uint64_t Run(std::string_view request) {
    auto r = db_->Execute(request);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << request;
    return r.ok() ? r->version : 0;
  }

  std::unique_ptr<Subscription> Subscribe(std::string_view spec) {
    auto s = db_->Subscribe(Json(spec));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // Polls until `n` changes arrived (or 5 s passed); returns them.
  std::vector<json::Value> Take(Subscription& s, size_t n) {
    std::vector<json::Value> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto page = s.Wait(std::chrono::milliseconds(100));
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      json::Value v = Json(page->json());
      EXPECT_EQ(static_cast<uint64_t>(v.Find("token")->int_value()), page->token);
      for (const json::Value& c : v.Find("changes")->items()) out.push_back(c);
    }
    return out;
  }

  ChangeOptions changes_;
  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ChangesTest, CreateUpdateDeleteAndCascadeEvents) {
  auto s = Subscribe(R"({"old": true})");
  ASSERT_NE(s, nullptr);
  const uint64_t v1 = Run(R"({"create": "User", "data": {"id": 1, "name": "ada", "posts": {"create": [{"id": 10, "title": "a"}, {"id": 11, "title": "b"}]}}})");
  const uint64_t v2 = Run(R"({"update": "User", "where": {"id": 1}, "data": {"score": {"increment": 5}}})");
  const uint64_t v3 = Run(R"({"delete": "User", "where": {"id": 1}})");
  std::vector<json::Value> got = Take(*s, 7);
  ASSERT_EQ(got.size(), 7u);
  // One transaction's events share its version and come together.
  EXPECT_EQ(got[0], Json(R"({"version": )" + std::to_string(v1) +
                         R"(, "model": "User", "op": "create", "key": {"id": 1}, "new": {"id": 1, "name": "ada", "score": 0}})"));
  EXPECT_EQ(got[1].Find("model")->string_value(), "Post");
  EXPECT_EQ(*got[2].Find("new"), Json(R"({"id": 11, "title": "b", "authorId": 1})"));
  EXPECT_EQ(got[2].Find("version")->int_value(), static_cast<int64_t>(v1));
  EXPECT_EQ(got[3], Json(R"({"version": )" + std::to_string(v2) +
                         R"(, "model": "User", "op": "update", "key": {"id": 1}, "changed": ["score"],
                            "new": {"id": 1, "name": "ada", "score": 5}, "old": {"id": 1, "name": "ada", "score": 0}})"));
  // The delete cascades: the posts first, then the user, all at v3.
  for (size_t i = 4; i < 7; ++i) {
    EXPECT_EQ(got[i].Find("op")->string_value(), "delete");
    EXPECT_EQ(got[i].Find("version")->int_value(), static_cast<int64_t>(v3));
    EXPECT_EQ(got[i].Find("new"), nullptr);
    EXPECT_NE(got[i].Find("old"), nullptr);
  }
  EXPECT_EQ(s->token(), v3);
}

TEST_F(ChangesTest, FiltersByModelOperationWhereAndSelect) {
  auto s = Subscribe(R"({"models": {"User": {"where": {"score": {"gte": 10}}, "select": {"name": true},
                                              "operations": ["create", "update"]}},
                         "old": true})");
  ASSERT_NE(s, nullptr);
  Run(R"({"create": "User", "data": {"id": 1, "name": "low"}})");
  Run(R"({"create": "User", "data": {"id": 2, "name": "high", "score": 50}})");
  Run(R"({"create": "Post", "data": {"id": 1, "title": "t", "authorId": 2}})");
  Run(R"({"update": "User", "where": {"id": 1}, "data": {"score": 10}})");
  Run(R"({"delete": "User", "where": {"id": 2}})");
  std::vector<json::Value> got = Take(*s, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(*got[0].Find("new"), Json(R"({"name": "high"})"));
  EXPECT_EQ(*got[0].Find("key"), Json(R"({"id": 2})"));
  EXPECT_EQ(*got[1].Find("old"), Json(R"({"name": "low"})"));
  EXPECT_EQ(*got[1].Find("changed"), Json(R"(["score"])"));
  // Nothing else arrives (the post, the delete).
  auto page = s->Wait(std::chrono::milliseconds(200));
  ASSERT_OK(page.status());
  EXPECT_EQ(page->changes, 0u);
}

TEST_F(ChangesTest, BadSpecsSayWhatAndWhere) {
  auto err = [&](std::string_view spec) {
    auto s = db_->Subscribe(Json(spec));
    EXPECT_FALSE(s.ok()) << spec;
    return s.ok() ? std::string() : s.status().message();
  };
  EXPECT_EQ(err(R"({"models": ["Nope"]})"), "models[0]: no model named Nope in schema version 1");
  EXPECT_NE(err(R"({"models": {"User": {"where": {"name": 3}}}})").find("models.User.where.name"), std::string::npos);
  EXPECT_NE(err(R"({"models": {"User": {"where": {"posts": {"some": {}}}}}})").find("own fields only"),
            std::string::npos);
  EXPECT_NE(err(R"({"operations": ["upsert"]})").find("operations[0]"), std::string::npos);
  EXPECT_NE(err(R"({"after": -1})").find("after"), std::string::npos);
  EXPECT_NE(err(R"({"after": 99999})").find("newer than the newest commit"), std::string::npos);
  EXPECT_NE(err(R"({"since": 1})").find("since: not a subscription argument"), std::string::npos);
}

TEST_F(ChangesTest, AFetchsVersionIsATokenWithNoGapAndNoDuplicate) {
  Run(R"({"create": "User", "data": {"id": 1, "name": "a"}})");
  auto fetched = db_->Execute(R"({"findMany": "User"})");
  ASSERT_OK(fetched.status());
  Run(R"({"create": "User", "data": {"id": 2, "name": "b"}})");
  auto s = Subscribe(R"({"after": )" + std::to_string(fetched->version) + "}");
  ASSERT_NE(s, nullptr);
  std::vector<json::Value> got = Take(*s, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(*got[0].Find("key"), Json(R"({"id": 2})"));
}

TEST_F(ChangesTest, ResumesAfterTheSubscriberGoesAwayAndAfterAReopen) {
  auto s = Subscribe("{}");
  for (int i = 0; i < 10; ++i) Run(R"({"create": "User", "data": {"id": )" + std::to_string(i) + R"(, "name": "u"}})");
  std::vector<json::Value> first = Take(*s, 10);
  ASSERT_EQ(first.size(), 10u);
  const uint64_t token = first[4].Find("version")->int_value();
  s.reset();
  Open();  // the history is stored: it survives the restart
  auto again = Subscribe(R"({"after": )" + std::to_string(token) + "}");
  ASSERT_NE(again, nullptr);
  Run(R"({"create": "User", "data": {"id": 100, "name": "after the restart"}})");
  std::vector<json::Value> rest = Take(*again, 6);
  ASSERT_EQ(rest.size(), 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(rest[i], first[5 + i]);
  EXPECT_EQ(*rest[5].Find("key"), Json(R"({"id": 100})"));
}

TEST_F(ChangesTest, ATokenOlderThanTheRetainedHistoryExpires) {
  changes_.retain_bytes = 4096;
  changes_.prune_interval_ms = 10;
  Open();
  const uint64_t old = Run(R"({"create": "User", "data": {"id": 0, "name": "first"}})");
  for (int i = 1; i < 200; ++i) {
    Run(R"({"create": "User", "data": {"id": )" + std::to_string(i) + R"(, "name": "a somewhat longer name"}})");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto pruned = [&] {
    ChangeLogStats st = db_->changes().stats();
    return st.horizon > old && st.retained_bytes <= 4096;
  };
  while (!pruned() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ChangeLogStats st = db_->changes().stats();
  EXPECT_GT(st.horizon, old);
  EXPECT_LE(st.retained_bytes, 4096u);
  EXPECT_GT(st.pruned_commits, 0u);
  auto s = db_->Subscribe(Json(R"({"after": )" + std::to_string(old) + "}"));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsExpired()) << s.status().ToString();
  EXPECT_NE(s.status().message().find("older than the retained change history"), std::string::npos);
  // The pruned horizon survives a reopen.
  Open();
  EXPECT_TRUE(db_->Subscribe(Json(R"({"after": )" + std::to_string(old) + "}")).status().IsExpired());
}

TEST_F(ChangesTest, ASubscriberTheBufferOverranLagsAndResumesFromItsToken) {
  changes_.buffer_bytes = 2048;
  Open();
  auto s = Subscribe(R"({"models": ["User"]})");
  Run(R"({"create": "User", "data": {"id": 0, "name": "x"}})");
  ASSERT_EQ(Take(*s, 1).size(), 1u);  // live now
  const uint64_t token = s->token();
  std::vector<uint64_t> versions;
  for (int i = 1; i < 100; ++i) {
    versions.push_back(Run(R"({"create": "User", "data": {"id": )" + std::to_string(i) + R"(, "name": "y"}})"));
  }
  // Let the log read them all (overrunning the ring) before polling.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (db_->changes().stats().read_version < versions.back() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto page = s->Poll();
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(page.status().IsLagging()) << page.status().ToString();
  EXPECT_NE(page.status().message().find("after token " + std::to_string(token)), std::string::npos);
  // Resuming reads the stored history, paged, then goes live.
  auto again = Subscribe(R"({"models": ["User"], "after": )" + std::to_string(token) + "}");
  std::vector<json::Value> got;
  while (got.size() < versions.size()) {
    auto p = again->Poll(512);
    ASSERT_OK(p.status());
    ASSERT_TRUE(p->changes > 0 || got.size() == versions.size());
    const json::Value v = Json(p->json());
    for (const json::Value& c : v.Find("changes")->items()) got.push_back(c);
  }
  ASSERT_EQ(got.size(), versions.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(static_cast<uint64_t>(got[i].Find("version")->int_value()), versions[i]);
  }
}

// Subscribers with one filter at one token read one page, rendered once;
// `through` stops a page at a commit, so subscribers polled together line
// up; a subscriber at another token or with another filter gets its own.
TEST_F(ChangesTest, SubscribersWithOneFilterAtOneTokenShareAPage) {
  auto a = Subscribe(R"({"models": ["Post"]})");
  auto b = Subscribe(R"({"models": ["Post"]})");
  auto u = Subscribe(R"({"models": ["User"]})");
  ASSERT_TRUE(a != nullptr && b != nullptr && u != nullptr);
  const uint64_t v0 = a->token();
  const uint64_t v1 = Run(R"({"create": "User", "data": {"id": 1, "name": "ada", "posts": {"create": [{"id": 10, "title": "a"}, {"id": 11, "title": "b"}]}}})");
  const uint64_t v2 = Run(R"({"create": "User", "data": {"id": 2, "name": "bob"}})");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (db_->changes().read_version() < v2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_GE(db_->changes().read_version(), v2);

  auto pa = a->Poll(size_t{1} << 20, v1);
  auto pb = b->Poll(size_t{1} << 20, v1);
  auto pu = u->Poll(size_t{1} << 20, v1);
  ASSERT_OK(pa.status());
  ASSERT_OK(pb.status());
  ASSERT_OK(pu.status());
  EXPECT_EQ(pa->token, v1);
  EXPECT_EQ(pa->changes, 2u);
  EXPECT_EQ(pb->text.get(), pa->text.get());  // the same bytes, not a copy
  EXPECT_EQ(pb->changes, 2u);
  EXPECT_EQ(pu->changes, 1u);
  EXPECT_NE(pu->text.get(), pa->text.get());
  EXPECT_EQ(a->token(), v1);
  EXPECT_EQ(b->token(), v1);

  // A late subscriber from v0 reads (v0, v2]: both posts, while `a`, at v1,
  // reads (v1, v2], where no post changed.
  auto c = Subscribe(R"({"models": ["Post"], "after": )" + std::to_string(v0) + "}");
  ASSERT_NE(c, nullptr);
  auto pa2 = a->Poll(size_t{1} << 20, v2);
  auto pc = c->Poll(size_t{1} << 20, v2);
  ASSERT_OK(pa2.status());
  ASSERT_OK(pc.status());
  EXPECT_EQ(pa2->token, v2);
  EXPECT_EQ(pa2->changes, 0u);
  EXPECT_EQ(pc->token, v2);
  EXPECT_EQ(pc->changes, 2u);
  EXPECT_EQ(Json(pc->json()).Find("changes")->items().size(), 2u);
  EXPECT_EQ(Json(pa2->json()).Find("changes")->items().size(), 0u);
  // `through` below the token changes nothing.
  auto same = a->Poll(size_t{1} << 20, v1);
  ASSERT_OK(same.status());
  EXPECT_EQ(same->token, v2);
  EXPECT_EQ(same->changes, 0u);
}

// Writers commit random transactions on two models while subscribers with
// different filters read; each subscriber's events must be exactly the
// reference's committed events that match its filter, in commit order.
TEST_F(ChangesTest, ConcurrentWritersAndSubscribersSeeExactlyTheCommittedChanges) {
  struct Expected {
    uint64_t version;
    size_t seq;  // order within the transaction
    std::string model, op;
    int64_t id, score;  // score: the new value, or the old one for a delete
  };
  std::mutex mu;
  std::vector<Expected> committed;
  const uint64_t start = db_->store().last_committed().value();

  struct Sub {
    std::string spec;
    std::function<bool(const Expected&)> matches;
    std::unique_ptr<Subscription> s;
    std::vector<json::Value> got;
  };
  std::vector<Sub> subs;
  subs.push_back({"{}", [](const Expected&) { return true; }, nullptr, {}});
  subs.push_back({R"({"models": ["Post"]})", [](const Expected& e) { return e.model == "Post"; }, nullptr, {}});
  subs.push_back({R"({"models": {"User": {"where": {"score": {"gt": 50}}}}, "operations": ["update", "delete"]})",
                  [](const Expected& e) { return e.model == "User" && e.op != "create" && e.score > 50; }, nullptr, {}});
  for (Sub& s : subs) s.s = Subscribe(s.spec);

  const int kWriters = 3, kTxns = static_cast<int>(150 * testing::TestScale());
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(w + 1);
      std::map<int64_t, int64_t> users;  // this writer's own rows: id -> score
      std::set<int64_t> has_posts;
      for (int t = 0; t < kTxns; ++t) {
        auto txn = db_->Begin();
        std::vector<Expected> mine;
        const int ops = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < ops; ++k) {
          const int64_t id = w * 1000 + static_cast<int64_t>(rng() % 20);
          const int64_t score = static_cast<int64_t>(rng() % 100);
          const bool exists = users.count(id) > 0;
          if (!exists) {
            ASSERT_OK(txn->Insert("User", {{"id", Value::Int32(id)}, {"name", Value::String("u")},
                                           {"score", Value::Int32(score)}}).status());
            mine.push_back({0, mine.size(), "User", "create", id, score});
            users[id] = score;
          } else if (rng() % 3 == 0 && has_posts.count(id) == 0) {  // no cascade to account for
            ASSERT_OK(txn->Delete("User", {{"id", Value::Int32(id)}}));
            mine.push_back({0, mine.size(), "User", "delete", id, users[id]});
            users.erase(id);
          } else if (rng() % 2 == 0) {
            ASSERT_OK(txn->Update("User", {{"id", Value::Int32(id)}}, {{"score", Value::Int32(score)}}).status());
            mine.push_back({0, mine.size(), "User", "update", id, score});
            users[id] = score;
          } else {
            const int64_t pid = w * 100000 + t * 10 + k;
            ASSERT_OK(txn->Insert("Post", {{"id", Value::Int32(pid)}, {"title", Value::String("p")},
                                           {"authorId", Value::Int32(id)}}).status());
            mine.push_back({0, mine.size(), "Post", "create", pid, 0});
            has_posts.insert(id);
          }
        }
        auto v = txn->Commit();
        ASSERT_OK(v.status());
        std::lock_guard lock(mu);
        for (Expected& e : mine) {
          e.version = v->value();
          committed.push_back(e);
        }
      }
    });
  }
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (Sub& s : subs) {
    readers.emplace_back([&] {
      while (true) {
        const bool last = done.load();
        auto page = s.s->Wait(std::chrono::milliseconds(20));
        ASSERT_OK(page.status());
        const json::Value v = Json(page->json());
        for (const json::Value& c : v.Find("changes")->items()) s.got.push_back(c);
        if (last && page->changes == 0 && s.s->token() >= db_->store().last_committed().value()) break;
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  for (auto& t : readers) t.join();

  std::sort(committed.begin(), committed.end(),
            [](const Expected& a, const Expected& b) { return std::tie(a.version, a.seq) < std::tie(b.version, b.seq); });
  ASSERT_GT(committed.front().version, start);
  for (Sub& s : subs) {
    std::vector<const Expected*> want;
    for (const Expected& e : committed) {
      if (s.matches(e)) want.push_back(&e);
    }
    SCOPED_TRACE(s.spec);
    ASSERT_EQ(s.got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const json::Value& g = s.got[i];
      const Expected& e = *want[i];
      ASSERT_EQ(static_cast<uint64_t>(g.Find("version")->int_value()), e.version) << i;
      ASSERT_EQ(g.Find("model")->string_value(), e.model) << i;
      ASSERT_EQ(g.Find("op")->string_value(), e.op) << i;
      ASSERT_EQ(g.Find("key")->Find("id")->int_value(), e.id) << i;
      if (e.model == "User" && e.op != "delete") {
        ASSERT_EQ(g.Find("new")->Find("score")->int_value(), e.score) << i;
      }
    }
  }
}

}  // namespace
}  // namespace ormdb::engine
