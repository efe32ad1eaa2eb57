// The entity API: defaults, types, unique and foreign-key constraints,
// onDelete / onUpdate actions, clustered storage (rows under their parent,
// moving with it), scans, schema versions and reopening.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "engine/database.h"
#include "tests/test_util.h"

namespace ormdb::engine {
namespace {

using schema::Value;

constexpr char kBlog[] = R"(
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

enum Role {
  USER
  ADMIN
}

model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique
  name      String?
  role      Role     @default(USER)
  createdAt DateTime @default(now())
  posts     Post[]
  profile   Profile?
  audits    Audit[]
  notes     Note[]
}

model Profile {
  id     Int    @id @default(autoincrement())
  bio    String
  user   User   @relation(fields: [userId], references: [id], onDelete: Cascade)
  userId Int    @unique
}

model Post {
  id        Int       @id @default(autoincrement())
  title     String
  published Boolean   @default(false)
  author    User      @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId  Int
  comments  Comment[]
  tags      Tag[]
  updatedAt DateTime  @updatedAt

  @@index([authorId, title])
}

model Comment {
  id     Int    @id @default(autoincrement())
  body   String
  post   Post   @relation(fields: [postId], references: [id], onDelete: Cascade)
  postId Int
}

model Tag {
  id    Int    @id @default(autoincrement())
  name  String @unique
  posts Post[]
}

// Restrict: a user with audits cannot be deleted.
model Audit {
  id     String @id @default(uuid())
  what   String
  user   User   @relation(fields: [userId], references: [id], onDelete: Restrict)
  userId Int
}

// SetNull: notes outlive their user.
model Note {
  id     Int     @id @default(autoincrement())
  text   String
  user   User?   @relation(fields: [userId], references: [id], onDelete: SetNull)
  userId Int?
}
)";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    ASSERT_OK(db_->InstallSchema("schema.prisma", kBlog).status());
  }
  void Open() {
    DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    auto db = Database::Open(dir_.path(), o);
    ASSERT_OK(db.status());
    db_ = std::move(db).value();
  }

  // Runs f in a transaction and commits it.
  template <typename F>
  void InTxn(F f) {
    auto t = db_->Begin();
    f(*t);
    ASSERT_OK(t->Commit().status());
  }

  Fields MustInsert(Transaction& t, std::string_view model, const Fields& f) {
    auto r = t.Insert(model, f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Fields{};
  }

  std::optional<Fields> Find(std::string_view model, const Fields& where) {
    auto t = db_->Begin();
    auto r = t->FindUnique(model, where);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  size_t Count(std::string_view model) {
    auto t = db_->Begin();
    auto r = t->Scan(model, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->size() : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

Value S(std::string s) { return Value::String(std::move(s)); }
Value I(int32_t i) { return Value::Int32(i); }

TEST_F(EngineTest, InsertFillsDefaultsAndFindsByPrimaryKeyOrUnique) {
  InTxn([&](Transaction& t) {
    Fields a = MustInsert(t, "User", {{"email", S("ada@example.com")}, {"name", S("Ada")}});
    EXPECT_EQ(a["id"], I(1));
    EXPECT_EQ(a["role"], S("USER"));
    EXPECT_EQ(a["createdAt"].kind(), Value::Kind::kInt64);
    Fields b = MustInsert(t, "User", {{"email", S("bob@example.com")}});
    EXPECT_EQ(b["id"], I(2));
    EXPECT_TRUE(b["name"].is_null());
    Fields audit = MustInsert(t, "Audit", {{"what", S("signup")}, {"userId", I(1)}});
    EXPECT_EQ(audit["id"].string_value().size(), 36u);  // a UUID in text form
  });
  auto ada = Find("User", {{"email", S("ada@example.com")}});
  ASSERT_TRUE(ada);
  EXPECT_EQ((*ada)["name"], S("Ada"));
  auto by_id = Find("User", {{"id", I(2)}});
  ASSERT_TRUE(by_id);
  EXPECT_EQ((*by_id)["email"], S("bob@example.com"));
  EXPECT_FALSE(Find("User", {{"id", I(3)}}));
}

TEST_F(EngineTest, TypeAndRequiredErrorsNameModelAndField) {
  auto t = db_->Begin();
  Status st = t->Insert("User", {{"email", I(5)}}).status();
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.ToString().find("User.email: expected String, got 5"), std::string::npos) << st.ToString();
  t = db_->Begin();
  st = t->Insert("User", {{"name", S("x")}}).status();
  EXPECT_NE(st.ToString().find("User.email is required"), std::string::npos) << st.ToString();
  t = db_->Begin();
  st = t->Insert("User", {{"email", S("x")}, {"role", S("GOD")}}).status();
  EXPECT_NE(st.ToString().find("not a value of enum Role"), std::string::npos) << st.ToString();
  t = db_->Begin();
  st = t->Insert("Usr", {}).status();
  EXPECT_NE(st.ToString().find("unknown model \"Usr\""), std::string::npos) << st.ToString();
  t = db_->Begin();
  st = t->Insert("User", {{"email", S("x")}, {"nmae", S("x")}}).status();
  EXPECT_NE(st.ToString().find("User has no field \"nmae\""), std::string::npos) << st.ToString();
}

TEST_F(EngineTest, UniqueViolationAbortsTheTransaction) {
  InTxn([&](Transaction& t) { MustInsert(t, "User", {{"email", S("a@x")}}); });
  auto t = db_->Begin();
  Status st = t->Insert("User", {{"email", S("a@x")}}).status();
  EXPECT_NE(st.ToString().find("Unique constraint failed on User(email)"), std::string::npos) << st.ToString();
  // Like PostgreSQL: the transaction is aborted until rolled back.
  st = t->Insert("User", {{"email", S("b@x")}}).status();
  EXPECT_NE(st.ToString().find("transaction aborted"), std::string::npos) << st.ToString();
  EXPECT_FALSE(t->Commit().ok());
  EXPECT_EQ(Count("User"), 1u);
  // Same primary key twice.
  t = db_->Begin();
  st = t->Insert("User", {{"id", I(1)}, {"email", S("c@x")}}).status();
  EXPECT_NE(st.ToString().find("Unique constraint failed on User(id)"), std::string::npos) << st.ToString();
}

TEST_F(EngineTest, ForeignKeysMustNameAnExistingRow) {
  auto t = db_->Begin();
  Status st = t->Insert("Post", {{"title", S("t")}, {"authorId", I(42)}}).status();
  EXPECT_NE(st.ToString().find("Foreign key constraint failed on Post(authorId): no User with id = 42"),
            std::string::npos)
      << st.ToString();
  t = db_->Begin();
  st = t->Insert("Note", {{"text", S("n")}, {"userId", I(42)}}).status();
  EXPECT_NE(st.ToString().find("Foreign key constraint failed on Note(userId)"), std::string::npos) << st.ToString();
  InTxn([&](Transaction& t) { MustInsert(t, "Note", {{"text", S("orphan")}}); });  // optional: may be unset
}

TEST_F(EngineTest, DeleteCascadesRestrictsAndSetsNull) {
  InTxn([&](Transaction& t) {
    MustInsert(t, "User", {{"email", S("a@x")}});
    MustInsert(t, "User", {{"email", S("b@x")}});
    MustInsert(t, "Profile", {{"bio", S("hi")}, {"userId", I(1)}});
    for (int p = 0; p < 3; ++p) {
      Fields post = MustInsert(t, "Post", {{"title", S("p" + std::to_string(p))}, {"authorId", I(1)}});
      for (int c = 0; c < 2; ++c) MustInsert(t, "Comment", {{"body", S("c")}, {"postId", post["id"]}});
    }
    MustInsert(t, "Post", {{"title", S("other")}, {"authorId", I(2)}});
    MustInsert(t, "Note", {{"text", S("n")}, {"userId", I(1)}});
    MustInsert(t, "Audit", {{"what", S("w")}, {"userId", I(2)}});
  });
  EXPECT_EQ(Count("Comment"), 6u);
  InTxn([&](Transaction& t) { ASSERT_OK(t.Delete("User", {{"id", I(1)}})); });
  EXPECT_EQ(Count("Post"), 1u);
  EXPECT_EQ(Count("Comment"), 0u);
  EXPECT_EQ(Count("Profile"), 0u);
  auto note = Find("Note", {{"id", I(1)}});
  ASSERT_TRUE(note);
  EXPECT_TRUE((*note)["userId"].is_null());
  // The index of posts by (authorId, title) lost the deleted ones too.
  {
    auto t = db_->Begin();
    auto posts = t->Scan("Post", ScanSpec{"authorId,title", std::vector<Value>{I(1)}, std::vector<Value>{I(1)}});
    ASSERT_OK(posts.status());
    EXPECT_TRUE(posts->empty());
  }
  auto t = db_->Begin();
  Status st = t->Delete("User", {{"id", I(2)}});
  EXPECT_NE(st.ToString().find("cannot delete User(id = 2): 1 Audit row(s) reference it"), std::string::npos)
      << st.ToString();
  t->Rollback();
  EXPECT_TRUE(Find("User", {{"id", I(2)}}));
  t = db_->Begin();
  EXPECT_TRUE(t->Delete("User", {{"id", I(99)}}).IsNotFound());
}

TEST_F(EngineTest, ClusteredRowsMoveWithTheirParent) {
  InTxn([&](Transaction& t) {
    MustInsert(t, "User", {{"email", S("a@x")}});
    MustInsert(t, "User", {{"email", S("b@x")}});
    MustInsert(t, "Post", {{"title", S("hello")}, {"authorId", I(1)}});
    MustInsert(t, "Comment", {{"body", S("first")}, {"postId", I(1)}});
    MustInsert(t, "Comment", {{"body", S("second")}, {"postId", I(1)}});
  });
  ASSERT_TRUE(db_->catalog()->FindModel("Post")->cluster) << "Post should be stored under its User";
  ASSERT_TRUE(db_->catalog()->FindModel("Comment")->cluster) << "Comment should be stored under its Post";
  InTxn([&](Transaction& t) {
    auto moved = t.Update("Post", {{"id", I(1)}}, {{"authorId", I(2)}});
    ASSERT_OK(moved.status());
    EXPECT_EQ((*moved)["authorId"], I(2));
  });
  auto post = Find("Post", {{"id", I(1)}});
  ASSERT_TRUE(post);
  EXPECT_EQ((*post)["authorId"], I(2));
  auto c = Find("Comment", {{"id", I(2)}});
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)["body"], S("second"));
  EXPECT_EQ(Count("Comment"), 2u);
  // Deleting the old parent no longer reaches them; deleting the new one does.
  InTxn([&](Transaction& t) { ASSERT_OK(t.Delete("User", {{"id", I(1)}})); });
  EXPECT_EQ(Count("Comment"), 2u);
  InTxn([&](Transaction& t) { ASSERT_OK(t.Delete("User", {{"id", I(2)}})); });
  EXPECT_EQ(Count("Comment"), 0u);
  EXPECT_EQ(Count("Post"), 0u);
}

TEST_F(EngineTest, UpdateChecksConstraintsAndCascadesKeyChanges) {
  InTxn([&](Transaction& t) {
    MustInsert(t, "User", {{"email", S("a@x")}});
    MustInsert(t, "User", {{"email", S("b@x")}});
    MustInsert(t, "Post", {{"title", S("t")}, {"authorId", I(1)}});
    MustInsert(t, "Comment", {{"body", S("c")}, {"postId", I(1)}});
  });
  auto t = db_->Begin();
  Status st = t->Update("User", {{"id", I(1)}}, {{"email", S("b@x")}}).status();
  EXPECT_NE(st.ToString().find("Unique constraint failed on User(email)"), std::string::npos) << st.ToString();
  t->Rollback();
  // A new primary key: the posts follow (onUpdate defaults to Cascade), and
  // their comments move with them.
  InTxn([&](Transaction& t) { ASSERT_OK(t.Update("User", {{"id", I(1)}}, {{"id", I(10)}}).status()); });
  auto post = Find("Post", {{"id", I(1)}});
  ASSERT_TRUE(post);
  EXPECT_EQ((*post)["authorId"], I(10));
  EXPECT_TRUE(Find("Comment", {{"id", I(1)}}));
  EXPECT_FALSE(Find("User", {{"id", I(1)}}));
  auto old_updated = (*post)["updatedAt"];
  InTxn([&](Transaction& t) { ASSERT_OK(t.Update("Post", {{"id", I(1)}}, {{"title", S("new")}}).status()); });
  EXPECT_GE(schema::Compare((*Find("Post", {{"id", I(1)}}))["updatedAt"], old_updated), 0);
}

TEST_F(EngineTest, ScansFollowIndexOrderWithBoundsReverseAndLimit) {
  InTxn([&](Transaction& t) {
    MustInsert(t, "User", {{"email", S("a@x")}});
    MustInsert(t, "User", {{"email", S("b@x")}});
    for (const char* title : {"d", "b", "a", "c"}) MustInsert(t, "Post", {{"title", S(title)}, {"authorId", I(1)}});
    MustInsert(t, "Post", {{"title", S("z")}, {"authorId", I(2)}});
  });
  auto t = db_->Begin();
  auto by_title = t->Scan("Post", ScanSpec{"authorId,title", std::vector<Value>{I(1)}, std::vector<Value>{I(1)}});
  ASSERT_OK(by_title.status());
  std::string titles;
  for (auto& p : *by_title) titles += p["title"].string_value();
  EXPECT_EQ(titles, "abcd");
  auto last_two = t->Scan("Post", ScanSpec{"authorId,title", std::vector<Value>{I(1), S("b")}, std::nullopt, true, 2});
  ASSERT_OK(last_two.status());
  ASSERT_EQ(last_two->size(), 2u);
  EXPECT_EQ((*last_two)[0]["title"], S("z"));
  EXPECT_EQ((*last_two)[1]["title"], S("d"));
  auto by_pk = t->Scan("Post", ScanSpec{"", std::vector<Value>{I(2)}, std::vector<Value>{I(4)}});
  ASSERT_OK(by_pk.status());
  ASSERT_EQ(by_pk->size(), 3u);
  EXPECT_EQ((*by_pk)[0]["id"], I(2));
  EXPECT_TRUE(t->Scan("Post", ScanSpec{"title"}).status().IsInvalidArgument());
}

TEST_F(EngineTest, ManyToManyJoinRowsCascadeFromBothSides) {
  InTxn([&](Transaction& t) {
    MustInsert(t, "User", {{"email", S("a@x")}});
    MustInsert(t, "Post", {{"title", S("p")}, {"authorId", I(1)}});
    MustInsert(t, "Tag", {{"name", S("db")}});
    MustInsert(t, "Tag", {{"name", S("c++")}});
    MustInsert(t, "_PostToTag", {{"A", I(1)}, {"B", I(1)}});
    MustInsert(t, "_PostToTag", {{"A", I(1)}, {"B", I(2)}});
  });
  EXPECT_EQ(Count("_PostToTag"), 2u);
  InTxn([&](Transaction& t) { ASSERT_OK(t.Delete("Tag", {{"name", S("db")}})); });
  EXPECT_EQ(Count("_PostToTag"), 1u);
  InTxn([&](Transaction& t) { ASSERT_OK(t.Delete("Post", {{"id", I(1)}})); });
  EXPECT_EQ(Count("_PostToTag"), 0u);
}

TEST_F(EngineTest, ConcurrentDeleteAndInsertOfAChildCannotBothCommit) {
  InTxn([&](Transaction& t) { MustInsert(t, "User", {{"email", S("a@x")}}); });
  auto a = db_->Begin();
  auto b = db_->Begin();
  ASSERT_OK(a->Insert("Note", {{"text", S("n")}, {"userId", I(1)}}).status());
  ASSERT_OK(b->Delete("User", {{"id", I(1)}}));
  ASSERT_OK(b->Commit().status());
  Status st = a->Commit().status();
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
}

TEST_F(EngineTest, ReopenKeepsCatalogRowsAndSequences) {
  InTxn([&](Transaction& t) {
    MustInsert(t, "User", {{"email", S("a@x")}});
    MustInsert(t, "User", {{"email", S("b@x")}});
  });
  db_.reset();
  Open();
  EXPECT_EQ(db_->catalog()->version(), 1u);
  EXPECT_EQ(Count("User"), 2u);
  InTxn([&](Transaction& t) {
    Fields c = MustInsert(t, "User", {{"email", S("c@x")}});
    EXPECT_GT(c["id"].int32_value(), 2);  // never a value handed out before the restart
  });
}

// Explicit values in an autoincrement column move its sequence past them
// with a block reserved at a time, not a commit per row; generated values
// never repeat one, also after a restart.
TEST_F(EngineTest, ExplicitIdsMoveTheSequenceABlockAtATime) {
  const uint64_t commits_before = db_->store().stats().commits;
  InTxn([&](Transaction& t) {
    for (int i = 1; i <= 3000; ++i) MustInsert(t, "User", {{"id", I(i)}, {"email", S("u" + std::to_string(i))}});
  });
  // The rows' own commit and one per 1,024 ids reserved.
  EXPECT_LE(db_->store().stats().commits - commits_before, 5u);
  InTxn([&](Transaction& t) { EXPECT_EQ(MustInsert(t, "User", {{"email", S("next")}})["id"].int32_value(), 3001); });
  InTxn([&](Transaction& t) { MustInsert(t, "User", {{"id", I(3500)}, {"email", S("gap")}}); });
  db_.reset();
  Open();
  InTxn([&](Transaction& t) {
    EXPECT_GT(MustInsert(t, "User", {{"email", S("after")}})["id"].int32_value(), 3500);
  });
}

TEST_F(EngineTest, RowsOfAnOlderSchemaVersionReadWithNewFieldsFilledIn) {
  InTxn([&](Transaction& t) { MustInsert(t, "User", {{"email", S("a@x")}}); });
  std::string v2 = kBlog;
  v2.replace(v2.find("  posts     Post[]"), 0, "  karma     Int      @default(7)\n  bio       String?\n");
  auto c = db_->InstallSchema("schema.prisma", v2);
  ASSERT_OK(c.status());
  EXPECT_EQ((*c)->version(), 2u);
  auto a = Find("User", {{"id", I(1)}});
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)["karma"], I(7));
  EXPECT_TRUE((*a)["bio"].is_null());
  InTxn([&](Transaction& t) { ASSERT_OK(t.Update("User", {{"id", I(1)}}, {{"karma", I(9)}}).status()); });
  EXPECT_EQ((*Find("User", {{"id", I(1)}}))["karma"], I(9));
}

TEST_F(EngineTest, ATransactionOpenAcrossASchemaChangeMustRetry) {
  auto t = db_->Begin();
  ASSERT_OK(t->Insert("User", {{"email", S("a@x")}}).status());
  std::string v2 = kBlog;
  v2.replace(v2.find("  posts     Post[]"), 0, "  bio       String?\n");
  ASSERT_OK(db_->InstallSchema("schema.prisma", v2).status());
  EXPECT_TRUE(t->Commit().status().IsConflict());
}

// A database held in a static object closes after the thread's I/O ring is
// gone (thread-locals of the main thread die first): the final checkpoint
// must still be written, by plain pread/pwrite.
std::unique_ptr<Database> g_static_db;

TEST(EngineExitTest, ADatabaseInAStaticClosesCleanlyAtExit) {
  testing::TempDir dir;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto db = Database::Open(dir.path());
    if (!db.ok() || !(*db)->InstallSchema("s.prisma", "model T {\n id Int @id\n}\n").ok()) std::_Exit(3);
    g_static_db = std::move(db).value();
    auto t = g_static_db->Begin();
    if (!t->Insert("T", {{"id", schema::Value::Int32(7)}}).ok() || !t->Commit().ok()) std::_Exit(4);
    std::exit(0);  // static and thread-local destructors run here
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto db = Database::Open(dir.path());
  ASSERT_OK(db.status());
  auto t = (*db)->Begin();
  auto row = t->FindUnique("T", {{"id", schema::Value::Int32(7)}});
  ASSERT_OK(row.status());
  EXPECT_TRUE(row->has_value());
}

}  // namespace
}  // namespace ormdb::engine
