// Writes through the request API, one constraint or cascade path per test:
// what create, createMany, update, updateMany, upsert, delete and deleteMany
// answer, what they keep when they fail (nothing), and how interactive
// transactions and batches behave around a failed write. The schema below is
// written as a Prisma user would, with a relation for each referential action.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <thread>

#include "engine/database.h"
#include "query/parser.h"
#include "query/result.h"
#include "schema/literal.h"
#include "tests/test_util.h"
#include "util/json.h"

namespace ormdb::engine {
namespace {

constexpr char kSchema[] = R"(
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

enum Role {
  MEMBER
  OWNER
  GUEST @map("guest")
}

enum Status {
  DRAFT
  PUBLISHED
}

model User {
  id            Int            @id @default(autoincrement())
  email         String         @unique
  name          String?
  role          Role           @default(MEMBER)
  karma         Int            @default(0)
  bonus         Int?
  balance       BigInt         @default(0)
  rating        Float          @default(1.5)
  createdAt     DateTime       @default(now())
  updatedAt     DateTime       @updatedAt
  profile       Profile?
  posts         Post[]
  comments      Comment[]
  audits        Audit[]
  notes         Note[]
  subscriptions Subscription[]
  memberships   Membership[]
  following     User[]         @relation("Follows")
  followers     User[]         @relation("Follows")
}

model Profile {
  id     Int    @id @default(autoincrement())
  bio    String
  user   User   @relation(fields: [userId], references: [id], onDelete: Cascade)
  userId Int    @unique
}

// Stored under its author; a slug is unique per author.
model Post {
  id        Int       @id @default(autoincrement())
  slug      String
  title     String
  status    Status    @default(DRAFT)
  views     BigInt    @default(0)
  score     Float?
  author    User      @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId  Int
  comments  Comment[]
  tags      Tag[]
  audits    Audit[]
  updatedAt DateTime  @updatedAt

  @@unique([authorId, slug])
  @@cluster(author)
}

// Stored under its post. Replies go with the comment they answer; a
// comment outlives its author.
model Comment {
  id       Int       @id @default(autoincrement())
  body     String
  post     Post      @relation(fields: [postId], references: [id], onDelete: Cascade)
  postId   Int
  author   User?     @relation(fields: [authorId], references: [id], onDelete: SetNull)
  authorId Int?
  parent   Comment?  @relation("Replies", fields: [parentId], references: [id], onDelete: Cascade)
  parentId Int?
  replies  Comment[] @relation("Replies")

  @@cluster(post)
}

model Tag {
  id    Int    @id @default(autoincrement())
  label String @unique
  posts Post[]
}

// Restrict: a user, or a post, with audits cannot be deleted.
model Audit {
  id     String @id @default(uuid())
  what   String
  user   User   @relation(fields: [userId], references: [id], onDelete: Restrict)
  userId Int
  post   Post?  @relation(fields: [postId], references: [id], onDelete: Restrict)
  postId Int?
}

// SetNull on delete and on a key change: notes outlive their user.
model Note {
  id     Int    @id @default(autoincrement())
  text   String
  user   User?  @relation(fields: [userId], references: [id], onDelete: SetNull, onUpdate: SetNull)
  userId Int?
}

// NoAction on delete; follows its user's email, a unique key other than
// the primary key, when it changes.
model Subscription {
  id        Int    @id @default(autoincrement())
  topic     String
  user      User   @relation(fields: [userEmail], references: [email], onDelete: NoAction, onUpdate: Cascade)
  userEmail String
}

model Team {
  id          Int          @id
  name        String       @unique
  players     Player[]
  memberships Membership[]
}

// SetDefault: a player whose team is deleted joins team 1. A team's key
// cannot change while it has players.
model Player {
  id     Int    @id @default(autoincrement())
  name   String
  team   Team   @relation(fields: [teamId], references: [id], onDelete: SetDefault, onUpdate: Restrict)
  teamId Int    @default(1)
}

// A compound primary key made of two foreign keys.
model Membership {
  team   Team @relation(fields: [teamId], references: [id], onDelete: Cascade, onUpdate: Cascade)
  teamId Int
  user   User @relation(fields: [userId], references: [id], onDelete: Cascade)
  userId Int
  role   Role @default(MEMBER)

  @@id([teamId, userId])
}

// Every kind of default.
model Gadget {
  id        Int      @id @default(autoincrement())
  uid       String   @unique @default(uuid())
  ref       String   @db.Uuid @default(uuid())
  code      String   @default(cuid())
  label     String   @default("unnamed")
  qty       Int      @default(3)
  big       BigInt   @default(9000000000)
  ratio     Float    @default(0.25)
  enabled   Boolean  @default(true)
  status    Status   @default(PUBLISHED)
  role      Role     @default(GUEST)
  bornAt    DateTime @default("2024-02-29T13:45:00Z")
  createdAt DateTime @default(now())
  updatedAt DateTime @updatedAt
  serial    String?  @unique
  note      String?
}
)";

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Contains(const Status& st, std::string_view text) { return st.message().find(text) != std::string::npos; }

class MutationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    auto db = Database::Open(dir_.path(), o);
    ASSERT_OK(db.status());
    db_ = std::move(db).value();
    ASSERT_OK(db_->InstallSchema("schema.prisma", kSchema).status());
  }

  // The request's answer as nested JSON; fails the test on an error.
  std::string Run(std::string_view request) {
    Result<query::QueryResult> r = db_->Execute(request);
    EXPECT_TRUE(r.ok()) << request << "\n" << r.status().ToString();
    return r.ok() ? query::ToJson(*r) : "";
  }

  // The request's error; fails the test when it succeeds.
  Status Fail(std::string_view request) {
    Result<query::QueryResult> r = db_->Execute(request);
    EXPECT_FALSE(r.ok()) << request << " answered " << (r.ok() ? query::ToJson(*r) : "");
    return r.ok() ? Status::OK() : r.status();
  }

  json::Value Json(std::string_view request) {
    Result<json::Value> v = json::Parse(Run(request));
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(v).value() : json::Value();
  }

  std::string Count(std::string_view model) { return Run(R"({"count":")" + std::string(model) + R"("})"); }

  // A request inside an interactive transaction.
  static Result<query::QueryResult> In(Transaction& t, std::string_view request) {
    Result<query::Request> req = query::ParseRequest(request, t.catalog().schema());
    if (!req.ok()) return req.status();
    return t.Execute(*req);
  }
  static std::string InOk(Transaction& t, std::string_view request) {
    Result<query::QueryResult> r = In(t, request);
    EXPECT_TRUE(r.ok()) << request << "\n" << r.status().ToString();
    return r.ok() ? query::ToJson(*r) : "";
  }

  // Two users; Ada's posts 1 ("engines", with comment 1 by Bob and Ada's
  // reply 2) and 2 ("notes"); Bob's post 3 ("hello", with comment 3 by Ada).
  // Tags math (posts 1, 3) and machines (post 1). Ada has a profile.
  void SeedBlog() {
    Run(R"({"create":"User","data":{"email":"ada@x.org","name":"Ada","profile":{"create":{"bio":"math"}},
            "posts":{"create":[
              {"slug":"engines","title":"Engines","tags":{"create":[{"label":"math"},{"label":"machines"}]}},
              {"slug":"notes","title":"Notes"}]}}})");
    Run(R"({"create":"User","data":{"email":"bob@x.org",
            "posts":{"create":{"slug":"hello","title":"Hello","tags":{"connect":{"label":"math"}}}}}})");
    Run(R"({"create":"Comment","data":{"body":"nice","postId":1,"authorId":2}})");
    Run(R"({"create":"Comment","data":{"body":"thanks","postId":1,"authorId":1,"parentId":1}})");
    Run(R"({"create":"Comment","data":{"body":"hi","postId":3,"authorId":1}})");
  }

  // Team 1 (the default team), 2 and 3; players 1 and 2 in team 2, player 3 in team 1.
  void SeedTeams() {
    Run(R"({"createMany":"Team","data":[{"id":1,"name":"free"},{"id":2,"name":"red"},{"id":3,"name":"blue"}]})");
    Run(R"({"createMany":"Player","data":[{"name":"p1","teamId":2},{"name":"p2","teamId":2},{"name":"p3"}]})");
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

// ================================================================ create

TEST_F(MutationTest, CreateFillsEveryKindOfDefault) {
  const int64_t before = NowMicros();
  json::Value g = Json(R"({"create":"Gadget","data":{}})");
  const int64_t after = NowMicros();
  ASSERT_TRUE(g.is_object()) << g.ToString();
  EXPECT_EQ(g.Find("id")->int_value(), 1);
  const std::regex uuid4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  EXPECT_TRUE(std::regex_match(g.Find("uid")->string_value(), uuid4)) << g.ToString();
  EXPECT_TRUE(std::regex_match(g.Find("ref")->string_value(), uuid4)) << g.ToString();
  EXPECT_TRUE(std::regex_match(g.Find("code")->string_value(), std::regex("^c[0-9a-z]{24}$"))) << g.ToString();
  EXPECT_EQ(g.Find("label")->string_value(), "unnamed");
  EXPECT_EQ(g.Find("qty")->int_value(), 3);
  EXPECT_EQ(g.Find("big")->int_value(), 9000000000);
  EXPECT_EQ(g.Find("ratio")->double_value(), 0.25);
  EXPECT_TRUE(g.Find("enabled")->bool_value());
  EXPECT_EQ(g.Find("status")->string_value(), "PUBLISHED");
  EXPECT_EQ(g.Find("role")->string_value(), "GUEST");  // the value's name, not its @map
  EXPECT_EQ(g.Find("bornAt")->string_value(), "2024-02-29T13:45:00Z");
  for (const char* f : {"createdAt", "updatedAt"}) {
    std::optional<int64_t> t = schema::ParseTimestampMicros(g.Find(f)->string_value());
    ASSERT_TRUE(t) << g.ToString();
    EXPECT_GE(*t, before) << f;
    EXPECT_LE(*t, after) << f;
  }
  EXPECT_TRUE(g.Find("note")->is_null());
  json::Value g2 = Json(R"({"create":"Gadget","data":{}})");
  EXPECT_EQ(g2.Find("id")->int_value(), 2);
  EXPECT_NE(g2.Find("uid")->string_value(), g.Find("uid")->string_value());
  EXPECT_NE(g2.Find("code")->string_value(), g.Find("code")->string_value());
}

TEST_F(MutationTest, CreateKeepsGivenValuesOverDefaults) {
  EXPECT_EQ(Run(R"({"create":"Gadget","data":{"id":7,"uid":"u","ref":"123e4567-e89b-12d3-a456-426614174000",
                    "label":"x","qty":-1,"enabled":false,"role":"OWNER","bornAt":"2000-01-01T00:00:00+02:00"},
                    "select":{"id":true,"uid":true,"ref":true,"label":true,"qty":true,"enabled":true,"role":true,"bornAt":true}})"),
            R"({"id":7,"uid":"u","ref":"123e4567-e89b-12d3-a456-426614174000","label":"x","qty":-1,"enabled":false,)"
            R"("role":"OWNER","bornAt":"1999-12-31T22:00:00Z"})");
}

TEST_F(MutationTest, CreateWithoutARequiredFieldNamesTheFieldAndThePath) {
  Status st = Fail(R"({"create":"Post","data":{"slug":"s","authorId":1}})");
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_TRUE(Contains(st, "data: Post.title is required")) << st.ToString();
}

TEST_F(MutationTest, NestedCreateWithoutARequiredFieldNamesItsPathAndKeepsNothing) {
  Status st = Fail(R"({"create":"User","data":{"email":"a@x.org","posts":{"create":[{"slug":"a","title":"A"},{"slug":"b"}]}}})");
  EXPECT_TRUE(Contains(st, "data.posts.create[1]: Post.title is required")) << st.ToString();
  EXPECT_EQ(Count("User"), "0");
  EXPECT_EQ(Count("Post"), "0");
}

TEST_F(MutationTest, CreateWithAValueOfTheWrongTypeNamesThePath) {
  Status st = Fail(R"({"create":"Post","data":{"slug":"s","title":1,"authorId":1}})");
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_TRUE(Contains(st, "data.title: expected String, got 1")) << st.ToString();
  st = Fail(R"({"create":"User","data":{"email":"a@x.org","karma":3000000000}})");
  EXPECT_TRUE(Contains(st, "data.karma: expected Int, got 3000000000")) << st.ToString();
  st = Fail(R"({"create":"User","data":{"email":"a@x.org","role":"KING"}})");
  EXPECT_TRUE(Contains(st, "data.role: expected Role, got \"KING\"")) << st.ToString();
  st = Fail(R"({"create":"User","data":{"email":"a@x.org","posts":{"create":[{"slug":"a","title":"A"},{"slug":"b","title":"B","views":"many"}]}}})");
  EXPECT_TRUE(Contains(st, "data.posts.create[1].views: expected BigInt, got \"many\"")) << st.ToString();
  st = Fail(R"({"create":"Gadget","data":{"ref":"not-a-uuid"}})");
  EXPECT_TRUE(Contains(st, "data.ref: expected a UUID")) << st.ToString();
  st = Fail(R"({"create":"Gadget","data":{"bornAt":"yesterday"}})");
  EXPECT_TRUE(Contains(st, "data.bornAt: expected DateTime")) << st.ToString();
  st = Fail(R"({"create":"User","data":{"email":"a@x.org","nmae":"x"}})");
  EXPECT_TRUE(Contains(st, "data.nmae")) << st.ToString();
  EXPECT_EQ(Count("User"), "0");
}

TEST_F(MutationTest, CreateWithATakenUniqueValueFailsAndKeepsNothing) {
  SeedBlog();
  Status st = Fail(R"({"create":"User","data":{"email":"ada@x.org","profile":{"create":{"bio":"b"}},
                       "posts":{"create":{"slug":"s","title":"t"}}}})");
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_TRUE(Contains(st, "Unique constraint failed on User(email)")) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Count("Profile"), "1");
  EXPECT_EQ(Count("Post"), "3");
}

TEST_F(MutationTest, CreateWithATakenCompoundUniqueFailsAndKeepsNothing) {
  SeedBlog();
  Status st = Fail(R"({"create":"Post","data":{"slug":"engines","title":"Again","authorId":1}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Post(authorId,slug)")) << st.ToString();
  // The same slug under another author is no clash.
  EXPECT_EQ(Run(R"({"create":"Post","data":{"slug":"engines","title":"Bob's","authorId":2},"select":{"authorId":true}})"),
            R"({"authorId":2})");
  // A nested create that clashes with its own sibling: the new user is not kept either.
  st = Fail(R"({"create":"User","data":{"email":"cy@x.org","posts":{"create":[{"slug":"a","title":"A"},{"slug":"a","title":"B"}]}}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Post(authorId,slug)")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"email":"cy@x.org"}})"), "null");
  EXPECT_EQ(Count("Post"), "4");
}

TEST_F(MutationTest, NullsNeverClashOnAUniqueField) {
  EXPECT_EQ(Run(R"({"createMany":"Gadget","data":[{"serial":null},{},{"serial":"s1"}]})"), R"({"count":3})");
  Status st = Fail(R"({"create":"Gadget","data":{"serial":"s1"}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Gadget(serial)")) << st.ToString();
  EXPECT_EQ(Run(R"({"update":"Gadget","where":{"id":3},"data":{"serial":null},"select":{"serial":true}})"),
            R"({"serial":null})");
  EXPECT_EQ(Run(R"({"count":"Gadget","where":{"serial":null}})"), "3");
}

TEST_F(MutationTest, CreateWithATakenPrimaryKeyFails) {
  SeedBlog();
  Status st = Fail(R"({"create":"User","data":{"id":1,"email":"new@x.org"}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on User(id)")) << st.ToString();
  // A clustered row's key is unique across parents, not only under one.
  st = Fail(R"({"create":"Post","data":{"id":1,"slug":"other","title":"t","authorId":2}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Post(id)")) << st.ToString();
  Run(R"({"create":"Team","data":{"id":1,"name":"t"}})");
  Run(R"({"create":"Membership","data":{"teamId":1,"userId":1}})");
  st = Fail(R"({"create":"Membership","data":{"teamId":1,"userId":1,"role":"OWNER"}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Membership(teamId,userId)")) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Count("Post"), "3");
  EXPECT_EQ(Run(R"({"findMany":"Membership","select":{"role":true}})"), R"([{"role":"MEMBER"}])");
}

TEST_F(MutationTest, CreateWithAForeignKeyToAMissingRowFails) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  // Clustered under the missing parent.
  Status st = Fail(R"({"create":"Post","data":{"slug":"s","title":"t","authorId":42}})");
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Post(authorId): no User with id = 42")) << st.ToString();
  // Not clustered.
  st = Fail(R"({"create":"Note","data":{"text":"n","userId":42}})");
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Note(userId): no User with id = 42")) << st.ToString();
  // Referencing a unique key other than the primary key.
  st = Fail(R"({"create":"Subscription","data":{"topic":"t","userEmail":"nobody@x.org"}})");
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Subscription(userEmail)")) << st.ToString();
  // A compound key made of foreign keys.
  st = Fail(R"({"create":"Membership","data":{"teamId":9,"userId":1}})");
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Membership(teamId)")) << st.ToString();
  EXPECT_EQ(Count("Post"), "0");
  EXPECT_EQ(Count("Note"), "0");
  EXPECT_EQ(Count("Subscription"), "0");
  EXPECT_EQ(Count("Membership"), "0");
  // An optional foreign key may be left unset.
  EXPECT_EQ(Run(R"({"create":"Note","data":{"text":"orphan"},"select":{"userId":true}})"), R"({"userId":null})");
}

TEST_F(MutationTest, NestedCreateFromTheParentSideSetsTheChildrensForeignKeys) {
  EXPECT_EQ(Run(R"({"create":"User","data":{"email":"ada@x.org","posts":{"create":[{"slug":"a","title":"A"},{"slug":"b","title":"B"}]}},
                    "select":{"id":true,"posts":{"select":{"id":true,"slug":true,"authorId":true}}}})"),
            R"({"id":1,"posts":[{"id":1,"slug":"a","authorId":1},{"id":2,"slug":"b","authorId":1}]})");
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"author":{"email":"ada@x.org"}},"select":{"slug":true}})"),
            R"([{"slug":"a"},{"slug":"b"}])");
}

TEST_F(MutationTest, NestedCreateFromTheChildSideCreatesTheParentFirst) {
  EXPECT_EQ(Run(R"({"create":"Post","data":{"slug":"s","title":"T","author":{"create":{"email":"ada@x.org","name":"Ada"}}},
                    "select":{"id":true,"authorId":true,"author":{"select":{"id":true,"email":true}}}})"),
            R"({"id":1,"authorId":1,"author":{"id":1,"email":"ada@x.org"}})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"posts":{"select":{"slug":true}}}})"),
            R"({"posts":[{"slug":"s"}]})");
}

TEST_F(MutationTest, NestedCreateOfAOneToOneFromTheHolderSide) {
  EXPECT_EQ(Run(R"({"create":"Profile","data":{"bio":"b","user":{"create":{"email":"ada@x.org"}}},
                    "select":{"userId":true,"user":{"select":{"email":true}}}})"),
            R"({"userId":1,"user":{"email":"ada@x.org"}})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"profile":{"select":{"bio":true}}}})"),
            R"({"profile":{"bio":"b"}})");
}

TEST_F(MutationTest, NestedCreateOfAOneToOneFromTheReferencedSide) {
  EXPECT_EQ(Run(R"({"create":"User","data":{"email":"ada@x.org","profile":{"create":{"bio":"b"}}},
                    "select":{"id":true,"profile":{"select":{"bio":true,"userId":true}}}})"),
            R"({"id":1,"profile":{"bio":"b","userId":1}})");
  // A second profile for the same user breaks the one-to-one's unique key.
  Status st = Fail(R"({"create":"Profile","data":{"bio":"c","userId":1}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Profile(userId)")) << st.ToString();
}

TEST_F(MutationTest, NestedConnectFromTheChildSideSetsTheForeignKey) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  Run(R"({"create":"User","data":{"email":"bob@x.org"}})");
  EXPECT_EQ(Run(R"({"create":"Post","data":{"slug":"s","title":"T","author":{"connect":{"email":"bob@x.org"}}},
                    "select":{"authorId":true}})"),
            R"({"authorId":2})");
  EXPECT_EQ(Run(R"({"create":"Membership","data":{"team":{"create":{"id":5,"name":"t"}},"user":{"connect":{"id":1}}},
                    "select":{"teamId":true,"userId":true}})"),
            R"({"teamId":5,"userId":1})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":2},"select":{"posts":{"select":{"slug":true}}}})"),
            R"({"posts":[{"slug":"s"}]})");
}

TEST_F(MutationTest, NestedConnectFromTheParentSideMovesExistingChildren) {
  SeedBlog();
  // Ada's post 1 (with its comments, stored under it) goes to the new user.
  EXPECT_EQ(Run(R"({"create":"User","data":{"email":"cy@x.org","posts":{"connect":[{"id":1},{"authorId_slug":{"authorId":1,"slug":"notes"}}]}},
                    "select":{"id":true,"posts":{"select":{"id":true,"authorId":true,"comments":{"select":{"id":true}}}}}})"),
            R"({"id":3,"posts":[{"id":1,"authorId":3,"comments":[{"id":1},{"id":2}]},{"id":2,"authorId":3,"comments":[]}]})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"posts":true}})"), R"({"posts":[]})");
  EXPECT_EQ(Run(R"({"findMany":"Comment","where":{"post":{"authorId":3}},"select":{"id":true}})"),
            R"([{"id":1},{"id":2}])");
}

TEST_F(MutationTest, NestedConnectOfAMissingRowFailsWithItsPathAndKeepsNothing) {
  SeedBlog();
  Status st = Fail(R"({"create":"Post","data":{"slug":"s","title":"T","author":{"connect":{"email":"nobody@x.org"}}}})");
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_TRUE(Contains(st, "data.author.connect: no User with email = \"nobody@x.org\" to connect")) << st.ToString();
  st = Fail(R"({"create":"User","data":{"email":"cy@x.org","posts":{"connect":[{"id":1},{"id":99}]}}})");
  EXPECT_TRUE(Contains(st, "data.posts.connect[1]: no Post with id = 99 to connect")) << st.ToString();
  // Nothing of it kept: not the user, and post 1 did not move.
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Run(R"({"findUnique":"Post","where":{"id":1},"select":{"authorId":true}})"), R"({"authorId":1})");
  st = Fail(R"({"create":"Post","data":{"slug":"s","title":"T","authorId":1,"tags":{"connect":[{"label":"math"},{"label":"nope"}]}}})");
  EXPECT_TRUE(Contains(st, "data.tags.connect[1]: no Tag with label = \"nope\" to connect")) << st.ToString();
  EXPECT_EQ(Count("Post"), "3");
  EXPECT_EQ(Run(R"({"findUnique":"Tag","where":{"label":"math"},"select":{"_count":{"select":{"posts":true}}}})"),
            R"({"_count":{"posts":2}})");
}

TEST_F(MutationTest, NestedConnectOfAOneToOne) {
  SeedBlog();
  // From the holder side: Ada has a profile already, and a user has one at most.
  Status st = Fail(R"({"create":"Profile","data":{"bio":"second","user":{"connect":{"email":"ada@x.org"}}}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Profile(userId)")) << st.ToString();
  EXPECT_EQ(Run(R"({"create":"Profile","data":{"bio":"bob's","user":{"connect":{"email":"bob@x.org"}}},"select":{"userId":true}})"),
            R"({"userId":2})");
  // From the referenced side: the profile moves to the new user.
  EXPECT_EQ(Run(R"({"create":"User","data":{"email":"cy@x.org","profile":{"connect":{"id":1}}},
                    "select":{"id":true,"profile":{"select":{"bio":true}}}})"),
            R"({"id":3,"profile":{"bio":"math"}})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"profile":true}})"), R"({"profile":null})");
}

TEST_F(MutationTest, ManyToManyNestedCreateAndConnectWriteTheLinks) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  Run(R"({"create":"Tag","data":{"label":"old"}})");
  EXPECT_EQ(Run(R"({"create":"Post","data":{"slug":"s","title":"T","authorId":1,
                    "tags":{"create":[{"label":"new1"},{"label":"new2"}],"connect":{"label":"old"}}},
                    "select":{"tags":{"select":{"label":true},"orderBy":{"label":"asc"}}}})"),
            R"({"tags":[{"label":"new1"},{"label":"new2"},{"label":"old"}]})");
  // From the other side of the relation.
  EXPECT_EQ(Run(R"({"create":"Tag","data":{"label":"fresh","posts":{"connect":{"id":1},"create":{"slug":"t","title":"U","authorId":1}}},
                    "select":{"posts":{"select":{"slug":true}}}})"),
            R"({"posts":[{"slug":"s"},{"slug":"t"}]})");
  EXPECT_EQ(Run(R"({"findUnique":"Post","where":{"id":1},"select":{"_count":{"select":{"tags":true}}}})"),
            R"({"_count":{"tags":4}})");
}

TEST_F(MutationTest, ConnectingTheSameRowTwiceMakesOneLink) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  Run(R"({"create":"Tag","data":{"label":"a"}})");
  EXPECT_EQ(Run(R"({"create":"Post","data":{"slug":"s","title":"T","authorId":1,
                    "tags":{"connect":[{"label":"a"},{"id":1},{"label":"a"}]}},
                    "select":{"tags":{"select":{"label":true}}}})"),
            R"({"tags":[{"label":"a"}]})");
  EXPECT_EQ(Run(R"({"findUnique":"Tag","where":{"id":1},"select":{"_count":{"select":{"posts":true}}}})"),
            R"({"_count":{"posts":1}})");
  // One-to-many: connecting a child twice leaves it once under the parent.
  EXPECT_EQ(Run(R"({"create":"User","data":{"email":"bob@x.org","posts":{"connect":[{"id":1},{"id":1}]}},
                    "select":{"posts":{"select":{"id":true}}}})"),
            R"({"posts":[{"id":1}]})");
}

TEST_F(MutationTest, SelfManyToManyLinksEachSideToTheOther) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  EXPECT_EQ(Run(R"({"create":"User","data":{"email":"bob@x.org","following":{"connect":{"id":1}}},
                    "select":{"following":{"select":{"id":true}},"followers":{"select":{"id":true}}}})"),
            R"({"following":[{"id":1}],"followers":[]})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},
                    "select":{"following":{"select":{"id":true}},"followers":{"select":{"id":true}}}})"),
            R"({"following":[],"followers":[{"id":2}]})");
}

TEST_F(MutationTest, NestedCreatesThreeLevelsDeepFromTheTop) {
  Run(R"({"create":"User","data":{"email":"bob@x.org"}})");
  EXPECT_EQ(Run(R"({"create":"User","data":{"email":"ada@x.org",
                    "posts":{"create":[
                      {"slug":"a","title":"A","comments":{"create":[{"body":"a1","authorId":1},{"body":"a2"}]}},
                      {"slug":"b","title":"B","comments":{"create":{"body":"b1"}}}]}},
                    "select":{"id":true,"posts":{"select":{"id":true,"comments":{"select":{"body":true,"postId":true,"authorId":true}}}}}})"),
            R"({"id":2,"posts":[{"id":1,"comments":[{"body":"a1","postId":1,"authorId":1},{"body":"a2","postId":1,"authorId":null}]},)"
            R"({"id":2,"comments":[{"body":"b1","postId":2,"authorId":null}]}]})");
  EXPECT_EQ(Count("Comment"), "3");
}

TEST_F(MutationTest, NestedCreatesThreeLevelsDeepFromTheBottom) {
  EXPECT_EQ(Run(R"({"create":"Comment","data":{"body":"c",
                    "post":{"create":{"slug":"s","title":"T","author":{"create":{"email":"ada@x.org"}}}}},
                    "select":{"postId":true,"post":{"select":{"authorId":true,"author":{"select":{"email":true}}}}}})"),
            R"({"postId":1,"post":{"authorId":1,"author":{"email":"ada@x.org"}}})");
}

TEST_F(MutationTest, ClusteredRowsCreatedNestedAreReadUnderTheirParent) {
  for (const char* who : {"ada", "bob"}) {
    Run(std::string(R"({"create":"User","data":{"email":")") + who + R"(@x.org","posts":{"create":[
          {"slug":"p1","title":")" + who + R"(-1","comments":{"create":[{"body":")" + who + R"(-1a"},{"body":")" + who + R"(-1b"}]}},
          {"slug":"p2","title":")" + who + R"(-2","comments":{"create":{"body":")" + who + R"(-2a"}}}]}}})");
  }
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"email":true,"posts":{"select":{"title":true,"comments":{"select":{"body":true}}}}}})"),
            R"([{"email":"ada@x.org","posts":[{"title":"ada-1","comments":[{"body":"ada-1a"},{"body":"ada-1b"}]},)"
            R"({"title":"ada-2","comments":[{"body":"ada-2a"}]}]},)"
            R"({"email":"bob@x.org","posts":[{"title":"bob-1","comments":[{"body":"bob-1a"},{"body":"bob-1b"}]},)"
            R"({"title":"bob-2","comments":[{"body":"bob-2a"}]}]}])");
  EXPECT_EQ(Run(R"({"findUnique":"Comment","where":{"id":6},"select":{"body":true,"post":{"select":{"title":true,"author":{"select":{"email":true}}}}}})"),
            R"({"body":"bob-2a","post":{"title":"bob-2","author":{"email":"bob@x.org"}}})");
  EXPECT_EQ(Run(R"({"findUnique":"Post","where":{"authorId_slug":{"authorId":2,"slug":"p1"}},"select":{"id":true}})"),
            R"({"id":3})");
}

TEST_F(MutationTest, CreateAnswersTheRowWithItsSelection) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"create":"Comment","data":{"body":"more","postId":3,"authorId":2},
                    "include":{"post":{"select":{"slug":true}},"author":{"select":{"email":true}},"replies":true}})"),
            R"({"id":4,"body":"more","postId":3,"authorId":2,"parentId":null,"post":{"slug":"hello"},)"
            R"("author":{"email":"bob@x.org"},"replies":[]})");
}

// ================================================================ update

TEST_F(MutationTest, UpdateSetsAndChangesIntFields) {
  Run(R"({"create":"User","data":{"email":"a@x.org","karma":10}})");
  auto karma = [&](const char* data) {
    return Run(std::string(R"({"update":"User","where":{"id":1},"data":{"karma":)") + data + R"(},"select":{"karma":true}})");
  };
  EXPECT_EQ(karma(R"({"increment":5})"), R"({"karma":15})");
  EXPECT_EQ(karma(R"({"decrement":20})"), R"({"karma":-5})");
  EXPECT_EQ(karma(R"({"multiply":-3})"), R"({"karma":15})");
  EXPECT_EQ(karma(R"({"divide":4})"), R"({"karma":3})");
  EXPECT_EQ(karma(R"({"set":-7})"), R"({"karma":-7})");
  EXPECT_EQ(karma(R"({"divide":2})"), R"({"karma":-3})");  // integer division truncates toward zero
  EXPECT_EQ(karma("42"), R"({"karma":42})");
}

TEST_F(MutationTest, UpdateChangesBigIntFieldsBeyond32Bits) {
  Run(R"({"create":"User","data":{"email":"a@x.org","balance":"9000000000"}})");
  auto balance = [&](const char* data) {
    return Run(std::string(R"({"update":"User","where":{"id":1},"data":{"balance":)") + data + R"(},"select":{"balance":true}})");
  };
  EXPECT_EQ(balance(R"({"increment":5000000000})"), R"({"balance":14000000000})");
  EXPECT_EQ(balance(R"({"decrement":"4000000000"})"), R"({"balance":10000000000})");
  EXPECT_EQ(balance(R"({"multiply":100000})"), R"({"balance":1000000000000000})");
  EXPECT_EQ(balance(R"({"divide":-7})"), R"({"balance":-142857142857142})");
  EXPECT_EQ(balance(R"({"set":9223372036854775807})"), R"({"balance":9223372036854775807})");
}

TEST_F(MutationTest, UpdateChangesFloatFields) {
  Run(R"({"create":"User","data":{"email":"a@x.org","rating":1.5}})");
  auto rating = [&](const char* data) {
    return Run(std::string(R"({"update":"User","where":{"id":1},"data":{"rating":)") + data + R"(},"select":{"rating":true}})");
  };
  EXPECT_EQ(rating(R"({"increment":1})"), R"({"rating":2.5})");
  EXPECT_EQ(rating(R"({"decrement":0.25})"), R"({"rating":2.25})");
  EXPECT_EQ(rating(R"({"multiply":2})"), R"({"rating":4.5})");
  EXPECT_EQ(rating(R"({"divide":4})"), R"({"rating":1.125})");
  EXPECT_EQ(rating(R"({"set":-0.5})"), R"({"rating":-0.5})");
}

TEST_F(MutationTest, IntOverflowOnIncrementFailsAndKeepsNothing) {
  Run(R"({"create":"User","data":{"email":"a@x.org","karma":2147483647}})");
  Status st = Fail(R"({"update":"User","where":{"id":1},"data":{"name":"changed","karma":{"increment":1}}})");
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_TRUE(Contains(st, "data.karma: the result overflows Int")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"name":true,"karma":true}})"),
            R"({"name":null,"karma":2147483647})");
  st = Fail(R"({"update":"User","where":{"id":1},"data":{"karma":{"multiply":-2}}})");
  EXPECT_TRUE(Contains(st, "overflows Int")) << st.ToString();
  Run(R"({"update":"User","where":{"id":1},"data":{"karma":-2147483648}})");
  st = Fail(R"({"update":"User","where":{"id":1},"data":{"karma":{"divide":-1}}})");
  EXPECT_TRUE(Contains(st, "overflows Int")) << st.ToString();
}

TEST_F(MutationTest, BigIntOverflowFailsAndKeepsNothing) {
  Run(R"({"create":"User","data":{"email":"a@x.org","balance":"9223372036854775800"}})");
  Status st = Fail(R"({"update":"User","where":{"id":1},"data":{"balance":{"increment":8}}})");
  EXPECT_TRUE(Contains(st, "data.balance: the result overflows BigInt")) << st.ToString();
  st = Fail(R"({"update":"User","where":{"id":1},"data":{"balance":{"multiply":2}}})");
  EXPECT_TRUE(Contains(st, "overflows BigInt")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"balance":true}})"),
            R"({"balance":9223372036854775800})");
}

TEST_F(MutationTest, FloatOverflowFailsAndKeepsNothing) {
  // docs/query.md: "overflow and division by zero fail" for Int, BigInt and
  // Float alike (PostgreSQL: "value out of range: overflow").
  Run(R"({"create":"User","data":{"email":"a@x.org","rating":1e308}})");
  Status st = Fail(R"({"update":"User","where":{"id":1},"data":{"rating":{"multiply":10}}})");
  EXPECT_TRUE(Contains(st, "data.rating")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"rating":true}})"), R"({"rating":1e+308})");
}

TEST_F(MutationTest, DivisionByZeroFailsForEveryNumberType) {
  Run(R"({"create":"User","data":{"email":"a@x.org","karma":5,"balance":5,"rating":5}})");
  for (const char* field : {"karma", "balance", "rating"}) {
    Status st = Fail(std::string(R"({"update":"User","where":{"id":1},"data":{")") + field + R"(":{"divide":0}}})");
    EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
    EXPECT_TRUE(Contains(st, "data." + std::string(field) + ": division by zero")) << st.ToString();
  }
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"karma":true,"balance":true,"rating":true}})"),
            R"({"karma":5,"balance":5,"rating":5})");
}

TEST_F(MutationTest, ArithmeticOnANullFieldLeavesItNull) {
  Run(R"({"create":"User","data":{"email":"a@x.org"}})");
  Run(R"({"create":"Post","data":{"slug":"s","title":"t","authorId":1}})");
  EXPECT_EQ(Run(R"({"update":"User","where":{"id":1},"data":{"bonus":{"increment":5}},"select":{"bonus":true}})"),
            R"({"bonus":null})");
  EXPECT_EQ(Run(R"({"update":"User","where":{"id":1},"data":{"bonus":{"multiply":2}},"select":{"bonus":true}})"),
            R"({"bonus":null})");
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":1},"data":{"score":{"decrement":1.5}},"select":{"score":true}})"),
            R"({"score":null})");
}

TEST_F(MutationTest, UpdateToATakenUniqueValueFailsAndKeepsNothing) {
  SeedBlog();
  Status st = Fail(R"({"update":"User","where":{"id":2},"data":{"name":"Bob","email":"ada@x.org"}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on User(email)")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":2},"select":{"name":true,"email":true}})"),
            R"({"email":"bob@x.org","name":null})");
  // Compound: a slug Ada already uses.
  st = Fail(R"({"update":"Post","where":{"id":2},"data":{"slug":"engines"}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Post(authorId,slug)")) << st.ToString();
  // Compound, reached by changing the other field: Bob's "hello" moved to Ada, who has none.
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":3},"data":{"authorId":1},"select":{"authorId":true}})"),
            R"({"authorId":1})");
  st = Fail(R"({"update":"Post","where":{"id":3},"data":{"slug":"notes"}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Post(authorId,slug)")) << st.ToString();
  // The primary key.
  st = Fail(R"({"update":"User","where":{"id":2},"data":{"id":1}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on User(id)")) << st.ToString();
  // Setting a row's unique value to what it already is is no clash.
  EXPECT_EQ(Run(R"({"update":"User","where":{"id":1},"data":{"email":"ada@x.org"},"select":{"email":true}})"),
            R"({"email":"ada@x.org"})");
}

TEST_F(MutationTest, UpdateOfAForeignKeyToAMissingRowFailsAndKeepsNothing) {
  SeedBlog();
  Run(R"({"create":"Note","data":{"text":"n","userId":1}})");
  Status st = Fail(R"({"update":"Note","where":{"id":1},"data":{"text":"changed","userId":99}})");
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Note(userId): no User with id = 99")) << st.ToString();
  st = Fail(R"({"update":"Post","where":{"id":1},"data":{"authorId":99}})");  // clustered
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Post(authorId): no User with id = 99")) << st.ToString();
  st = Fail(R"({"update":"Comment","where":{"id":1},"data":{"parentId":99}})");  // a self-relation
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Comment(parentId)")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"Note","where":{"id":1},"select":{"text":true,"userId":true}})"),
            R"({"text":"n","userId":1})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"posts":{"select":{"id":true}}}})"),
            R"({"posts":[{"id":1},{"id":2}]})");
  // Clearing an optional foreign key is allowed.
  EXPECT_EQ(Run(R"({"update":"Note","where":{"id":1},"data":{"userId":null},"select":{"userId":true}})"),
            R"({"userId":null})");
}

TEST_F(MutationTest, UpdateOfARequiredFieldToNullFails) {
  SeedBlog();
  Status st = Fail(R"({"update":"Post","where":{"id":1},"data":{"title":null}})");
  EXPECT_TRUE(Contains(st, "Post.title is required")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"Post","where":{"id":1},"select":{"title":true}})"), R"({"title":"Engines"})");
}

TEST_F(MutationTest, UpdateOfAPrimaryKeyCarriesReferencingRowsWithTheDefaultOnUpdate) {
  SeedBlog();
  Run(R"({"create":"Team","data":{"id":1,"name":"t"}})");
  Run(R"({"create":"Membership","data":{"teamId":1,"userId":1}})");
  Run(R"({"create":"Audit","data":{"what":"w","userId":1}})");
  EXPECT_EQ(Run(R"({"update":"User","where":{"id":1},"data":{"id":10},"select":{"id":true}})"), R"({"id":10})");
  // Posts (clustered under the user) and their comments, the profile, the
  // audit (clustered too) and the membership, whose key holds the user's.
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":10},"select":{"profile":{"select":{"userId":true}},
                    "posts":{"select":{"id":true,"authorId":true,"comments":{"select":{"id":true}}}},
                    "audits":{"select":{"userId":true}},"memberships":{"select":{"userId":true}},
                    "comments":{"select":{"id":true}}}})"),
            R"({"profile":{"userId":10},"posts":[{"id":1,"authorId":10,"comments":[{"id":1},{"id":2}]},)"
            R"({"id":2,"authorId":10,"comments":[]}],"audits":[{"userId":10}],"memberships":[{"userId":10}],)"
            R"("comments":[{"id":2},{"id":3}]})");
  EXPECT_EQ(Run(R"({"findUnique":"Membership","where":{"teamId_userId":{"teamId":1,"userId":10}},"select":{"role":true}})"),
            R"({"role":"MEMBER"})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1}})"), "null");
  EXPECT_EQ(Run(R"({"count":"Post","where":{"authorId":1}})"), "0");
}

TEST_F(MutationTest, UpdateOfAUniqueKeyCarriesRowsWithOnUpdateCascade) {
  SeedBlog();
  Run(R"({"create":"Subscription","data":{"topic":"db","userEmail":"ada@x.org"}})");
  Run(R"({"create":"Subscription","data":{"topic":"ml","user":{"connect":{"id":1}}}})");
  Run(R"({"update":"User","where":{"email":"ada@x.org"},"data":{"email":"ada@y.org"}})");
  EXPECT_EQ(Run(R"({"findMany":"Subscription","select":{"topic":true,"userEmail":true}})"),
            R"([{"topic":"db","userEmail":"ada@y.org"},{"topic":"ml","userEmail":"ada@y.org"}])");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"subscriptions":{"select":{"topic":true}}}})"),
            R"({"subscriptions":[{"topic":"db"},{"topic":"ml"}]})");
}

TEST_F(MutationTest, OnUpdateSetNullClearsTheReferencingKey) {
  SeedBlog();
  Run(R"({"create":"Note","data":{"text":"n","userId":1}})");
  Run(R"({"update":"User","where":{"id":1},"data":{"id":10}})");
  EXPECT_EQ(Run(R"({"findUnique":"Note","where":{"id":1},"select":{"userId":true}})"), R"({"userId":null})");
}

TEST_F(MutationTest, OnUpdateRestrictRefusesAKeyChangeAndKeepsNothing) {
  SeedTeams();
  Status st = Fail(R"({"update":"Team","where":{"id":2},"data":{"id":20,"name":"crimson"}})");
  EXPECT_TRUE(Contains(st, "cannot change the key of Team(id = 2)")) << st.ToString();
  EXPECT_TRUE(Contains(st, "onUpdate: Restrict")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"Team","where":{"id":2},"select":{"name":true,"players":{"select":{"name":true}}}})"),
            R"({"name":"red","players":[{"name":"p1"},{"name":"p2"}]})");
  EXPECT_EQ(Run(R"({"findUnique":"Team","where":{"id":20}})"), "null");
}

TEST_F(MutationTest, OnUpdateCascadeMovesACompoundPrimaryKeyWithItsParent) {
  SeedTeams();
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  Run(R"({"create":"Membership","data":{"teamId":3,"userId":1,"role":"OWNER"}})");
  // Team 3 has no players, so its key may change; the membership follows.
  Run(R"({"update":"Team","where":{"id":3},"data":{"id":30}})");
  EXPECT_EQ(Run(R"({"findMany":"Membership","select":{"teamId":true,"userId":true,"role":true}})"),
            R"([{"teamId":30,"userId":1,"role":"OWNER"}])");
  EXPECT_EQ(Run(R"({"findUnique":"Team","where":{"id":30},"select":{"memberships":{"select":{"userId":true}}}})"),
            R"({"memberships":[{"userId":1}]})");
}

TEST_F(MutationTest, UpdateMovesAClusteredChildToAnotherParent) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":1},"data":{"authorId":2},"select":{"authorId":true}})"),
            R"({"authorId":2})");
  // Under the new parent, with its comments (stored under it) along.
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":2},
                    "select":{"posts":{"select":{"id":true,"comments":{"select":{"id":true}}}}}})"),
            R"({"posts":[{"id":1,"comments":[{"id":1},{"id":2}]},{"id":3,"comments":[{"id":3}]}]})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"posts":{"select":{"id":true}}}})"),
            R"({"posts":[{"id":2}]})");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"posts":{"some":{"slug":"engines"}}},"select":{"id":true}})"),
            R"([{"id":2}])");
  // Deleting the old parent no longer reaches it; deleting the new one does.
  Run(R"({"delete":"User","where":{"id":1}})");
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"id":true}})"), R"([{"id":1},{"id":3}])");
  EXPECT_EQ(Count("Comment"), "3");
  Run(R"({"delete":"User","where":{"id":2}})");
  EXPECT_EQ(Count("Post"), "0");
  EXPECT_EQ(Count("Comment"), "0");
}

TEST_F(MutationTest, UpdateOfASelfReferencedKeyCarriesTheReplies) {
  SeedBlog();
  Run(R"({"update":"Comment","where":{"id":1},"data":{"id":100}})");
  EXPECT_EQ(Run(R"({"findUnique":"Comment","where":{"id":2},"select":{"parentId":true,"parent":{"select":{"body":true}}}})"),
            R"({"parentId":100,"parent":{"body":"nice"}})");
  EXPECT_EQ(Run(R"({"findUnique":"Comment","where":{"id":100},"select":{"replies":{"select":{"id":true}}}})"),
            R"({"replies":[{"id":2}]})");
}

TEST_F(MutationTest, UpdateMovesAClusteredGrandchildUnderAnotherRoot) {
  SeedBlog();
  // Comment 1 (on Ada's post) moves to Bob's post; its reply stays where it is.
  Run(R"({"update":"Comment","where":{"id":1},"data":{"postId":3}})");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"posts":{"select":{"id":true,"comments":{"select":{"id":true,"parentId":true}}}}}})"),
            R"([{"id":1,"posts":[{"id":1,"comments":[{"id":2,"parentId":1}]},{"id":2,"comments":[]}]},)"
            R"({"id":2,"posts":[{"id":3,"comments":[{"id":1,"parentId":null},{"id":3,"parentId":null}]}]}])");
  // Deleting the old post leaves it; deleting the new one takes it, and its reply with it.
  Run(R"({"delete":"Post","where":{"id":1}})");
  EXPECT_EQ(Run(R"({"findMany":"Comment","select":{"id":true}})"), R"([{"id":1},{"id":3}])");
  Run(R"({"delete":"Post","where":{"id":3}})");
  EXPECT_EQ(Count("Comment"), "0");
}

TEST_F(MutationTest, UpdateOfAClusteredRowsKeyCarriesItsChildrenAndLinks) {
  SeedBlog();
  Run(R"({"create":"Audit","data":{"what":"w","userId":2,"postId":1}})");
  Run(R"({"update":"Post","where":{"id":1},"data":{"id":100}})");
  EXPECT_EQ(Run(R"({"findUnique":"Post","where":{"id":100},"select":{"authorId":true,
                    "comments":{"select":{"id":true,"postId":true}},"tags":{"select":{"label":true}},
                    "audits":{"select":{"what":true}}}})"),
            R"({"authorId":1,"comments":[{"id":1,"postId":100},{"id":2,"postId":100}],)"
            R"("tags":[{"label":"math"},{"label":"machines"}],"audits":[{"what":"w"}]})");
  EXPECT_EQ(Run(R"({"findUnique":"Tag","where":{"label":"machines"},"select":{"posts":{"select":{"id":true}}}})"),
            R"({"posts":[{"id":100}]})");
  EXPECT_EQ(Run(R"({"findUnique":"Post","where":{"id":1}})"), "null");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"posts":{"select":{"id":true}}}})"),
            R"({"posts":[{"id":2},{"id":100}]})");
}

TEST_F(MutationTest, ARowMayReferenceItself) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"create":"Comment","data":{"id":10,"body":"self","postId":1,"parentId":10},
                    "select":{"parentId":true,"replies":{"select":{"id":true}}}})"),
            R"({"parentId":10,"replies":[{"id":10}]})");
  // Its new key: the reference follows (onUpdate defaults to Cascade).
  EXPECT_EQ(Run(R"({"update":"Comment","where":{"id":10},"data":{"id":11},"select":{"id":true,"parentId":true}})"),
            R"({"id":11,"parentId":11})");
  Run(R"({"delete":"Comment","where":{"id":11}})");
  EXPECT_EQ(Count("Comment"), "3");
}

TEST_F(MutationTest, UpdateOfAMissingRowIsNotFound) {
  SeedBlog();
  Status st = Fail(R"({"update":"User","where":{"id":42},"data":{"karma":1}})");
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  // An extended unique where whose extra condition does not hold names no row.
  st = Fail(R"({"update":"User","where":{"id":1,"name":"Bob"},"data":{"karma":1}})");
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"karma":true}})"), R"({"karma":0})");
}

TEST_F(MutationTest, UpdateManyAnswersTheCountOfMatchedRows) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"updateMany":"Post","where":{"authorId":1},"data":{"views":{"increment":10},"status":"PUBLISHED"}})"),
            R"({"count":2})");
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"id":true,"views":true,"status":true}})"),
            R"([{"id":1,"status":"PUBLISHED","views":10},{"id":2,"status":"PUBLISHED","views":10},{"id":3,"status":"DRAFT","views":0}])");
  EXPECT_EQ(Run(R"({"updateMany":"Post","where":{"slug":"none"},"data":{"views":1}})"), R"({"count":0})");
  EXPECT_EQ(Run(R"({"updateMany":"Tag","data":{"label":{"set":"x"}},"where":{"id":99}})"), R"({"count":0})");
}

TEST_F(MutationTest, UpdateManyWithRelationFiltersChangesOnlyTheMatchedRows) {
  SeedBlog();
  // Posts with a comment by Bob: only "engines".
  EXPECT_EQ(Run(R"({"updateMany":"Post","where":{"comments":{"some":{"author":{"email":"bob@x.org"}}}},"data":{"title":"Commented"}})"),
            R"({"count":1})");
  // Users with no profile: Bob.
  EXPECT_EQ(Run(R"({"updateMany":"User","where":{"profile":{"is":null}},"data":{"karma":{"increment":3}}})"),
            R"({"count":1})");
  // Posts tagged math whose author is Ada.
  EXPECT_EQ(Run(R"({"updateMany":"Post","where":{"tags":{"some":{"label":"math"}},"author":{"is":{"name":"Ada"}}},"data":{"score":2.5}})"),
            R"({"count":1})");
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"id":true,"title":true,"score":true}})"),
            R"([{"id":1,"title":"Commented","score":2.5},{"id":2,"title":"Notes","score":null},{"id":3,"title":"Hello","score":null}])");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"karma":true}})"), R"([{"id":1,"karma":0},{"id":2,"karma":3}])");
}

TEST_F(MutationTest, UpdateManyFailsWholeOnAViolation) {
  SeedBlog();
  // The second post of Ada would take the first's slug.
  Status st = Fail(R"({"updateMany":"Post","where":{"authorId":1},"data":{"slug":"same","views":{"increment":1}}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on Post(authorId,slug)")) << st.ToString();
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"authorId":1},"select":{"slug":true,"views":true}})"),
            R"([{"slug":"engines","views":0},{"slug":"notes","views":0}])");
}

TEST_F(MutationTest, UpdatedAtChangesOnUpdate) {
  Run(R"({"create":"Gadget","data":{"updatedAt":"2020-01-01T00:00:00Z","createdAt":"2020-01-01T00:00:00Z"}})");
  const int64_t before = NowMicros();
  json::Value g = Json(R"({"update":"Gadget","where":{"id":1},"data":{"label":"x"}})");
  std::optional<int64_t> t = schema::ParseTimestampMicros(g.Find("updatedAt")->string_value());
  ASSERT_TRUE(t) << g.ToString();
  EXPECT_GE(*t, before);
  EXPECT_EQ(g.Find("createdAt")->string_value(), "2020-01-01T00:00:00Z");
  // updateMany and an upsert's update too.
  Run(R"({"create":"Gadget","data":{"updatedAt":"2020-01-01T00:00:00Z"}})");
  Run(R"({"updateMany":"Gadget","where":{"id":2},"data":{"qty":{"increment":1}}})");
  t = schema::ParseTimestampMicros(Json(R"({"findUnique":"Gadget","where":{"id":2}})").Find("updatedAt")->string_value());
  ASSERT_TRUE(t);
  EXPECT_GE(*t, before);
  Run(R"({"create":"Gadget","data":{"updatedAt":"2020-01-01T00:00:00Z"}})");
  g = Json(R"({"upsert":"Gadget","where":{"id":3},"create":{},"update":{"note":"n"}})");
  t = schema::ParseTimestampMicros(g.Find("updatedAt")->string_value());
  ASSERT_TRUE(t);
  EXPECT_GE(*t, before);
}

TEST_F(MutationTest, UpdatedAtIsKeptWhenAnUpdateChangesNothing) {
  Run(R"({"create":"Gadget","data":{"updatedAt":"2020-01-01T00:00:00Z"}})");
  EXPECT_EQ(Run(R"({"update":"Gadget","where":{"id":1},"data":{},"select":{"updatedAt":true}})"),
            R"({"updatedAt":"2020-01-01T00:00:00Z"})");
}

// Nested writes in an update: what an ORM sends for
// `update({data: {tags: {connect: ...}}})` and its kin.

TEST_F(MutationTest, UpdateConnectsAndDisconnectsManyToManyRows) {
  SeedBlog();
  Run(R"({"create":"Tag","data":{"label":"new"}})");
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":2},"data":{"tags":{"connect":[{"label":"new"},{"label":"math"}]}},
                   "select":{"tags":{"select":{"label":true},"orderBy":{"label":"asc"}}}})"),
            R"({"tags":[{"label":"math"},{"label":"new"}]})");
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":2},"data":{"tags":{"disconnect":{"label":"math"}}},
                   "select":{"tags":{"select":{"label":true}}}})"),
            R"({"tags":[{"label":"new"}]})");
  // Disconnecting a row that is not linked changes nothing; one that does not exist is an error.
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":2},"data":{"tags":{"disconnect":{"label":"machines"}}},
                   "select":{"tags":{"select":{"label":true}}}})"),
            R"({"tags":[{"label":"new"}]})");
  Status st = Fail(R"({"update":"Post","where":{"id":2},"data":{"tags":{"disconnect":{"label":"nope"}}}})");
  EXPECT_TRUE(Contains(st, "data.tags.disconnect: no Tag with label = \"nope\" to disconnect")) << st.ToString();
  // The other posts' links are untouched.
  EXPECT_EQ(Run(R"({"findUnique":"Tag","where":{"label":"math"},"select":{"_count":{"select":{"posts":true}}}})"),
            R"({"_count":{"posts":2}})");
}

TEST_F(MutationTest, UpdateCreatesRelatedRowsInTheSameTransaction) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"update":"User","where":{"email":"bob@x.org"},"data":{"name":"Bob",
                   "posts":{"create":{"slug":"second","title":"Second","tags":{"connect":{"label":"machines"}}}}},
                   "select":{"name":true,"posts":{"select":{"slug":true,"tags":{"select":{"label":true}}},"orderBy":{"id":"asc"}}}})"),
            R"({"name":"Bob","posts":[{"slug":"hello","tags":[{"label":"math"}]},{"slug":"second","tags":[{"label":"machines"}]}]})");
  // A failing nested create keeps nothing of the update.
  Status st = Fail(R"({"update":"User","where":{"email":"bob@x.org"},"data":{"name":"Robert",
                       "posts":{"create":{"slug":"second","title":"Dup"}}}})");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"email":"bob@x.org"},"select":{"name":true}})"), R"({"name":"Bob"})");
}

TEST_F(MutationTest, UpdateConnectsAndDisconnectsChildrenByTheirForeignKey) {
  SeedBlog();
  // Comment 3 is on post 3; connecting it to post 1 moves it (and its key, under the clustering).
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":1},"data":{"comments":{"connect":{"id":3}}},
                   "select":{"comments":{"select":{"id":true},"orderBy":{"id":"asc"}}}})"),
            R"({"comments":[{"id":1},{"id":2},{"id":3}]})");
  EXPECT_EQ(Count("Comment"), "3");
  // Comments outlive their author: disconnecting clears authorId.
  EXPECT_EQ(Run(R"({"update":"User","where":{"id":1},"data":{"comments":{"disconnect":[{"id":2}]}},
                   "select":{"comments":{"select":{"id":true}}}})"),
            R"({"comments":[{"id":3}]})");
  EXPECT_EQ(Run(R"({"findUnique":"Comment","where":{"id":2},"select":{"authorId":true}})"), R"({"authorId":null})");
  // A required foreign key cannot be cleared.
  Status st = Fail(R"({"update":"User","where":{"id":1},"data":{"posts":{"disconnect":{"id":1}}}})");
  EXPECT_TRUE(Contains(st, "authorId")) << st.ToString();
}

TEST_F(MutationTest, UpdateConnectsAndDisconnectsToOneRelations) {
  SeedBlog();
  // The row's own foreign key.
  EXPECT_EQ(Run(R"({"update":"Comment","where":{"id":1},"data":{"author":{"connect":{"email":"ada@x.org"}}},
                   "select":{"authorId":true}})"),
            R"({"authorId":1})");
  EXPECT_EQ(Run(R"({"update":"Comment","where":{"id":1},"data":{"author":{"disconnect":true}},"select":{"authorId":true}})"),
            R"({"authorId":null})");
  // The other side's: Ada's profile moves to Bob.
  EXPECT_EQ(Run(R"({"update":"User","where":{"email":"bob@x.org"},"data":{"profile":{"connect":{"id":1}}},
                   "select":{"profile":{"select":{"bio":true}}}})"),
            R"({"profile":{"bio":"math"}})");
  Status st = Fail(R"({"update":"Comment","where":{"id":1},"data":{"author":{"disconnect":{"id":1}}}})");
  EXPECT_TRUE(Contains(st, "data.author.disconnect: author is a to-one relation: disconnect takes true")) << st.ToString();
}

TEST_F(MutationTest, UpdateManyRefusesNestedWrites) {
  SeedBlog();
  Status st = Fail(R"({"updateMany":"Post","data":{"tags":{"connect":{"label":"math"}}}})");
  EXPECT_TRUE(Contains(st, "data.tags: updateMany sets fields only")) << st.ToString();
}

TEST_F(MutationTest, UpsertUpdateBranchTakesNestedWrites) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"upsert":"Post","where":{"id":2},"create":{"slug":"x","title":"X","authorId":1},
                   "update":{"tags":{"connect":{"label":"machines"}}},"select":{"tags":{"select":{"label":true}}}})"),
            R"({"tags":[{"label":"machines"}]})");
}

// ================================================================ delete

TEST_F(MutationTest, DeleteCascadesThroughSeveralLevels) {
  SeedBlog();
  Run(R"({"create":"Team","data":{"id":1,"name":"t"}})");
  Run(R"({"create":"Membership","data":{"teamId":1,"userId":1}})");
  Run(R"({"create":"Membership","data":{"teamId":1,"userId":2}})");
  Run(R"({"delete":"User","where":{"id":1}})");
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"id":true}})"), R"([{"id":3}])");
  // Ada's posts' comments went with the posts; Bob's comment there too. Ada's
  // comment on Bob's post stays, without an author (SetNull).
  EXPECT_EQ(Run(R"({"findMany":"Comment","select":{"id":true,"authorId":true}})"), R"([{"id":3,"authorId":null}])");
  EXPECT_EQ(Count("Profile"), "0");
  EXPECT_EQ(Run(R"({"findMany":"Membership","select":{"userId":true}})"), R"([{"userId":2}])");
  // The links of the deleted posts; the tags stay.
  EXPECT_EQ(Run(R"({"findMany":"Tag","select":{"label":true,"_count":{"select":{"posts":true}}}})"),
            R"([{"label":"math","_count":{"posts":1}},{"label":"machines","_count":{"posts":0}}])");
}

TEST_F(MutationTest, DeleteCascadesThroughASelfRelation) {
  SeedBlog();
  Run(R"({"create":"Comment","data":{"body":"r2","postId":1,"parentId":2}})");   // 4
  Run(R"({"create":"Comment","data":{"body":"r3","postId":1,"parentId":4}})");   // 5
  Run(R"({"create":"Comment","data":{"body":"root","postId":1}})");              // 6
  Run(R"({"delete":"Comment","where":{"id":1}})");
  EXPECT_EQ(Run(R"({"findMany":"Comment","select":{"id":true}})"), R"([{"id":3},{"id":6}])");
}

TEST_F(MutationTest, DeleteRestrictedByAReferencingRowFailsAndDeletesNothing) {
  SeedBlog();
  Run(R"({"create":"Audit","data":{"what":"signup","userId":2}})");
  Status st = Fail(R"({"delete":"User","where":{"id":2}})");
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_TRUE(Contains(st, "cannot delete User(id = 2): 1 Audit row(s) reference it")) << st.ToString();
  EXPECT_TRUE(Contains(st, "onDelete: Restrict")) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":2},"select":{"posts":{"select":{"id":true,"comments":{"select":{"id":true}}}}}})"),
            R"({"posts":[{"id":3,"comments":[{"id":3}]}]})");
}

TEST_F(MutationTest, DeleteRestrictedSeveralLevelsDownFailsAndDeletesNothing) {
  SeedBlog();
  // Bob's audit of Ada's post: deleting Ada would cascade to the post, which the audit restricts.
  Run(R"({"create":"Audit","data":{"what":"flag","userId":2,"postId":1}})");
  Status st = Fail(R"({"delete":"User","where":{"id":1}})");
  EXPECT_TRUE(Contains(st, "cannot delete Post(id = 1)")) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Count("Post"), "3");
  EXPECT_EQ(Count("Comment"), "3");
  EXPECT_EQ(Count("Profile"), "1");
  EXPECT_EQ(Run(R"({"findMany":"Tag","select":{"_count":{"select":{"posts":true}}}})"),
            R"([{"_count":{"posts":2}},{"_count":{"posts":1}}])");
}

TEST_F(MutationTest, DeleteSetsNullOnOptionalReferences) {
  SeedBlog();
  Run(R"({"create":"Note","data":{"text":"n1","userId":2}})");
  Run(R"({"create":"Note","data":{"text":"n2","userId":1}})");
  Run(R"({"delete":"User","where":{"id":2}})");
  EXPECT_EQ(Run(R"({"findMany":"Note","select":{"text":true,"userId":true}})"),
            R"([{"text":"n1","userId":null},{"text":"n2","userId":1}])");
  // Bob's comment on Ada's post stays, authorless.
  EXPECT_EQ(Run(R"({"findUnique":"Comment","where":{"id":1},"select":{"body":true,"authorId":true}})"),
            R"({"body":"nice","authorId":null})");
}

TEST_F(MutationTest, DeleteWithANoActionReferenceFailsAndDeletesNothing) {
  SeedBlog();
  Run(R"({"create":"Subscription","data":{"topic":"t","userEmail":"bob@x.org"}})");
  Status st = Fail(R"({"delete":"User","where":{"email":"bob@x.org"}})");
  EXPECT_TRUE(Contains(st, "1 Subscription row(s) reference it")) << st.ToString();
  EXPECT_TRUE(Contains(st, "onDelete: NoAction")) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Count("Post"), "3");
}

TEST_F(MutationTest, DeleteSetsTheDefaultOnSetDefaultReferences) {
  SeedTeams();
  Run(R"({"delete":"Team","where":{"id":2}})");
  EXPECT_EQ(Run(R"({"findMany":"Player","select":{"name":true,"teamId":true}})"),
            R"([{"name":"p1","teamId":1},{"name":"p2","teamId":1},{"name":"p3","teamId":1}])");
  // Stored under their team: found there by an include.
  EXPECT_EQ(Run(R"({"findUnique":"Team","where":{"id":1},"select":{"players":{"select":{"name":true}}}})"),
            R"({"players":[{"name":"p1"},{"name":"p2"},{"name":"p3"}]})");
}

TEST_F(MutationTest, SetDefaultThatNamesTheDeletedRowFailsAndDeletesNothing) {
  // PostgreSQL: "if the default value would not satisfy the foreign key
  // constraint, the operation will fail". Team 1 is the default.
  SeedTeams();
  Status st = Fail(R"({"delete":"Team","where":{"id":1}})");
  EXPECT_TRUE(Contains(st, "Player")) << st.ToString();
  EXPECT_EQ(Count("Team"), "3");
  EXPECT_EQ(Run(R"({"findMany":"Player","where":{"team":{"is":{"id":1}}},"select":{"name":true}})"),
            R"([{"name":"p3"}])");
}

TEST_F(MutationTest, DeleteRemovesManyToManyLinksFromBothSides) {
  SeedBlog();
  Run(R"({"update":"User","where":{"id":1},"data":{"name":"Ada"}})");
  Run(R"({"create":"User","data":{"email":"cy@x.org","following":{"connect":[{"id":1},{"id":2}]},"followers":{"connect":{"id":1}}}})");
  Run(R"({"delete":"Tag","where":{"label":"math"}})");
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"id":true,"tags":{"select":{"label":true}}}})"),
            R"([{"id":1,"tags":[{"label":"machines"}]},{"id":2,"tags":[]},{"id":3,"tags":[]}])");
  Run(R"({"delete":"User","where":{"id":3}})");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"following":{"select":{"id":true}},"followers":{"select":{"id":true}}}})"),
            R"([{"id":1,"following":[],"followers":[]},{"id":2,"following":[],"followers":[]}])");
}

TEST_F(MutationTest, SetDefaultToAMissingRowFailsAndDeletesNothing) {
  SeedTeams();
  Run(R"({"update":"Player","where":{"id":3},"data":{"teamId":3}})");
  Run(R"({"delete":"Team","where":{"id":1}})");  // no players left there
  Status st = Fail(R"({"delete":"Team","where":{"id":2}})");
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Player(teamId): no Team with id = 1")) << st.ToString();
  EXPECT_EQ(Run(R"({"findUnique":"Team","where":{"id":2},"select":{"players":{"select":{"name":true}}}})"),
            R"({"players":[{"name":"p1"},{"name":"p2"}]})");
}

TEST_F(MutationTest, DeleteOfAMissingRowIsNotFound) {
  SeedBlog();
  Status st = Fail(R"({"delete":"User","where":{"id":42}})");
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  st = Fail(R"({"delete":"Post","where":{"authorId_slug":{"authorId":2,"slug":"engines"}}})");
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  st = Fail(R"({"delete":"User","where":{"id":1,"name":"Bob"}})");
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
}

TEST_F(MutationTest, DeleteReturnsTheRowWithItsIncludeAsItWasBeforeDeletion) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"delete":"User","where":{"id":1},
                    "select":{"email":true,"profile":{"select":{"bio":true}},
                              "posts":{"select":{"slug":true,"comments":{"select":{"body":true}},"tags":{"select":{"label":true}}}},
                              "_count":{"select":{"comments":true}}}})"),
            R"({"email":"ada@x.org","_count":{"comments":2},"profile":{"bio":"math"},)"
            R"("posts":[{"slug":"engines","comments":[{"body":"nice"},{"body":"thanks"}],"tags":[{"label":"math"},{"label":"machines"}]},)"
            R"({"slug":"notes","comments":[],"tags":[]}]})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1}})"), "null");
}

TEST_F(MutationTest, DeleteManyCountsRowsAnEarlierRowsCascadeRemoved) {
  SeedBlog();
  Run(R"({"create":"Comment","data":{"body":"r2","postId":1,"parentId":2}})");  // 4, under 2 under 1
  // Both 1 and 4 match; deleting 1 first takes 2 and 4 with it. Every
  // matched row is gone, so the count is 2, as SQL's DELETE reports.
  EXPECT_EQ(Run(R"({"deleteMany":"Comment","where":{"id":{"in":[1,4]}}})"), R"({"count":2})");
  EXPECT_EQ(Run(R"({"findMany":"Comment","select":{"id":true}})"), R"([{"id":3}])");
}

TEST_F(MutationTest, DeleteManyAcrossACascadeOfAnotherModelCountsItsOwnRows) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"deleteMany":"User","where":{"email":{"endsWith":"@x.org"}}})"), R"({"count":2})");
  EXPECT_EQ(Count("Post"), "0");
  EXPECT_EQ(Count("Comment"), "0");
  EXPECT_EQ(Run(R"({"deleteMany":"User"})"), R"({"count":0})");
}

TEST_F(MutationTest, DeleteManyFailsWholeOnARestrict) {
  SeedBlog();
  Run(R"({"create":"Audit","data":{"what":"w","userId":2}})");
  // Ada (first) could go; Bob (second) cannot, so neither does.
  Status st = Fail(R"({"deleteMany":"User","where":{}})");
  EXPECT_TRUE(Contains(st, "cannot delete User(id = 2)")) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Count("Post"), "3");
}

TEST_F(MutationTest, DeleteManyWithARelationFilter) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"deleteMany":"Post","where":{"comments":{"none":{}}}})"), R"({"count":1})");
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"slug":true}})"), R"([{"slug":"engines"},{"slug":"hello"}])");
}

// ================================================================ upsert

TEST_F(MutationTest, UpsertCreatesWhenNoRowMatches) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"upsert":"User","where":{"email":"cy@x.org"},"create":{"email":"cy@x.org","name":"Cy","posts":{"create":{"slug":"c","title":"C"}}},
                    "update":{"name":"never"},"select":{"id":true,"name":true,"posts":{"select":{"slug":true}}}})"),
            R"({"id":3,"name":"Cy","posts":[{"slug":"c"}]})");
  EXPECT_EQ(Count("User"), "3");
}

TEST_F(MutationTest, UpsertUpdatesWhenTheRowExists) {
  SeedBlog();
  EXPECT_EQ(Run(R"({"upsert":"User","where":{"email":"bob@x.org"},"create":{"email":"bob@x.org","name":"never"},
                    "update":{"name":"Bob","karma":{"increment":2}},"select":{"id":true,"name":true,"karma":true}})"),
            R"({"id":2,"name":"Bob","karma":2})");
  EXPECT_EQ(Count("User"), "2");
}

TEST_F(MutationTest, UpsertByACompoundUniqueKeyTakesBothBranches) {
  SeedBlog();
  const char* req = R"({"upsert":"Post","where":{"authorId_slug":{"authorId":2,"slug":"new"}},
                        "create":{"slug":"new","title":"Created","authorId":2},
                        "update":{"views":{"increment":1}},"select":{"id":true,"title":true,"views":true}})";
  EXPECT_EQ(Run(req), R"({"id":4,"title":"Created","views":0})");
  EXPECT_EQ(Run(req), R"({"id":4,"title":"Created","views":1})");
  EXPECT_EQ(Count("Post"), "4");
}

TEST_F(MutationTest, UpsertBranchesEnforceConstraints) {
  SeedBlog();
  // Create branch: the where names no row, but the data takes Ada's email.
  Status st = Fail(R"({"upsert":"User","where":{"email":"cy@x.org"},"create":{"email":"ada@x.org"},"update":{}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on User(email)")) << st.ToString();
  // Update branch.
  st = Fail(R"({"upsert":"User","where":{"email":"bob@x.org"},"create":{"email":"bob@x.org"},"update":{"email":"ada@x.org"}})");
  EXPECT_TRUE(Contains(st, "Unique constraint failed on User(email)")) << st.ToString();
  st = Fail(R"({"upsert":"Note","where":{"id":1},"create":{"text":"n","userId":99},"update":{}})");
  EXPECT_TRUE(Contains(st, "Foreign key constraint failed on Note(userId)")) << st.ToString();
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Count("Note"), "0");
}

// ================================================================ createMany

TEST_F(MutationTest, CreateManyAnswersTheCountAndFillsDefaults) {
  EXPECT_EQ(Run(R"({"createMany":"User","data":[{"email":"a@x.org"},{"email":"b@x.org","role":"OWNER"},{"email":"c@x.org"}]})"),
            R"({"count":3})");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"role":true,"karma":true}})"),
            R"([{"id":1,"role":"MEMBER","karma":0},{"id":2,"role":"OWNER","karma":0},{"id":3,"role":"MEMBER","karma":0}])");
  EXPECT_EQ(Run(R"({"createMany":"User","data":[]})"), R"({"count":0})");
}

TEST_F(MutationTest, CreateManyFailsWholeOnARowThatExists) {
  Run(R"({"create":"Tag","data":{"label":"a"}})");
  Status st = Fail(R"({"createMany":"Tag","data":[{"label":"b"},{"label":"a"},{"label":"c"}]})");
  EXPECT_TRUE(Contains(st, "data[1]: Unique constraint failed on Tag(label)")) << st.ToString();
  EXPECT_EQ(Count("Tag"), "1");
}

TEST_F(MutationTest, CreateManyFailsWholeOnADuplicateWithinTheBatch) {
  Status st = Fail(R"({"createMany":"Tag","data":[{"label":"a"},{"label":"b"},{"label":"a"}]})");
  EXPECT_TRUE(Contains(st, "data[2]: Unique constraint failed on Tag(label)")) << st.ToString();
  EXPECT_EQ(Count("Tag"), "0");
}

TEST_F(MutationTest, CreateManySkipDuplicatesSkipsRowsThatExist) {
  Run(R"({"createMany":"Tag","data":[{"label":"a"},{"label":"b"}]})");
  EXPECT_EQ(Run(R"({"createMany":"Tag","data":[{"label":"a"},{"label":"c"},{"label":"b"}],"skipDuplicates":true})"),
            R"({"count":1})");
  EXPECT_EQ(Run(R"({"findMany":"Tag","select":{"label":true}})"), R"([{"label":"a"},{"label":"b"},{"label":"c"}])");
  // By primary key as well as by a unique field.
  EXPECT_EQ(Run(R"({"createMany":"Tag","data":[{"id":1,"label":"d"},{"id":10,"label":"e"}],"skipDuplicates":true})"),
            R"({"count":1})");
  EXPECT_EQ(Count("Tag"), "4");
}

TEST_F(MutationTest, CreateManySkipDuplicatesSkipsDuplicatesWithinTheBatch) {
  EXPECT_EQ(Run(R"({"createMany":"Tag","data":[{"label":"a"},{"label":"b"},{"label":"a"},{"label":"b"}],"skipDuplicates":true})"),
            R"({"count":2})");
  EXPECT_EQ(Run(R"({"findMany":"Tag","select":{"id":true,"label":true}})"),
            R"([{"id":1,"label":"a"},{"id":2,"label":"b"}])");
}

TEST_F(MutationTest, CreateManySkipDuplicatesByCompoundKeys) {
  SeedBlog();
  SeedTeams();
  EXPECT_EQ(Run(R"({"createMany":"Membership","data":[{"teamId":1,"userId":1},{"teamId":1,"userId":1,"role":"OWNER"},{"teamId":2,"userId":1}],"skipDuplicates":true})"),
            R"({"count":2})");
  EXPECT_EQ(Run(R"({"findMany":"Membership","select":{"teamId":true,"role":true}})"),
            R"([{"teamId":1,"role":"MEMBER"},{"teamId":2,"role":"MEMBER"}])");
  EXPECT_EQ(Run(R"({"createMany":"Post","data":[{"slug":"engines","title":"x","authorId":1},{"slug":"engines","title":"y","authorId":2}],"skipDuplicates":true})"),
            R"({"count":1})");
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"slug":"engines"},"select":{"title":true}})"),
            R"([{"title":"Engines"},{"title":"y"}])");
}

TEST_F(MutationTest, CreateManySkipDuplicatesStillChecksForeignKeysAndRequiredFields) {
  SeedBlog();
  Status st = Fail(R"({"createMany":"Note","data":[{"text":"a","userId":1},{"text":"b","userId":99}],"skipDuplicates":true})");
  EXPECT_TRUE(Contains(st, "data[1]: Foreign key constraint failed on Note(userId)")) << st.ToString();
  st = Fail(R"({"createMany":"Note","data":[{"text":"a"},{"userId":1}],"skipDuplicates":true})");
  EXPECT_TRUE(Contains(st, "data[1]: Note.text is required")) << st.ToString();
  EXPECT_EQ(Count("Note"), "0");
}

TEST_F(MutationTest, CreateManyRefusesNestedWrites) {
  Status st = Fail(R"({"createMany":"User","data":[{"email":"a@x.org","posts":{"create":{"slug":"s","title":"t"}}}]})");
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_TRUE(Contains(st, "data[0]: createMany takes no nested writes")) << st.ToString();
}

// ================================================================ transactions

TEST_F(MutationTest, InteractiveTransactionSeesItsOwnWritesInLaterRequests) {
  auto t = db_->Begin();
  InOk(*t, R"({"create":"User","data":{"email":"ada@x.org"}})");
  InOk(*t, R"({"create":"Post","data":{"slug":"s","title":"T","author":{"connect":{"email":"ada@x.org"}}}})");
  InOk(*t, R"({"update":"Post","where":{"authorId_slug":{"authorId":1,"slug":"s"}},"data":{"views":{"increment":3}}})");
  EXPECT_EQ(InOk(*t, R"({"findMany":"User","select":{"email":true,"posts":{"select":{"slug":true,"views":true}}}})"),
            R"([{"email":"ada@x.org","posts":[{"slug":"s","views":3}]}])");
  // Others do not see it until the commit.
  EXPECT_EQ(Count("User"), "0");
  ASSERT_OK(t->Commit().status());
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"views":true}})"), R"([{"views":3}])");
}

TEST_F(MutationTest, AfterAFailedWriteEveryLaterRequestAndTheCommitFailWithTheFirstError) {
  SeedBlog();
  auto t = db_->Begin();
  InOk(*t, R"({"create":"Tag","data":{"label":"kept?"}})");
  Result<query::QueryResult> first = In(*t, R"({"create":"User","data":{"email":"ada@x.org"}})");
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(Contains(first.status(), "Unique constraint failed on User(email)")) << first.status().ToString();
  for (const char* later : {R"({"count":"Tag"})", R"({"findUnique":"User","where":{"id":1}})",
                            R"({"create":"Tag","data":{"label":"other"}})", R"({"deleteMany":"Tag"})"}) {
    Result<query::QueryResult> r = In(*t, later);
    ASSERT_FALSE(r.ok()) << later << " answered " << query::ToJson(*r);
    EXPECT_TRUE(Contains(r.status(), "transaction aborted")) << r.status().ToString();
    EXPECT_TRUE(Contains(r.status(), "Unique constraint failed on User(email)")) << r.status().ToString();
  }
  Status commit = t->Commit().status();
  EXPECT_FALSE(commit.ok());
  EXPECT_TRUE(Contains(commit, "Unique constraint failed on User(email)")) << commit.ToString();
  t->Rollback();
  EXPECT_EQ(Run(R"({"findUnique":"Tag","where":{"label":"kept?"}})"), "null");
}

TEST_F(MutationTest, AFailedNestedWriteAbortsTheTransactionToo) {
  auto t = db_->Begin();
  Result<query::QueryResult> first =
      In(*t, R"({"create":"User","data":{"email":"a@x.org","posts":{"connect":{"id":9}}}})");
  ASSERT_FALSE(first.ok());
  Result<query::QueryResult> later = In(*t, R"({"count":"User"})");
  ASSERT_FALSE(later.ok()) << query::ToJson(*later);
  EXPECT_TRUE(Contains(later.status(), "no Post with id = 9 to connect")) << later.status().ToString();
  EXPECT_FALSE(t->Commit().ok());
  EXPECT_EQ(Count("User"), "0");
}

TEST_F(MutationTest, RollbackLeavesNothing) {
  SeedBlog();
  auto t = db_->Begin();
  InOk(*t, R"({"create":"User","data":{"email":"cy@x.org","posts":{"create":{"slug":"c","title":"C"}}}})");
  InOk(*t, R"({"update":"User","where":{"id":1},"data":{"karma":{"increment":5}}})");
  InOk(*t, R"({"delete":"User","where":{"id":2}})");
  InOk(*t, R"({"createMany":"Tag","data":[{"label":"x"},{"label":"y"}]})");
  t->Rollback();
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"karma":true,"_count":{"select":{"posts":true}}}})"),
            R"([{"id":1,"karma":0,"_count":{"posts":2}},{"id":2,"karma":0,"_count":{"posts":1}}])");
  EXPECT_EQ(Count("Tag"), "2");
  EXPECT_EQ(Count("Comment"), "3");
}

TEST_F(MutationTest, AFailedReadDoesNotAbortTheTransaction) {
  SeedBlog();
  auto t = db_->Begin();
  InOk(*t, R"({"create":"Tag","data":{"label":"x"}})");
  query::ExecuteOptions o;
  o.max_rows_read = 1;
  Result<query::Request> req = query::ParseRequest(R"({"findMany":"Post"})", t->catalog().schema());
  ASSERT_OK(req.status());
  ASSERT_FALSE(t->Execute(*req, o).ok());
  EXPECT_EQ(InOk(*t, R"({"count":"Tag"})"), "3");
  ASSERT_OK(t->Commit().status());
  EXPECT_EQ(Count("Tag"), "3");
}

TEST_F(MutationTest, BatchIsAllOrNothing) {
  SeedBlog();
  Result<std::vector<query::QueryResult>> r = db_->ExecuteBatch({
      R"({"create":"Tag","data":{"label":"x"}})",
      R"({"update":"User","where":{"id":1},"data":{"karma":5}})",
      R"({"delete":"User","where":{"id":2}})",
      R"({"update":"User","where":{"id":1},"data":{"karma":{"divide":0}}})",
  });
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "request 3")) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status(), "division by zero")) << r.status().ToString();
  EXPECT_EQ(Count("Tag"), "2");
  EXPECT_EQ(Count("User"), "2");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":1},"select":{"karma":true}})"), R"({"karma":0})");
}

TEST_F(MutationTest, BatchRequestsSeeTheEarlierOnesWrites) {
  Result<std::vector<query::QueryResult>> r = db_->ExecuteBatch({
      R"({"create":"User","data":{"email":"ada@x.org"}})",
      R"({"create":"Post","data":{"slug":"s","title":"T","author":{"connect":{"email":"ada@x.org"}}},"select":{"id":true}})",
      R"({"updateMany":"Post","data":{"views":7}})",
      R"({"findMany":"User","select":{"posts":{"select":{"views":true}}}})",
      R"({"deleteMany":"Tag"})",
  });
  ASSERT_OK(r.status());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ(query::ToJson((*r)[1]), R"({"id":1})");
  EXPECT_EQ(query::ToJson((*r)[2]), R"({"count":1})");
  EXPECT_EQ(query::ToJson((*r)[3]), R"([{"posts":[{"views":7}]}])");
  EXPECT_EQ(query::ToJson((*r)[4]), R"({"count":0})");
  EXPECT_EQ((*r)[0].version, (*r)[4].version);  // one commit
}

// Two transactions write the same unique value; whichever way they
// interleave, never both commit.
TEST_F(MutationTest, ConcurrentInsertsOfTheSameUniqueValueCannotBothCommit) {
  auto a = db_->Begin();
  auto b = db_->Begin();
  InOk(*a, R"({"create":"User","data":{"email":"same@x.org"}})");
  Result<query::QueryResult> rb = In(*b, R"({"create":"User","data":{"email":"same@x.org"}})");
  ASSERT_OK(a->Commit().status());
  if (rb.ok()) {
    Status st = b->Commit().status();
    EXPECT_TRUE(st.IsConflict()) << st.ToString();
  } else {
    EXPECT_TRUE(Contains(rb.status(), "Unique constraint failed on User(email)")) << rb.status().ToString();
  }
  EXPECT_EQ(Run(R"({"count":"User","where":{"email":"same@x.org"}})"), "1");
}

TEST_F(MutationTest, AWriterBehindACommittedUniqueValueCannotCommitIt) {
  // b's snapshot predates a's commit, so b's check cannot see a's row.
  auto b = db_->Begin();
  Run(R"({"create":"User","data":{"email":"same@x.org"}})");
  Result<query::QueryResult> rb = In(*b, R"({"create":"User","data":{"email":"same@x.org"}})");
  if (rb.ok()) {
    Status st = b->Commit().status();
    EXPECT_TRUE(st.IsConflict()) << st.ToString();
  }
  EXPECT_EQ(Run(R"({"count":"User","where":{"email":"same@x.org"}})"), "1");
}

TEST_F(MutationTest, ConcurrentInsertsOfTheSameCompoundUniqueValueCannotBothCommit) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  auto a = db_->Begin();
  auto b = db_->Begin();
  InOk(*a, R"({"create":"Post","data":{"slug":"s","title":"A","authorId":1}})");
  Result<query::QueryResult> rb = In(*b, R"({"create":"Post","data":{"slug":"s","title":"B","authorId":1}})");
  ASSERT_OK(a->Commit().status());
  if (rb.ok()) {
    Status st = b->Commit().status();
    EXPECT_TRUE(st.IsConflict()) << st.ToString();
  }
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"title":true}})"), R"([{"title":"A"}])");
}

TEST_F(MutationTest, ConcurrentInsertsOfTheSamePrimaryKeyCannotBothCommit) {
  Run(R"({"createMany":"User","data":[{"email":"ada@x.org"},{"email":"bob@x.org"}]})");
  // Clustered rows under different parents: different row keys, one primary key.
  auto a = db_->Begin();
  auto b = db_->Begin();
  InOk(*a, R"({"create":"Post","data":{"id":50,"slug":"a","title":"A","authorId":1}})");
  Result<query::QueryResult> rb = In(*b, R"({"create":"Post","data":{"id":50,"slug":"b","title":"B","authorId":2}})");
  ASSERT_OK(a->Commit().status());
  if (rb.ok()) {
    Status st = b->Commit().status();
    EXPECT_TRUE(st.IsConflict()) << st.ToString();
  }
  EXPECT_EQ(Run(R"({"findMany":"Post","select":{"id":true,"authorId":true}})"), R"([{"id":50,"authorId":1}])");
  // A compound primary key.
  Run(R"({"create":"Team","data":{"id":1,"name":"t"}})");
  a = db_->Begin();
  b = db_->Begin();
  InOk(*a, R"({"create":"Membership","data":{"teamId":1,"userId":1,"role":"OWNER"}})");
  rb = In(*b, R"({"create":"Membership","data":{"teamId":1,"userId":1,"role":"GUEST"}})");
  ASSERT_OK(a->Commit().status());
  if (rb.ok()) {
    Status st = b->Commit().status();
    EXPECT_TRUE(st.IsConflict()) << st.ToString();
  }
  EXPECT_EQ(Run(R"({"findMany":"Membership","select":{"role":true}})"), R"([{"role":"OWNER"}])");
}

TEST_F(MutationTest, ConcurrentUpdateAndInsertOfTheSameUniqueValueCannotBothCommit) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  auto a = db_->Begin();
  auto b = db_->Begin();
  InOk(*a, R"({"update":"User","where":{"id":1},"data":{"email":"same@x.org"}})");
  Result<query::QueryResult> rb = In(*b, R"({"create":"User","data":{"email":"same@x.org"}})");
  ASSERT_OK(a->Commit().status());
  if (rb.ok()) {
    Status st = b->Commit().status();
    EXPECT_TRUE(st.IsConflict()) << st.ToString();
  }
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"email":true}})"), R"([{"id":1,"email":"same@x.org"}])");
}

TEST_F(MutationTest, ConcurrentCreateOfAChildAndDeleteOfItsParentCannotBothCommit) {
  Run(R"({"createMany":"User","data":[{"email":"ada@x.org"},{"email":"bob@x.org"}]})");
  // Either order of commits: the second fails.
  for (bool child_first : {true, false}) {
    const int user = child_first ? 1 : 2;
    auto a = db_->Begin();
    auto b = db_->Begin();
    InOk(*a, R"({"create":"Post","data":{"slug":"s","title":"T","authorId":)" + std::to_string(user) + "}}");
    InOk(*b, R"({"delete":"User","where":{"id":)" + std::to_string(user) + "}}");
    Transaction& first = child_first ? *a : *b;
    Transaction& second = child_first ? *b : *a;
    ASSERT_OK(first.Commit().status());
    Status st = second.Commit().status();
    EXPECT_TRUE(st.IsConflict()) << child_first << ": " << st.ToString();
    // No post without its author.
    EXPECT_EQ(Run(R"({"count":"Post","where":{"author":{"is":null}}})"), "0");
  }
}

TEST_F(MutationTest, ConcurrentRestrictedChildAndParentDeleteCannotBothCommit) {
  Run(R"({"create":"User","data":{"email":"ada@x.org"}})");
  auto a = db_->Begin();
  auto b = db_->Begin();
  InOk(*a, R"({"delete":"User","where":{"id":1}})");  // no audits yet
  InOk(*b, R"({"create":"Audit","data":{"what":"w","userId":1}})");
  ASSERT_OK(a->Commit().status());
  Status st = b->Commit().status();
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_EQ(Count("Audit"), "0");
}

// Database::Execute retries a conflict; a retried insert then meets the
// committed value and fails its check. Of each pair, exactly one succeeds.
TEST_F(MutationTest, ConcurrentExecutesOfTheSameUniqueValueLeaveOneRow) {
  constexpr int kEmails = 20;
  std::atomic<int> ok{0}, unique_failures{0}, other{0};
  auto worker = [&] {
    for (int i = 0; i < kEmails; ++i) {
      Result<query::QueryResult> r =
          db_->Execute(R"({"create":"User","data":{"email":"u)" + std::to_string(i) + R"(@x.org"}})");
      if (r.ok()) ++ok;
      else if (Contains(r.status(), "Unique constraint failed on User(email)")) ++unique_failures;
      else {
        ++other;
        ADD_FAILURE() << r.status().ToString();
      }
    }
  };
  std::thread t1(worker), t2(worker);
  t1.join();
  t2.join();
  EXPECT_EQ(ok.load(), kEmails);
  EXPECT_EQ(unique_failures.load(), kEmails);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Count("User"), std::to_string(kEmails));
}

}  // namespace
}  // namespace ormdb::engine
