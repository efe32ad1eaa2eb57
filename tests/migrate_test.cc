// Running migrations: the first schema, online index builds (also under
// concurrent writes), unique clashes rolled back, validations, destructive
// steps, and an interrupted build finished at the next open.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "engine/database.h"
#include "engine/keyspace.h"
#include "tests/test_util.h"

namespace ormdb::engine {
namespace {

using schema::Value;

constexpr char kV1[] = R"(
model User {
  id    Int     @id
  email String
  name  String?
  score Int     @default(0)
  posts Post[]
}

model Post {
  id       Int    @id
  title    String
  author   User   @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId Int
}
)";

std::string With(std::string text, std::string_view anchor, std::string_view insert) {
  text.insert(text.find(anchor), insert);
  return text;
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    db_.reset();
    DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    auto db = Database::Open(dir_.path(), o);
    ASSERT_OK(db.status());
    db_ = std::move(db).value();
  }
  void AddUsers(int from, int to, std::string_view email = "") {
    auto t = db_->Begin();
    for (int i = from; i < to; ++i) {
      std::string e = email.empty() ? "u" + std::to_string(i) + "@x" : std::string(email);
      ASSERT_OK(t->Insert("User", {{"id", Value::Int32(i)}, {"email", Value::String(e)}}).status());
    }
    ASSERT_OK(t->Commit().status());
  }
  std::vector<Fields> ScanAll(std::string_view model, ScanSpec spec = {}) {
    auto t = db_->Begin();
    auto rows = t->Scan(model, spec);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<Fields>{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(MigrateTest, FirstMigrationIsAllGradeAAndRecorded) {
  auto plan = db_->PlanMigration("schema.prisma", kV1);
  ASSERT_OK(plan.status());
  EXPECT_EQ(plan->overall, schema::Grade::kA);
  auto r = db_->Migrate("schema.prisma", kV1, MigrateOptions{.who = "test"});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->version, 1u);
  auto record = db_->MigrationRecord(1);
  ASSERT_OK(record.status());
  EXPECT_NE(record->find("by test"), std::string::npos) << *record;
  // Nothing to do the second time.
  r = db_->Migrate("schema.prisma", kV1);
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->plan.steps.empty());
  EXPECT_EQ(db_->catalog()->version(), 1u);
}

TEST_F(MigrateTest, IndexBuiltOverExistingRowsIsUsable) {
  ASSERT_OK(db_->Migrate("schema.prisma", kV1).status());
  AddUsers(0, 2500);
  std::string v2 = With(kV1, "  posts Post[]", "  @@index([email])\n");
  auto plan = db_->PlanMigration("schema.prisma", v2);
  ASSERT_OK(plan.status());
  EXPECT_EQ(plan->overall, schema::Grade::kB);
  uint64_t reported = 0;
  MigrateOptions o;
  o.batch_rows = 300;
  o.progress = [&](const std::string&, uint64_t rows) { reported = rows; };
  auto r = db_->Migrate("schema.prisma", v2, o);
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->failed.empty());
  EXPECT_EQ(reported, 2500u);
  EXPECT_FALSE(db_->catalog()->building());
  EXPECT_EQ(ScanAll("User", ScanSpec{.index = "email"}).size(), 2500u);
}

TEST_F(MigrateTest, UniqueIndexOverClashingRowsIsRolledBackAndReported) {
  ASSERT_OK(db_->Migrate("schema.prisma", kV1).status());
  AddUsers(0, 10);
  AddUsers(10, 12, "same@x");
  std::string v2 = With(kV1, "  name  String?", "  nick  String?\n");
  v2 = With(v2, "  posts Post[]", "  @@unique([email])\n");
  auto r = db_->Migrate("schema.prisma", v2);
  ASSERT_OK(r.status());
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_NE(r->failed[0].find("email = \"same@x\""), std::string::npos) << r->failed[0];
  // The rest of the migration stands; the index does not.
  const ModelInfo* user = db_->catalog()->FindModel("User");
  EXPECT_TRUE(user->FindField("nick"));
  EXPECT_TRUE(user->indexes.empty());
  EXPECT_EQ(ScanAll("User").size(), 12u);
  // A later plan still wants the unique index.
  auto plan = db_->PlanMigration("schema.prisma", v2);
  ASSERT_OK(plan.status());
  ASSERT_EQ(plan->steps.size(), 1u);
  EXPECT_EQ(plan->steps[0].kind, schema::StepKind::kAddUnique);
}

TEST_F(MigrateTest, MakingAFieldRequiredIsRefusedWhileRowsHoldNull) {
  ASSERT_OK(db_->Migrate("schema.prisma", kV1).status());
  AddUsers(0, 3);
  std::string v2 = kV1;
  v2.replace(v2.find("String?"), 7, "String ");
  Status st = db_->Migrate("schema.prisma", v2).status();
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.ToString().find("User(id = 0)"), std::string::npos) << st.ToString();
  EXPECT_EQ(db_->catalog()->version(), 1u);
  {
    auto t = db_->Begin();
    for (int i = 0; i < 3; ++i) {
      ASSERT_OK(t->Update("User", {{"id", Value::Int32(i)}}, {{"name", Value::String("n")}}).status());
    }
    ASSERT_OK(t->Commit().status());
  }
  ASSERT_OK(db_->Migrate("schema.prisma", v2).status());
  EXPECT_FALSE(db_->catalog()->FindModel("User")->fields[2].nullable);
}

TEST_F(MigrateTest, DroppingAModelNeedsAllowDestructiveAndRemovesItsRows) {
  ASSERT_OK(db_->Migrate("schema.prisma", kV1).status());
  AddUsers(0, 5);
  {
    auto t = db_->Begin();
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK(t->Insert("Post", {{"id", Value::Int32(i)}, {"title", Value::String("t")}, {"authorId", Value::Int32(i % 5)}})
                    .status());
    }
    ASSERT_OK(t->Commit().status());
  }
  const uint32_t post_entity = db_->catalog()->FindModel("Post")->entity;
  std::string v2 = kV1;
  v2.erase(v2.find("model Post"));
  v2.replace(v2.find("  posts Post[]\n"), 15, "");
  Status st = db_->Migrate("schema.prisma", v2).status();
  EXPECT_NE(st.ToString().find("--allow-destructive"), std::string::npos) << st.ToString();
  EXPECT_EQ(ScanAll("Post").size(), 20u);
  ASSERT_OK(db_->Migrate("schema.prisma", v2, MigrateOptions{.allow_destructive = true}).status());
  EXPECT_EQ(db_->catalog()->FindModel("Post"), nullptr);
  EXPECT_EQ(ScanAll("User").size(), 5u);
  // No row of the dropped model is left under its users.
  auto read = db_->store().BeginRead();
  auto it = read->NewCursor();
  int left = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string k(it->key());
    std::string tag;
    schema::AppendU32Key(&tag, post_entity);
    if (k[0] == kRowSpace && k.find(tag) != std::string::npos) ++left;
  }
  EXPECT_EQ(left, 0);
}

TEST_F(MigrateTest, IndexBuiltUnderConcurrentWritesEqualsAScan) {
  ASSERT_OK(db_->Migrate("schema.prisma", kV1).status());
  AddUsers(0, 3000);
  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  std::thread writer([&] {
    std::mt19937 rng(7);
    while (!stop.load()) {
      auto t = db_->Begin();
      int id = static_cast<int>(rng() % 4000);
      Status st;
      switch (rng() % 3) {
        case 0:
          st = t->Insert("User", {{"id", Value::Int32(id)}, {"email", Value::String("w" + std::to_string(rng() % 50))}})
                   .status();
          break;
        case 1:
          st = t->Update("User", {{"id", Value::Int32(id)}}, {{"email", Value::String("v" + std::to_string(rng() % 50))}})
                   .status();
          break;
        default:
          st = t->Delete("User", {{"id", Value::Int32(id)}});
      }
      if (st.ok() && t->Commit().ok()) ++commits;
    }
  });
  std::string v2 = With(kV1, "  posts Post[]", "  @@index([email])\n");
  auto r = db_->Migrate("schema.prisma", v2, MigrateOptions{.batch_rows = 100});
  // Keep writing a little after the switch too.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  writer.join();
  ASSERT_OK(r.status());
  EXPECT_GT(commits.load(), 0) << "the writer never committed";
  auto by_index = ScanAll("User", ScanSpec{.index = "email"});
  auto all = ScanAll("User");
  std::multiset<std::pair<std::string, int32_t>> expected, got;
  for (auto& u : all) expected.emplace(u["email"].string_value(), u["id"].int32_value());
  for (auto& u : by_index) got.emplace(u["email"].string_value(), u["id"].int32_value());
  EXPECT_EQ(got, expected);
  // And in index order.
  for (size_t i = 1; i < by_index.size(); ++i) {
    EXPECT_LE(by_index[i - 1]["email"].string_value(), by_index[i]["email"].string_value());
  }
}

// Reads take the catalog without reading its keys when no install is
// under way (Database::Begin); migrations installing catalog after catalog
// must never hand a read one its snapshot does not hold. Debug builds
// check every such read against the keys; here each reader also sees
// catalog versions only go up and every read succeed.
TEST_F(MigrateTest, ReadsDuringMigrationsGetTheCatalogTheirSnapshotHolds) {
  ASSERT_OK(db_->Migrate("v1.prisma", kV1).status());
  AddUsers(0, 50);
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      uint32_t last = 0;
      query::ExecuteOptions o;
      o.accept = query::ExecuteOptions::Accept::kReads;
      while (!stop.load()) {
        auto t = db_->Begin(/*read_only=*/true);
        const uint32_t v = t->catalog().version();
        EXPECT_GE(v, last);
        last = v;
        t.reset();
        auto res = db_->Execute(R"({"findMany":"User","take":5})", o);
        ASSERT_OK(res.status());
        reads.fetch_add(1);
      }
    });
  }
  std::string schema = kV1;
  for (int i = 0; i < 12; ++i) {
    schema = With(schema, "  posts Post[]", "  extra" + std::to_string(i) + " Int @default(" + std::to_string(i) + ")\n");
    ASSERT_OK(db_->Migrate("v" + std::to_string(i + 2) + ".prisma", schema).status());
    AddUsers(100 + i, 101 + i);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  auto t = db_->Begin(true);
  EXPECT_EQ(t->catalog().version(), db_->catalog()->version());
}

TEST_F(MigrateTest, WideningTypeChangeRewritesRowsAndMovesClusteredChildren) {
  ASSERT_OK(db_->Migrate("schema.prisma", kV1).status());
  AddUsers(0, 700);
  {
    auto t = db_->Begin();
    for (int i = 0; i < 1400; ++i) {
      ASSERT_OK(t->Insert("Post", {{"id", Value::Int32(i)}, {"title", Value::String("t" + std::to_string(i))},
                                   {"authorId", Value::Int32(i % 700)}})
                    .status());
    }
    ASSERT_OK(t->Update("User", {{"id", Value::Int32(3)}}, {{"score", Value::Int32(-5)}}).status());
    ASSERT_OK(t->Commit().status());
  }
  ASSERT_TRUE(db_->catalog()->FindModel("Post")->cluster);
  const uint32_t old_user = db_->catalog()->FindModel("User")->entity;
  std::string v2 = kV1;
  v2.replace(v2.find("score Int "), 10, "score BigInt ");
  auto plan = db_->PlanMigration("schema.prisma", v2);
  ASSERT_OK(plan.status());
  EXPECT_EQ(plan->overall, schema::Grade::kC);
  std::string phases;
  MigrateOptions o;
  o.batch_rows = 128;
  o.progress = [&](const std::string& what, uint64_t) {
    if (phases.find(what) == std::string::npos) phases += what + ";";
  };
  auto r = db_->Migrate("schema.prisma", v2, o);
  ASSERT_OK(r.status());
  EXPECT_NE(phases.find("rewriting the rows of User"), std::string::npos) << phases;
  EXPECT_NE(phases.find("rewriting the rows of Post"), std::string::npos) << phases;
  EXPECT_NE(db_->catalog()->FindModel("User")->entity, old_user);
  auto users = ScanAll("User");
  ASSERT_EQ(users.size(), 700u);
  EXPECT_EQ(users[3]["score"], Value::Int64(-5));
  EXPECT_EQ(users[4]["score"], Value::Int64(0));
  EXPECT_EQ(ScanAll("Post").size(), 1400u);
  // The old rows are gone from the keyspace, and the moved posts still
  // cascade from their user.
  {
    auto read = db_->store().BeginRead();
    auto it = read->NewCursor(btree::CursorOptions{SpacePrefix(kRowSpace, old_user), PrefixEnd(SpacePrefix(kRowSpace, old_user))});
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid());
  }
  auto t = db_->Begin();
  ASSERT_OK(t->Delete("User", {{"id", Value::Int32(5)}}));
  ASSERT_OK(t->Commit().status());
  EXPECT_EQ(ScanAll("Post").size(), 1398u);
}

// A request that must not wait (a server's event loop runs it) fails at a
// model a migration is rewriting, says it would have waited and keeps
// nothing; reads go on; after the migration the same request succeeds.
TEST_F(MigrateTest, ARequestThatMustNotWaitStepsAsideForARewrite) {
  ASSERT_OK(db_->Migrate("schema.prisma", kV1).status());
  AddUsers(0, 300);
  std::string v2 = kV1;
  v2.replace(v2.find("score Int "), 10, "score BigInt ");
  constexpr char kCreate[] = R"({"create":"User","data":{"id":1000,"email":"new@x.org"}})";
  MigrateOptions o;
  o.batch_rows = 128;
  int tried = 0;
  o.progress = [&](const std::string& what, uint64_t) {
    // Called by the migration while it holds User's gate.
    if (what.find("rewriting the rows of User") == std::string::npos || tried++ > 0) return;
    bool would_wait = false;
    query::ExecuteOptions eo;
    eo.would_wait = &would_wait;
    Result<query::QueryResult> r = db_->Execute(kCreate, eo);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(would_wait) << r.status().ToString();
    bool read_would_wait = false;
    eo.would_wait = &read_would_wait;
    EXPECT_OK(db_->Execute(R"({"findUnique":"User","where":{"id":7}})", eo).status());
    EXPECT_FALSE(read_would_wait);
  };
  ASSERT_OK(db_->Migrate("schema.prisma", v2, o).status());
  EXPECT_GE(tried, 1);
  EXPECT_EQ(ScanAll("User").size(), 300u);  // the refused create kept nothing
  bool would_wait = false;
  query::ExecuteOptions eo;
  eo.would_wait = &would_wait;
  ASSERT_OK(db_->Execute(kCreate, eo).status());
  EXPECT_FALSE(would_wait);
  EXPECT_EQ(ScanAll("User").size(), 301u);
}

TEST_F(MigrateTest, NewPrimaryKeyRewritesRowsUnderTheirNewKeys) {
  constexpr char kItems[] = R"(
model Item {
  id  Int    @id
  sku String @unique
}
)";
  ASSERT_OK(db_->Migrate("schema.prisma", kItems).status());
  {
    auto t = db_->Begin();
    for (int i = 0; i < 50; ++i) {
      ASSERT_OK(t->Insert("Item", {{"id", Value::Int32(i)}, {"sku", Value::String("s" + std::to_string(99 - i))}})
                    .status());
    }
    ASSERT_OK(t->Commit().status());
  }
  std::string v2 = R"(
model Item {
  id  Int    @unique
  sku String @id
}
)";
  auto r = db_->Migrate("schema.prisma", v2);
  ASSERT_OK(r.status());
  auto items = ScanAll("Item");
  ASSERT_EQ(items.size(), 50u);
  EXPECT_EQ(items[0]["sku"], Value::String("s50"));  // now in sku order
  auto t = db_->Begin();
  auto found = t->FindUnique("Item", {{"id", Value::Int32(7)}});
  ASSERT_OK(found.status());
  ASSERT_TRUE(*found);
  EXPECT_EQ((**found)["sku"], Value::String("s92"));
}

TEST_F(MigrateTest, NarrowingLosesOnlyWhatHasNoNewValueAndFailingLeavesTheOldSchema) {
  constexpr char kNotes[] = R"(
model Note {
  id    Int     @id
  n     String?
  m     String
}
)";
  ASSERT_OK(db_->Migrate("schema.prisma", kNotes).status());
  {
    auto t = db_->Begin();
    ASSERT_OK(t->Insert("Note", {{"id", Value::Int32(1)}, {"n", Value::String("42")}, {"m", Value::String("7")}}).status());
    ASSERT_OK(t->Insert("Note", {{"id", Value::Int32(2)}, {"n", Value::String("x")}, {"m", Value::String("8")}}).status());
    ASSERT_OK(t->Commit().status());
  }
  // n: String? -> Int? loses "x" (grade D, so only when allowed).
  std::string v2 = kNotes;
  v2.replace(v2.find("n     String?"), 13, "n     Int?   ");
  EXPECT_FALSE(db_->Migrate("schema.prisma", v2).ok());
  auto r = db_->Migrate("schema.prisma", v2, MigrateOptions{.allow_destructive = true});
  ASSERT_OK(r.status());
  auto notes = ScanAll("Note");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0]["n"], Value::Int32(42));
  EXPECT_TRUE(notes[1]["n"].is_null());
  // m: String -> Boolean has no value for "7" and m is required: refused,
  // and nothing of the attempt is left.
  const uint32_t version = db_->catalog()->version();
  std::string v3 = v2;
  v3.replace(v3.find("m     String"), 12, "m     Boolean");
  Status st = db_->Migrate("schema.prisma", v3, MigrateOptions{.allow_destructive = true}).status();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("the field is required"), std::string::npos) << st.ToString();
  EXPECT_EQ(db_->catalog()->version(), version);
  EXPECT_EQ(ScanAll("Note").size(), 2u);
  Open();  // and a reopen finds no leftover
  EXPECT_EQ(db_->catalog()->version(), version);
  EXPECT_EQ(ScanAll("Note").size(), 2u);
}

}  // namespace
}  // namespace ormdb::engine
