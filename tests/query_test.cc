// Graph fetches and mutations through the embedded API, as an ORM sends
// them: the JSON request in, nested JSON (from the blocks) out. Each test is
// one behaviour; the differential test against SQLite covers the space of
// requests at random.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/database.h"
#include "query/binary_form.h"
#include "query/parser.h"
#include "query/planner.h"
#include "query/result.h"
#include "tests/test_util.h"
#include "util/json.h"

namespace ormdb::engine {
namespace {

constexpr char kSchema[] = R"(
enum Role {
  READER
  AUTHOR
  ADMIN @map("administrator")
}

model User {
  id       Int       @id @default(autoincrement())
  email    String    @unique
  name     String?
  role     Role      @default(READER)
  karma    Int       @default(0)
  posts    Post[]
  comments Comment[]
  profile  Profile?
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
  views     BigInt    @default(0)
  score     Float?
  author    User      @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId  Int
  comments  Comment[]
  tags      Tag[]
  createdAt DateTime  @default(now())

  @@index([authorId, createdAt])
  @@cluster(author)
}

model Comment {
  id       Int       @id @default(autoincrement())
  body     String
  post     Post      @relation(fields: [postId], references: [id], onDelete: Cascade)
  postId   Int
  author   User      @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId Int
  parent   Comment?  @relation("Replies", fields: [parentId], references: [id])
  parentId Int?
  replies  Comment[] @relation("Replies")
}

model Tag {
  id    Int    @id @default(autoincrement())
  label String @unique
  posts Post[]
}
)";

class QueryTest : public ::testing::Test {
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
    if (!r.ok()) return "";
    // Every answer survives the byte layout unchanged.
    std::string bytes = r->Encode();
    Result<query::QueryResult> back = query::QueryResult::Decode(bytes);
    EXPECT_TRUE(back.ok()) << back.status().ToString();
    if (back.ok()) {
      EXPECT_EQ(query::ToJson(*back), query::ToJson(*r));
    }
    return query::ToJson(*r);
  }

  Status Fail(std::string_view request) {
    Result<query::QueryResult> r = db_->Execute(request);
    EXPECT_FALSE(r.ok()) << request << " answered " << (r.ok() ? query::ToJson(*r) : "");
    return r.ok() ? Status::OK() : r.status();
  }

  // A small blog: two users, three posts, comments and a reply, tags.
  void Seed() {
    Run(R"({"create":"User","data":{"email":"ada@x.org","name":"Ada","role":"ADMIN",
            "profile":{"create":{"bio":"math"}},
            "posts":{"create":[
              {"title":"Engines","published":true,"views":10,"createdAt":"2024-01-02T00:00:00Z",
               "tags":{"create":[{"label":"math"},{"label":"machines"}]}},
              {"title":"Notes","published":false,"views":3,"createdAt":"2024-01-01T00:00:00Z"}]}}})");
    Run(R"({"create":"User","data":{"email":"bob@x.org","name":null,
            "posts":{"create":{"title":"Hello","published":true,"views":7,"score":1.5,
                               "createdAt":"2024-01-03T00:00:00Z","tags":{"connect":{"label":"math"}}}}}})");
    // Comments: on Ada's "Engines" (post 1) by Bob, a reply by Ada; on Bob's post by Ada.
    Run(R"({"create":"Comment","data":{"body":"nice","postId":1,"authorId":2}})");
    Run(R"({"create":"Comment","data":{"body":"thanks","postId":1,"authorId":1,"parentId":1}})");
    Run(R"({"create":"Comment","data":{"body":"hi bob","postId":3,"authorId":1}})");
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(QueryTest, FindUniqueByPrimaryKeyOrUniqueField) {
  Seed();
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":2},"select":{"email":true}})"), R"({"email":"bob@x.org"})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"email":"ada@x.org"},"select":{"id":true,"role":true}})"),
            R"({"id":1,"role":"ADMIN"})");
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":99}})"), "null");
}

// The executor reads each model's columns from the catalog, built once per
// schema: they must be the ones the request parser derives from the schema.
TEST_F(QueryTest, CatalogColumnsAreTheSchemasStoredFields) {
  std::shared_ptr<const Catalog> catalog = db_->catalog();
  ASSERT_EQ(catalog->models().size(), catalog->schema().models.size());
  for (const ModelInfo& m : catalog->models()) {
    SCOPED_TRACE(m.name());
    EXPECT_EQ(m.columns.fields, query::StoredFields(*m.def));
    EXPECT_EQ(m.columns.column_of_field, query::ColumnOfField(*m.def));
    EXPECT_EQ(m.columns.primary_key, query::PrimaryKeyColumns(*m.def));
  }
}

// IndexServesOrder against the plain statement of what it decides: the
// requested order without the bound columns must be a prefix of the scan's
// order (the index's columns after the bound ones, then the primary key
// columns it lacks), as it is or with every direction flipped.
TEST(PlannerTest, IndexServesOrderMatchesTheScanOrderWrittenOut) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (ORMDB_TEST_SEED to reproduce)");
  std::mt19937_64 rng(seed);
  auto reference = [](const query::IndexDesc& ix, size_t bound, const query::RowOrder& order,
                      const std::vector<size_t>& pk, bool* reverse) {
    std::vector<query::OrderTerm> scan, want;
    for (size_t i = bound; i < ix.columns.size(); ++i) {
      scan.push_back({ix.columns[i], ix.order[i] == schema::SortOrder::kDesc, std::nullopt});
    }
    for (size_t c : pk) {
      if (std::find(ix.columns.begin(), ix.columns.end(), c) == ix.columns.end()) scan.push_back({c, false, {}});
    }
    for (const query::OrderTerm& t : order.terms) {
      if (std::find(ix.columns.begin(), ix.columns.begin() + static_cast<std::ptrdiff_t>(bound), t.column) ==
          ix.columns.begin() + static_cast<std::ptrdiff_t>(bound)) {
        want.push_back(t);
      }
    }
    for (int flip = 0; flip < 2; ++flip) {
      bool ok = want.size() <= scan.size();
      for (size_t i = 0; i < want.size() && ok; ++i) {
        const bool desc = scan[i].descending != (flip == 1);
        ok = want[i].column == scan[i].column && want[i].descending == desc &&
             (!want[i].nulls_first || *want[i].nulls_first == !desc);
      }
      if (ok) {
        *reverse = flip == 1;
        return true;
      }
    }
    return false;
  };
  size_t served = 0;
  for (int round = 0; round < 20000; ++round) {
    // Columns 0..4; a primary key of one or two of them.
    std::vector<size_t> pk = {rng() % 5};
    if (rng() % 2 && pk[0] != 4) pk.push_back(pk[0] + 1);
    query::IndexDesc ix;
    for (size_t c = 0; c < 5; ++c) {
      if (rng() % 2) continue;
      ix.columns.push_back(c);
      ix.order.push_back(rng() % 3 == 0 ? schema::SortOrder::kDesc : schema::SortOrder::kAsc);
    }
    std::shuffle(ix.columns.begin(), ix.columns.end(), rng);
    const size_t bound = ix.columns.empty() ? 0 : rng() % (ix.columns.size() + 1);
    std::vector<query::OrderTerm> order_by;
    for (size_t n = rng() % 3; n > 0; --n) {
      query::OrderTerm t{rng() % 5, rng() % 2 == 0, std::nullopt};
      if (rng() % 4 == 0) t.nulls_first = rng() % 2 == 0;
      order_by.push_back(t);
    }
    const query::RowOrder order = query::MakeRowOrder(order_by, pk);
    bool want_reverse = false, got_reverse = false;
    const bool want = reference(ix, bound, order, pk, &want_reverse);
    ASSERT_EQ(query::IndexServesOrder(ix, bound, order, pk, &got_reverse), want) << "round " << round;
    if (want) {
      ASSERT_EQ(got_reverse, want_reverse) << "round " << round;
      ++served;
    }
  }
  EXPECT_GT(served, 1000u);  // the rounds reach both answers
}

TEST_F(QueryTest, FindUniqueNeedsAUniqueKey) {
  Status st = Fail(R"({"findUnique":"User","where":{"name":"Ada"}})");
  EXPECT_NE(st.message().find("where: must name a unique key of User with equalities: (id) or (email)"),
            std::string::npos)
      << st.ToString();
}

TEST_F(QueryTest, ErrorsNameThePathInsideTheRequest) {
  Status st = Fail(R"({"findMany":"User","include":{"posts":{"where":{"title":42}}}})");
  EXPECT_NE(st.message().find("include.posts.where.title: expected String, got 42"), std::string::npos)
      << st.ToString();
  st = Fail(R"({"findMany":"User","include":{"postz":true}})");
  EXPECT_NE(st.message().find("include.postz: model User has no field \"postz\""), std::string::npos) << st.ToString();
  st = Fail(R"({"findMany":"Nobody"})");
  EXPECT_NE(st.message().find("findMany: unknown model \"Nobody\""), std::string::npos) << st.ToString();
  st = Fail(R"({"findMany":"User","where":{"role":"KING"}})");
  EXPECT_NE(st.message().find("where.role: expected Role, got \"KING\""), std::string::npos) << st.ToString();
  st = Fail(R"({"findMany":"User","take":"ten"})");
  EXPECT_NE(st.message().find("take: expected an integer"), std::string::npos) << st.ToString();
  st = Fail(R"({"findMany":"User","where":{"id":1},)");
  EXPECT_NE(st.message().find("JSON at line 1"), std::string::npos) << st.ToString();
}

TEST_F(QueryTest, IncludeNestsToAnyDepthWithoutDuplicatingRows) {
  Seed();
  EXPECT_EQ(
      Run(R"({"findMany":"User","select":{"email":true,
              "posts":{"select":{"title":true,"comments":{"select":{"body":true,"author":{"select":{"email":true}}}}}}}})"),
      R"([{"email":"ada@x.org","posts":[{"title":"Engines","comments":[{"body":"nice","author":{"email":"bob@x.org"}},)"
      R"({"body":"thanks","author":{"email":"ada@x.org"}}]},{"title":"Notes","comments":[]}]},)"
      R"({"email":"bob@x.org","posts":[{"title":"Hello","comments":[{"body":"hi bob","author":{"email":"ada@x.org"}}]}]}])");
}

TEST_F(QueryTest, ToOneIncludesAreObjectsOrNull) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"profile":{"select":{"bio":true}}}})"),
            R"([{"id":1,"profile":{"bio":"math"}},{"id":2,"profile":null}])");
  EXPECT_EQ(Run(R"({"findMany":"Comment","select":{"id":true,"parent":{"select":{"id":true}}}})"),
            R"([{"id":1,"parent":null},{"id":2,"parent":{"id":1}},{"id":3,"parent":null}])");
}

TEST_F(QueryTest, ManyToManyIncludesGoThroughTheJoinModel) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"Tag","select":{"label":true,"posts":{"select":{"title":true}}}})"),
            R"([{"label":"math","posts":[{"title":"Engines"},{"title":"Hello"}]},)"
            R"({"label":"machines","posts":[{"title":"Engines"}]}])");
  EXPECT_EQ(Run(R"({"findUnique":"Post","where":{"id":1},"select":{"tags":{"select":{"label":true},"orderBy":{"label":"asc"}}}})"),
            R"({"tags":[{"label":"machines"},{"label":"math"}]})");
}

TEST_F(QueryTest, PerParentOrderTakeAndSkipOnIncludes) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"posts":{"select":{"title":true},
                    "orderBy":{"createdAt":"desc"},"take":1}}})"),
            R"([{"id":1,"posts":[{"title":"Engines"}]},{"id":2,"posts":[{"title":"Hello"}]}])");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"posts":{"select":{"title":true},
                    "orderBy":{"createdAt":"asc"},"skip":1}}})"),
            R"([{"id":1,"posts":[{"title":"Engines"}]},{"id":2,"posts":[]}])");
}

TEST_F(QueryTest, RootOrderPagingCursorAndNegativeTake) {
  for (int i = 1; i <= 10; ++i) {
    Run(R"({"create":"User","data":{"email":"u)" + std::to_string(i) + R"(@x.org","karma":)" +
        std::to_string(i % 3) + "}}");
  }
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"id":{"gt":3}},"orderBy":{"id":"asc"},"take":3,"select":{"id":true}})"),
            R"([{"id":4},{"id":5},{"id":6}])");
  EXPECT_EQ(Run(R"({"findMany":"User","orderBy":[{"karma":"desc"},{"id":"asc"}],"take":4,"select":{"id":true}})"),
            R"([{"id":2},{"id":5},{"id":8},{"id":1}])");
  EXPECT_EQ(Run(R"({"findMany":"User","cursor":{"id":5},"skip":1,"take":2,"select":{"id":true}})"),
            R"([{"id":6},{"id":7}])");
  EXPECT_EQ(Run(R"({"findMany":"User","cursor":{"id":5},"take":-2,"select":{"id":true}})"),
            R"([{"id":4},{"id":5}])");
  EXPECT_EQ(Run(R"({"findMany":"User","cursor":{"id":50},"take":2,"select":{"id":true}})"), "[]");
  EXPECT_EQ(Run(R"({"findMany":"User","distinct":["karma"],"select":{"karma":true}})"),
            R"([{"karma":1},{"karma":2},{"karma":0}])");
  EXPECT_EQ(Run(R"({"findFirst":"User","orderBy":{"id":"desc"},"select":{"id":true}})"), R"({"id":10})");
}

TEST_F(QueryTest, ExtremeTakeAndSkipAreNotOverflows) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"Tag","take":-9223372036854775808,"select":{"id":true}})"), R"([{"id":1},{"id":2}])");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"posts":{"select":{"id":true},"take":9223372036854775807,"skip":1}}})"),
            R"([{"id":1,"posts":[{"id":2}]},{"id":2,"posts":[]}])");
  EXPECT_EQ(Run(R"({"groupBy":"Post","by":["authorId"],"take":-9223372036854775808,"_count":true})"),
            R"([{"authorId":1,"_count":{"_all":2}},{"authorId":2,"_count":{"_all":1}}])");
}

TEST_F(QueryTest, NotListMeansEveryConditionIsFalse) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"Tag","where":{"NOT":[{"label":"math"},{"label":"machines"}]},"select":{"id":true}})"), "[]");
  EXPECT_EQ(Run(R"({"findMany":"Tag","where":{"NOT":{"label":"math","id":2}},"select":{"id":true}})"),
            R"([{"id":1},{"id":2}])");
  EXPECT_EQ(Run(R"({"findMany":"Tag","where":{"NOT":[]},"select":{"id":true}})"), R"([{"id":1},{"id":2}])");
}

TEST_F(QueryTest, ScalarFiltersFollowSqlNullSemantics) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"name":null},"select":{"id":true}})"), R"([{"id":2}])");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"name":{"not":"Ada"}},"select":{"id":true}})"), "[]");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"NOT":{"name":"Ada"}},"select":{"id":true}})"), "[]");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"OR":[{"name":{"startsWith":"a","mode":"insensitive"}},{"name":null}]},"select":{"id":true}})"),
            R"([{"id":1},{"id":2}])");
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"views":{"gte":5,"lt":10}},"select":{"id":true}})"), R"([{"id":3}])");
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"title":{"in":["Notes","Hello"]}},"select":{"id":true}})"),
            R"([{"id":2},{"id":3}])");
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"title":{"contains":"ll"}},"select":{"id":true}})"), R"([{"id":3}])");
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"createdAt":{"gt":"2024-01-01T12:00:00Z"}},"select":{"id":true}})"),
            R"([{"id":1},{"id":3}])");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"role":{"in":["ADMIN"]}},"select":{"id":true}})"), R"([{"id":1}])");
}

TEST_F(QueryTest, RelationFiltersSomeEveryNoneIsAndIsNot) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"posts":{"some":{"published":false}}},"select":{"id":true}})"),
            R"([{"id":1}])");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"posts":{"every":{"published":true}}},"select":{"id":true}})"),
            R"([{"id":2}])");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"comments":{"none":{}}},"select":{"id":true}})"), "[]");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"profile":{"is":null}},"select":{"id":true}})"), R"([{"id":2}])");
  EXPECT_EQ(Run(R"({"findMany":"User","where":{"profile":{"isNot":null}},"select":{"id":true}})"), R"([{"id":1}])");
  EXPECT_EQ(Run(R"({"findMany":"Comment","where":{"post":{"author":{"email":"bob@x.org"}}},"select":{"id":true}})"),
            R"([{"id":3}])");
  EXPECT_EQ(Run(R"({"findMany":"Post","where":{"tags":{"some":{"label":"machines"}}},"select":{"id":true}})"),
            R"([{"id":1}])");
}

TEST_F(QueryTest, RelationCountsAndWhereOnIncludes) {
  Seed();
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"_count":{"select":{"posts":true,"comments":true}}}})"),
            R"([{"id":1,"_count":{"posts":2,"comments":2}},{"id":2,"_count":{"posts":1,"comments":1}}])");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"_count":{"select":{"posts":{"where":{"published":true}}}}}})"),
            R"([{"id":1,"_count":{"posts":1}},{"id":2,"_count":{"posts":1}}])");
  EXPECT_EQ(Run(R"({"findMany":"User","select":{"id":true,"posts":{"where":{"published":false},"select":{"id":true}}}})"),
            R"([{"id":1,"posts":[{"id":2}]},{"id":2,"posts":[]}])");
}

TEST_F(QueryTest, CountAggregateAndGroupBy) {
  Seed();
  EXPECT_EQ(Run(R"({"count":"Post","where":{"published":true}})"), "2");
  EXPECT_EQ(Run(R"({"aggregate":"Post","_count":{"_all":true,"score":true},"_sum":{"views":true},"_avg":{"views":true},"_min":{"title":true},"_max":{"createdAt":true}})"),
            R"({"_count":{"_all":3,"score":1},"_sum":{"views":20},"_avg":{"views":6.666666666666667},)"
            R"("_min":{"title":"Engines"},"_max":{"createdAt":"2024-01-03T00:00:00Z"}})");
  EXPECT_EQ(Run(R"({"groupBy":"Post","by":["authorId"],"_count":{"_all":true},"_sum":{"views":true},"orderBy":{"authorId":"desc"}})"),
            R"([{"authorId":2,"_count":{"_all":1},"_sum":{"views":7}},{"authorId":1,"_count":{"_all":2},"_sum":{"views":13}}])");
}

TEST_F(QueryTest, UpdateOperatorsUpsertAndErrors) {
  Seed();
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":1},"data":{"views":{"increment":5},"title":"Engines!"},"select":{"views":true,"title":true}})"),
            R"({"title":"Engines!","views":15})");  // in declaration order
  EXPECT_EQ(Run(R"({"update":"User","where":{"id":1},"data":{"karma":{"decrement":3}},"select":{"karma":true}})"),
            R"({"karma":-3})");
  EXPECT_EQ(Run(R"({"update":"Post","where":{"id":3},"data":{"score":{"multiply":4}},"select":{"score":true}})"),
            R"({"score":6})");
  EXPECT_EQ(Run(R"({"updateMany":"Post","where":{"published":true},"data":{"published":false}})"), R"({"count":2})");
  EXPECT_EQ(Run(R"({"upsert":"Tag","where":{"label":"new"},"create":{"label":"new"},"update":{},"select":{"id":true}})"),
            R"({"id":3})");
  EXPECT_EQ(Run(R"({"upsert":"Tag","where":{"label":"new"},"create":{"label":"new"},"update":{"label":"newer"},"select":{"id":true,"label":true}})"),
            R"({"id":3,"label":"newer"})");
  Status st = Fail(R"({"update":"User","where":{"id":42},"data":{"karma":1}})");
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  st = Fail(R"({"update":"User","where":{"id":1},"data":{"karma":{"divide":0}}})");
  EXPECT_NE(st.message().find("data.karma: division by zero"), std::string::npos) << st.ToString();
  st = Fail(R"({"update":"User","where":{"id":2},"data":{"email":"ada@x.org"}})");
  EXPECT_NE(st.message().find("Unique constraint failed on User(email)"), std::string::npos) << st.ToString();
}

TEST_F(QueryTest, DeleteReturnsTheRowAndCascades) {
  Seed();
  EXPECT_EQ(Run(R"({"delete":"User","where":{"id":1},"select":{"email":true}})"), R"({"email":"ada@x.org"})");
  EXPECT_EQ(Run(R"({"count":"Post"})"), "1");
  EXPECT_EQ(Run(R"({"count":"Comment"})"), "0");  // Ada's posts' comments, and Ada's comment on Bob's post
  EXPECT_EQ(Run(R"({"deleteMany":"Tag","where":{"label":{"startsWith":"ma"}}})"), R"({"count":2})");
  EXPECT_TRUE(Fail(R"({"delete":"User","where":{"id":1}})").IsNotFound());
}

TEST_F(QueryTest, CreateManySkipsDuplicatesWhenAsked) {
  EXPECT_EQ(Run(R"({"createMany":"Tag","data":[{"label":"a"},{"label":"b"}]})"), R"({"count":2})");
  EXPECT_EQ(Run(R"({"createMany":"Tag","data":[{"label":"a"},{"label":"c"}],"skipDuplicates":true})"),
            R"({"count":1})");
  Status st = Fail(R"({"createMany":"Tag","data":[{"label":"d"},{"label":"a"}]})");
  EXPECT_NE(st.message().find("Unique constraint failed on Tag(label)"), std::string::npos) << st.ToString();
  EXPECT_EQ(Run(R"({"count":"Tag"})"), "3");  // the failed createMany wrote nothing
}

TEST_F(QueryTest, NestedConnectOfAMissingRowFailsTheWholeCreate) {
  Status st = Fail(R"({"create":"User","data":{"email":"c@x.org","posts":{"create":{"title":"t","tags":{"connect":{"label":"none"}}}}}})");
  EXPECT_NE(st.message().find("data.posts.create.tags.connect: no Tag with label = \"none\" to connect"),
            std::string::npos)
      << st.ToString();
  EXPECT_EQ(Run(R"({"count":"User"})"), "0");
}

TEST_F(QueryTest, InteractiveTransactionSeesItsOwnWritesAndRollsBack) {
  Seed();
  auto txn = db_->Begin();
  auto parse = [&](std::string_view text) {
    Result<query::Request> r = query::ParseRequest(text, txn->catalog().schema());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  };
  ASSERT_OK(txn->Execute(parse(R"({"create":"Tag","data":{"label":"tmp"}})")).status());
  Result<query::QueryResult> seen = txn->Execute(parse(R"({"count":"Tag"})"));
  ASSERT_OK(seen.status());
  EXPECT_EQ(query::ToJson(*seen), "3");
  txn->Rollback();
  EXPECT_EQ(Run(R"({"count":"Tag"})"), "2");
}

TEST_F(QueryTest, BatchIsAllOrNothing) {
  Seed();
  auto r = db_->ExecuteBatch({R"({"create":"Tag","data":{"label":"x"}})", R"({"create":"Tag","data":{"label":"math"}})"});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(Run(R"({"count":"Tag"})"), "2");
  r = db_->ExecuteBatch({R"({"create":"Tag","data":{"label":"x"}})", R"({"count":"Tag"})"});
  ASSERT_OK(r.status());
  EXPECT_EQ(query::ToJson((*r)[1]), "3");
}

TEST_F(QueryTest, ExplainShowsTheAccessPerLevelWithRowsAndPages) {
  Seed();
  Result<query::QueryResult> r = db_->Execute(
      R"({"findMany":"User","where":{"id":{"gte":1}},"orderBy":{"id":"asc"},"take":10,"explain":true,
          "include":{"posts":{"include":{"comments":true,"tags":true}},"profile":true}})");
  ASSERT_OK(r.status());
  const std::string& e = r->explain;
  EXPECT_NE(e.find("root: index User(id) [(1) .. +inf), in order"), std::string::npos) << e;
  EXPECT_NE(e.find("posts: clustered under User"), std::string::npos) << e;
  EXPECT_NE(e.find("posts.comments: index ranges on Comment(postId)"), std::string::npos) << e;
  EXPECT_NE(e.find("posts.tags: through _PostToTag"), std::string::npos) << e;
  EXPECT_NE(e.find("profile: unique lookups on Profile(userId)"), std::string::npos) << e;
  EXPECT_NE(e.find("rows read"), std::string::npos) << e;
}

// An include of rows stored under each parent, with nothing to filter,
// dedupe or fetch below them, is copied from the records into its columns.
// It answers exactly as the row-by-row path (forced here by a where every
// row passes): nulls, skip and take per parent, orders other than the
// stored one, parents in an order other than their keys', a parent
// without rows.
TEST_F(QueryTest, IncludesCopiedFromRecordsAnswerAsRowByRow) {
  Seed();
  for (int i = 0; i < 6; ++i) {
    Run(R"({"create":"Post","data":{"title":"more )" + std::to_string(i) + R"(","authorId":)" +
        std::to_string(1 + i % 2) + (i % 3 == 0 ? R"(,"score":2.5)" : "") + "}}");
  }
  Run(R"({"create":"User","data":{"email":"cy@x.org"}})");
  const std::vector<std::string> includes = {
      R"("posts":true)",
      R"("posts":{"select":{"title":true,"score":true,"views":true}})",
      R"("posts":{"skip":1,"take":2})",
      R"("posts":{"take":0})",
      R"("posts":{"skip":10})",
      R"("posts":{"orderBy":{"id":"asc"},"take":3})",
      // Orders other than the stored one: sorted per parent, then windowed.
      R"("posts":{"orderBy":{"createdAt":"desc"},"take":2})",
      R"("posts":{"orderBy":[{"published":"asc"},{"title":"desc"}],"skip":1})",
      R"("posts":{"orderBy":{"score":{"sort":"asc","nulls":"last"}},"skip":1,"take":3})",
      R"("posts":{"orderBy":{"id":"desc"},"select":{"id":true}})",
  };
  for (const std::string& inc : includes) {
    for (const char* order : {R"("asc")", R"("desc")"}) {
      const std::string direct = R"({"findMany":"User","orderBy":{"email":)" + std::string(order) +
                                 R"(},"include":{)" + inc + "}}";
      // The same include with a where that every row passes.
      std::string forced = direct;
      const size_t at = forced.find(inc) + inc.find(':') + 1;
      if (inc.substr(inc.find(':') + 1) == "true") {
        forced.replace(at, 4, R"({"where":{"id":{"gte":0}}})");
      } else {
        forced.insert(at + 1, R"("where":{"id":{"gte":0}},)");
      }
      EXPECT_EQ(Run(direct), Run(forced)) << direct << "\n" << forced;
      Result<query::QueryResult> e = db_->Execute(direct.substr(0, direct.size() - 1) + R"(,"explain":true})");
      ASSERT_OK(e.status());
      EXPECT_NE(e->explain.find("records copied into the columns"), std::string::npos) << e->explain;
      Result<query::QueryResult> f = db_->Execute(forced.substr(0, forced.size() - 1) + R"(,"explain":true})");
      ASSERT_OK(f.status());
      EXPECT_EQ(f->explain.find("records copied into the columns"), std::string::npos) << f->explain;
    }
  }
  EXPECT_EQ(Run(R"({"findUnique":"User","where":{"id":3},"include":{"posts":true,"profile":true}})"),
            R"({"id":3,"email":"cy@x.org","name":null,"role":"READER","karma":0,"posts":[],"profile":null})");
}

TEST_F(QueryTest, RowBudgetStopsARunawayRequest) {
  Seed();
  query::ExecuteOptions o;
  o.max_rows_read = 2;
  Result<query::QueryResult> r = db_->Execute(R"({"findMany":"User","include":{"posts":true}})", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("row budget"), std::string::npos) << r.status().ToString();
}

TEST_F(QueryTest, ResultVersionIsTheSnapshotOrTheCommit) {
  Result<query::QueryResult> w = db_->Execute(R"({"create":"Tag","data":{"label":"v"}})");
  ASSERT_OK(w.status());
  Result<query::QueryResult> r = db_->Execute(R"({"findMany":"Tag"})");
  ASSERT_OK(r.status());
  EXPECT_GT(w->version, 0u);
  EXPECT_EQ(r->version, w->version);
}

TEST_F(QueryTest, BinaryFormBindsAndAnswersLikeTheText) {
  Seed();
  const char* text = R"({"findMany":"User","where":{"karma":{"gte":-1},"name":{"not":null}},"orderBy":{"id":"desc"},
                         "include":{"posts":{"where":{"OR":[{"score":{"lt":100.5}},{"score":null}]},"take":1}}})";
  Result<json::Value> v = json::Parse(text);
  ASSERT_OK(v.status());
  const std::string bytes = query::EncodeBinaryRequest(*v);
  Result<json::Value> back = query::DecodeBinaryRequest(bytes);
  ASSERT_OK(back.status());
  EXPECT_TRUE(*back == *v);
  auto txn = db_->Begin();
  Result<query::Request> req = query::ParseBinaryRequest(bytes, txn->catalog().schema());
  ASSERT_OK(req.status());
  Result<query::QueryResult> r = txn->Execute(*req);
  ASSERT_OK(r.status());
  txn->Rollback();
  EXPECT_EQ(query::ToJson(*r), Run(text));
}

TEST_F(QueryTest, BinaryFormRejectsDamageWithTheByteOffset) {
  Result<json::Value> v = json::Parse(R"({"findMany":"User","take":5})");
  ASSERT_OK(v.status());
  std::string bytes = query::EncodeBinaryRequest(*v);
  // Cut anywhere: an error naming a byte, never a crash.
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<json::Value> r = query::DecodeBinaryRequest(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
  }
  std::string bad = bytes;
  bad[5] = 9;  // an unknown tag where the request's object starts
  EXPECT_EQ(query::DecodeBinaryRequest(bad).status().message(), "binary request at byte 5: unknown tag 9");
  EXPECT_TRUE(query::DecodeBinaryRequest(bytes + "x").status().message().find("bytes after the request") !=
              std::string::npos);
}

}  // namespace
}  // namespace ormdb::engine
