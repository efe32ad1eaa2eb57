// Migration plans (schema/migration_plan.h): for each kind of schema change,
// a pair of small schemas and the exact text `ormdb migrate plan` prints
// (the golden plan), so a change in a grade, a reason or the order of steps
// shows up as a diff here. Also the first migration of the blog corpus
// schema, the errors, the step order, and the type conversion table.
// MIGRATION_PLAN_DUMP=1 prints each golden test's plan as it is now, to
// review a deliberate change of wording.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "schema/migration_plan.h"
#include "schema/resolve.h"
#include "schema/type_conversion.h"

namespace ormdb::schema {
namespace {

std::string ReadCorpus(const std::string& name) {
  std::ifstream f(std::string(SCHEMA_CORPUS_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Schema Load(const std::string& text) {
  auto r = LoadSchema(text, "schema.prisma");
  if (!r.ok()) {
    std::fprintf(stderr, "a test schema does not load: %s\n", r.status().ToString().c_str());
    std::abort();
  }
  return std::move(r).value();
}

// `text` with each `from` (which must occur exactly once) replaced.
std::string Edit(std::string text, const std::vector<std::pair<std::string, std::string>>& edits) {
  for (const auto& [from, to] : edits) {
    const size_t at = text.find(from);
    if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
      std::fprintf(stderr, "edit target not found exactly once: %s\n", from.c_str());
      std::abort();
    }
    text.replace(at, from.size(), to);
  }
  return text;
}

// The facts of a test database: every model has rows and every enum value
// is held, except those listed.
class FakeFacts final : public DataFacts {
 public:
  FakeFacts& Empty(std::string model) {
    empty_models_.insert(std::move(model));
    return *this;
  }
  FakeFacts& Unused(std::string enum_name, std::string value) {
    unused_values_.insert(std::move(enum_name) + "." + std::move(value));
    return *this;
  }
  bool ModelHasRows(std::string_view model) const override { return empty_models_.count(std::string(model)) == 0; }
  bool EnumValueInUse(std::string_view e, std::string_view v) const override {
    return unused_values_.count(std::string(e) + "." + std::string(v)) == 0;
  }

 private:
  std::set<std::string> empty_models_;
  std::set<std::string> unused_values_;
};

Result<MigrationPlan> Plan(const std::string& old_text, const std::string& new_text,
                           const DataFacts& facts = AssumeData()) {
  const Schema o = Load(old_text);
  const Schema n = Load(new_text);
  return PlanMigration(&o, n, facts);
}

// The printed plan, or "error: <message>".
std::string PlanText(const std::string& old_text, const std::string& new_text,
                     const DataFacts& facts = AssumeData()) {
  auto plan = Plan(old_text, new_text, facts);
  std::string text = plan.ok() ? FormatPlan(*plan) : "error: " + plan.status().message();
  if (std::getenv("MIGRATION_PLAN_DUMP") != nullptr) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::printf("=== %s\n%s=== end\n", info->name(), text.c_str());
  }
  return text;
}

// A golden text written from the line after its opening quote, so it reads
// as printed: Golden(R"plan(
// Migration plan: ...
// )plan").
std::string Golden(std::string_view text) {
  if (!text.empty() && text[0] == '\n') text.remove_prefix(1);
  return std::string(text);
}

// The blog in miniature: the base most tests change one thing in.
const std::string kBase = R"(enum Status {
  DRAFT
  PUBLISHED
}

model User {
  id    Int     @id @default(autoincrement())
  email String  @unique
  name  String?
  posts Post[]
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  views    Int    @default(0)
  status   Status @default(DRAFT)
  author   User   @relation(fields: [authorId], references: [id])
  authorId Int

  @@index([authorId])
}
)";

// ---------------------------------------------------------------------------
// Nothing to do

TEST(MigrationPlanTest, SameSchemaHasNoSteps) {
  EXPECT_EQ(PlanText(kBase, kBase), Golden(R"plan(
Migration plan: no changes (the schema file matches the stored schema).
)plan"));
}

TEST(MigrationPlanTest, FormattingAndDocCommentsAreNoChange) {
  const std::string reformatted = Edit(kBase, {{"model Post {\n", "/// A post.\nmodel Post {\n"},
                                              {"  title    String\n", "  /// Its title.\n  title String\n"}});
  EXPECT_EQ(PlanText(kBase, reformatted), Golden(R"plan(
Migration plan: no changes (the schema file matches the stored schema).
)plan"));
}

// ---------------------------------------------------------------------------
// Models

TEST(MigrationPlanTest, CreateModelIsAAndNotesItsClustering) {
  const std::string after = Edit(kBase, {{"  posts Post[]\n", "  posts Post[]\n  likes Like[]\n"},
                                         {"  authorId Int\n", "  authorId Int\n  likes    Like[]\n"}}) +
                            R"(
model Like {
  post   Post @relation(fields: [postId], references: [id], onDelete: Cascade)
  postId Int
  user   User @relation(fields: [userId], references: [id])
  userId Int

  @@id([postId, userId])
  @@cluster(post)
}

model Tag {
  id    Int    @id
  label String @unique
}
)";
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 4 steps, overall grade A (online)

[A] Like: create model
    New model: nothing to rewrite or check.
[A] Tag: create model
    New model: nothing to rewrite or check.
[A] Like: add foreign key (userId) -> User(id)
    Like is new: it has no rows to validate.
[A] Like: add foreign key (postId) -> Post(id)
    Like is new: it has no rows to validate.

Overall grade A (online): `migrate apply` runs every step at once.

Notes:
  - Like: stored under its Post (relation field post), as @@cluster(post) asks
  - Tag: not clustered: no required many-to-one relation to a parent's primary key
)plan"));
}

TEST(MigrationPlanTest, DropModelIsD) {
  const std::string before = kBase + "\nmodel Tag {\n  id    Int    @id\n  label String @unique\n}\n";
  EXPECT_EQ(PlanText(before, kBase), Golden(R"plan(
Migration plan: 1 step, overall grade D (destroys data)

[D] Tag: drop model
    Destroys every row of Tag.
    Safer: Stop using Tag in the application first, and export its rows if you may need them; drop
           it in a later migration, once nothing reads it. A drop can't be undone.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, RenameModelKeepingItsStoredNameIsCatalogOnly) {
  const std::string after = Edit(kBase, {{"model User {", "model Author {"},
                                         {"  posts Post[]\n}", "  posts Post[]\n\n  @@map(\"User\")\n}"},
                                         {"author   User   @relation", "author   Author @relation"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] User: rename model to Author (stored name "User" unchanged)
    Catalog only: models are matched by their stored name (@@map, else the name), which is
    unchanged; no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, RenameModelWithoutMapIsDropAndCreate) {
  const std::string after =
      Edit(kBase, {{"model User {", "model Author {"}, {"author   User   @relation", "author   Author @relation"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 5 steps, overall grade D (destroys data)

[A] Post: drop foreign key (authorId) -> User(id)
    Only removes the check; no row changes.
[A] Author: create model
    New model: nothing to rewrite or check.
[B] Post: add foreign key (authorId) -> Author(id)
    New writes are checked from the start; existing rows of Post are validated against Author in the
    background, and the step fails if one references a missing row.
[C] Post: re-cluster under Author (was: under User)
    Every row of Post is rewritten into its new place, and writes to Post wait until it is done. New
    layout: stored under its Author (author -> Author): its only required many-to-one relation to a
    parent's primary key.
    Safer: Run it when writes to Post can wait, or expand and contract: copy the rows in the
           background into a new model with the layout you want and move the application over to it.
[D] User: drop model
    Destroys every row of User. Models are matched by their stored name (@@map, else the name), so
    User ("User") and Author ("Author") are different models: a rename is a drop and an add.
    Safer: If Author is User renamed, keep its stored name: add @@map("User") to model Author, a
           catalog-only rename (A).

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.

Notes:
  - Author: not clustered: no required many-to-one relation to a parent's primary key
)plan"));
}

// ---------------------------------------------------------------------------
// Adding fields

TEST(MigrationPlanTest, AddOptionalFieldIsA) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  views    Int    @default(0)\n",
                                          "  views    Int    @default(0)\n  summary  String?\n"}})),
            Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Post: add field summary String?
    New optional field: existing rows read it as null; nothing is rewritten.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, AddFieldWithConstantDefaultIsA) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  views    Int    @default(0)\n",
                                          "  views    Int    @default(0)\n  pinned   Boolean @default(false)\n"}})),
            Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Post: add field pinned Boolean @default(false)
    Existing rows read the default false without being rewritten.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, AddFieldWithGeneratedDefaultIsBackfilledB) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  views    Int    @default(0)\n",
                                          "  views    Int    @default(0)\n  createdAt DateTime @default(now())\n"}})),
            Golden(R"plan(
Migration plan: 1 step, overall grade B (online, background work)

[B] Post: add field createdAt DateTime @default(now())
    Backfill: each existing row of Post gets its own now() value, written in the background while
    reads and writes go on.

Overall grade B (online, background work): `migrate apply` runs the B steps in the background while
reads and writes go on.
)plan"));
}

TEST(MigrationPlanTest, AddRequiredUpdatedAtIsBackfilledWithTheMigrationTime) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  views    Int    @default(0)\n",
                                          "  views    Int    @default(0)\n  editedAt DateTime @updatedAt\n"}})),
            Golden(R"plan(
Migration plan: 1 step, overall grade B (online, background work)

[B] Post: add field editedAt DateTime @updatedAt
    Backfill: each existing row of Post gets the time of the migration, written in the background
    while reads and writes go on.

Overall grade B (online, background work): `migrate apply` runs the B steps in the background while
reads and writes go on.
)plan"));
}

TEST(MigrationPlanTest, AddRequiredFieldWithoutDefaultToModelWithRowsIsAnError) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  views    Int    @default(0)\n",
                                          "  views    Int    @default(0)\n  rating   Int\n"}})),
            Golden(R"plan(
error: schema.prisma:17:3: Post.rating is required and has no default, but Post has rows, which would have no value: give it a @default(...), make it optional (rating Int?), or add it optional, fill it, and make it required in a later migration.)plan"));
}

TEST(MigrationPlanTest, AddRequiredFieldWithoutDefaultToEmptyModelIsA) {
  EXPECT_EQ(PlanText(kBase,
                     Edit(kBase, {{"  views    Int    @default(0)\n",
                                   "  views    Int    @default(0)\n  rating   Int\n"}}),
                     FakeFacts().Empty("Post")),
            Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Post: add field rating Int
    Required without a default, which works only because Post has no rows (as checked when planning;
    `migrate apply` checks again).

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

// ---------------------------------------------------------------------------
// Dropping and renaming fields

TEST(MigrationPlanTest, DropFieldIsD) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  name  String?\n", ""}})), Golden(R"plan(
Migration plan: 1 step, overall grade D (destroys data)

[D] User: drop field name String?
    Destroys the values of name in every row of User.
    Safer: Stop reading and writing name in the application first, and export its values if you may
           need them; drop it in a later migration, once nothing uses it. A drop can't be undone.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, RenameFieldKeepingItsStoredNameIsCatalogOnly) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  name  String?\n", "  fullName String? @map(\"name\")\n"}})), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] User: rename field name to fullName (stored name "name" unchanged)
    Catalog only: fields are matched by their stored name (@map, else the name), which is unchanged;
    no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, RenameFieldWithoutMapIsDropAndAddWithMapAsTheSaferWay) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  name  String?\n", "  fullName String?\n"}})), Golden(R"plan(
Migration plan: 2 steps, overall grade D (destroys data)

[A] User: add field fullName String?
    New optional field: existing rows read it as null; nothing is rewritten.
[D] User: drop field name String?
    Destroys the values of name in every row of User. Fields are matched by their stored name (@map,
    else the name), so name ("name") and fullName ("fullName") are different fields: a rename is a
    drop and an add.
    Safer: If fullName is name renamed, keep its stored name: fullName String? @map("name"), a
           catalog-only rename (A).

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, ChangingAFieldsMapIsDropAndAdd) {
  const std::string after = Edit(kBase, {{"  name  String?\n", "  name  String? @map(\"full_name\")\n"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 2 steps, overall grade D (destroys data)

[A] User: add field name String? (stored as "full_name")
    New optional field: existing rows read it as null; nothing is rewritten.
[D] User: drop field name String?
    Destroys the values of name in every row of User. Fields are matched by their stored name (@map,
    else the name), so storing name as "full_name" instead of "name" makes it a different field: a
    drop and an add.
    Safer: Keep its stored name: name String? @map("name"), and the values stay.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

// ---------------------------------------------------------------------------
// Changing fields

TEST(MigrationPlanTest, WideningTypeChangeIsC) {
  const std::string after = Edit(kBase, {{"views    Int    @default(0)", "views    BigInt @default(0)"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 1 step, overall grade C (blocks writes)

[C] Post: change type of views from Int to BigInt
    Widening: every Int fits in a BigInt. Every row of Post is rewritten, and writes to Post wait
    until it is done.
    Safer: Expand and contract: add a BigInt field beside views, write both from the application,
           backfill the new one (B), move reads to it, then drop views once nothing uses it.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.
)plan"));
}

TEST(MigrationPlanTest, NarrowingTypeChangeIsD) {
  const std::string before = Edit(kBase, {{"views    Int    @default(0)", "views    BigInt @default(0)"}});
  EXPECT_EQ(PlanText(before, kBase), Golden(R"plan(
Migration plan: 1 step, overall grade D (destroys data)

[D] Post: change type of views from BigInt to Int
    Narrowing: a BigInt outside the 32-bit range has no Int, and such values are lost. Every row of
    Post is rewritten, and writes to Post wait until it is done.
    Safer: Check first that every stored value converts, or expand and contract: add an Int field
           beside views, copy the values that convert from the application, move reads to it, then
           drop views once nothing uses it.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, ToTextIsWidening) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"views    Int    @default(0)", "views    String @default(\"0\")"}})),
            Golden(R"plan(
Migration plan: 2 steps, overall grade C (blocks writes)

[C] Post: change type of views from Int to String
    Widening: each Int becomes its decimal text. Every row of Post is rewritten, and writes to Post
    wait until it is done.
    Safer: Expand and contract: add a String field beside views, write both from the application,
           backfill the new one (B), move reads to it, then drop views once nothing uses it.
[A] Post: change default of views from 0 to "0"
    Only inserts use a default: stored rows keep their values.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.
)plan"));
}

TEST(MigrationPlanTest, ImpossibleTypeChangeIsAnError) {
  const std::string before = Edit(kBase, {{"  title    String\n", "  title    String\n  meta     Json?\n"}});
  const std::string after = Edit(kBase, {{"  title    String\n", "  title    String\n  meta     Int?\n"}});
  EXPECT_EQ(PlanText(before, after), Golden(R"plan(
error: schema.prisma:16:3: Post.meta: no conversion from Json to Int keeps its values. Add an Int field under another name, fill it from meta in the application, then drop meta in a later migration.)plan"));
}

TEST(MigrationPlanTest, UuidDefaultOnAStringIdChangesItsStorage) {
  const std::string before = R"(model Doc {
  id   String @id
  body String
}
)";
  const std::string after = Edit(before, {{"id   String @id", "id   String @id @default(uuid())"}});
  EXPECT_EQ(PlanText(before, after), Golden(R"plan(
Migration plan: 2 steps, overall grade D (destroys data)

[D] Doc: change type of id from String to String (a UUID, 16 bytes)
    A String @id with @default(uuid()) is stored as its 16 bytes. Narrowing: a String that is not a
    UUID can't be stored as 16 bytes, and such values are lost. Every row of Doc is rewritten, and
    writes to Doc wait until it is done.
    Safer: Keep it stored as text with a native type: id String @id @default(uuid()) @db.Text.
[A] Doc: set default of id to uuid()
    Only inserts use a default: stored rows keep their values.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, MakeOptionalIsA) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  title    String\n", "  title    String?\n"}})), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Post: make title optional
    Only drops the not-null check: no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, MakeRequiredIsBValidation) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  name  String?\n", "  name  String\n"}})), Golden(R"plan(
Migration plan: 1 step, overall grade B (online, background work)

[B] User: make name required
    New writes must set name from the start; existing rows of User are checked in the background,
    and the step fails if one holds null (fill those first).

Overall grade B (online, background work): `migrate apply` runs the B steps in the background while
reads and writes go on.
)plan"));
}

TEST(MigrationPlanTest, ChangeSetAndRemoveDefaultsAreA) {
  const std::string after = Edit(kBase, {{"views    Int    @default(0)", "views    Int    @default(1)"},
                                         {"  title    String\n", "  title    String @default(\"Untitled\")\n"},
                                         {"status   Status @default(DRAFT)", "status   Status"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 3 steps, overall grade A (online)

[A] Post: set default of title to "Untitled"
    Only inserts use a default: stored rows keep their values.
[A] Post: change default of views from 0 to 1
    Only inserts use a default: stored rows keep their values.
[A] Post: remove default of status (was DRAFT)
    Only inserts use a default: stored rows keep their values.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, AddAndDropUpdatedAtAreA) {
  const std::string before = Edit(kBase, {{"  title    String\n", "  title    String\n  a        DateTime\n"
                                                                   "  b        DateTime @updatedAt\n"}});
  const std::string after = Edit(kBase, {{"  title    String\n", "  title    String\n  a        DateTime @updatedAt\n"
                                                                  "  b        DateTime\n"}});
  EXPECT_EQ(PlanText(before, after), Golden(R"plan(
Migration plan: 2 steps, overall grade A (online)

[A] Post: set @updatedAt on a
    Only later updates set it; stored values stay as they are.
[A] Post: remove @updatedAt from b
    Updates stop setting it; stored values stay as they are.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, NativeTypeChangeIsRecordedOnly) {
  const std::string before = "datasource db {\n  provider = \"postgresql\"\n  url = \"x\"\n}\n\n" +
                             Edit(kBase, {{"  title    String\n", "  title    String @db.VarChar(200)\n"}});
  const std::string after = Edit(before, {{"@db.VarChar(200)", "@db.VarChar(100)"}});
  EXPECT_EQ(PlanText(before, after), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Post: change native type of title from @db.VarChar(200) to @db.VarChar(100)
    Native types are recorded in the catalog, not enforced by storage (only @db.Uuid changes how a
    value is stored, and that is a type change): no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

// ---------------------------------------------------------------------------
// Enums

TEST(MigrationPlanTest, CreateEnumAndUseItInANewFieldIsA) {
  const std::string after = "enum Mood {\n  HAPPY\n  SAD\n}\n\n" +
                            Edit(kBase, {{"  name  String?\n", "  name  String?\n  mood  Mood?\n"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 2 steps, overall grade A (online)

[A] Mood: create enum (HAPPY, SAD)
    New enum: nothing is stored with it yet.
[A] User: add field mood Mood?
    New optional field: existing rows read it as null; nothing is rewritten.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, DropEnumWithItsFieldIsDForTheField) {
  const std::string before = "enum Mood {\n  HAPPY\n  SAD\n}\n\n" +
                             Edit(kBase, {{"  name  String?\n", "  name  String?\n  mood  Mood?\n"}});
  EXPECT_EQ(PlanText(before, kBase), Golden(R"plan(
Migration plan: 2 steps, overall grade D (destroys data)

[D] User: drop field mood Mood?
    Destroys the values of mood in every row of User.
    Safer: Stop reading and writing mood in the application first, and export its values if you may
           need them; drop it in a later migration, once nothing uses it. A drop can't be undone.
[A] Mood: drop enum
    No field of the new schema uses Mood, so only its catalog entry goes; the values of fields that
    used it are handled by their own steps.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, AddEnumValueIsA) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  PUBLISHED\n", "  PUBLISHED\n  ARCHIVED\n"}})), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Status: add value ARCHIVED
    Values are stored by name, so existing rows and their order are untouched.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, DropEnumValueInUseIsD) {
  EXPECT_EQ(PlanText(Edit(kBase, {{"  PUBLISHED\n", "  PUBLISHED\n  ARCHIVED\n"}}), kBase), Golden(R"plan(
Migration plan: 1 step, overall grade D (destroys data)

[D] Status: drop value ARCHIVED
    Rows hold ARCHIVED, and lose that value when it goes.
    Safer: Move those rows to another value first (an updateMany where the field is ARCHIVED), then
           drop it: once no row holds it, the drop is grade A.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, DropEnumValueNoRowHoldsIsA) {
  EXPECT_EQ(PlanText(Edit(kBase, {{"  PUBLISHED\n", "  PUBLISHED\n  ARCHIVED\n"}}), kBase,
                     FakeFacts().Unused("Status", "ARCHIVED")),
            Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Status: drop value ARCHIVED
    No row holds ARCHIVED (as checked when planning; `migrate apply` checks again).

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, RenameEnumValueKeepingItsStoredNameIsCatalogOnly) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  PUBLISHED\n", "  LIVE @map(\"PUBLISHED\")\n"}})), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Status: rename value PUBLISHED to LIVE (stored name "PUBLISHED" unchanged)
    Catalog only: enum values are matched by their stored name (@map, else the name), which is
    unchanged; no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, ChangingAnEnumValuesStoredNameIsDropAndAdd) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  PUBLISHED\n", "  LIVE\n"}})), Golden(R"plan(
Migration plan: 2 steps, overall grade D (destroys data)

[A] Status: add value LIVE
    Values are stored by name, so existing rows and their order are untouched.
[D] Status: drop value PUBLISHED
    Rows hold PUBLISHED, and lose that value when it goes. Values are matched by their stored name
    (@map, else the name), so a rename is a drop and an add.
    Safer: Move those rows to another value first (an updateMany where the field is PUBLISHED), then
           drop it: once no row holds it, the drop is grade A. If LIVE is PUBLISHED renamed, keep
           its stored name: LIVE @map("PUBLISHED").

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, RenameEnumKeepingItsStoredNameIsCatalogOnly) {
  const std::string after = Edit(kBase, {{"enum Status {", "enum PostStatus {"},
                                         {"  PUBLISHED\n}", "  PUBLISHED\n\n  @@map(\"Status\")\n}"},
                                         {"status   Status @default(DRAFT)", "status   PostStatus @default(DRAFT)"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Status: rename enum to PostStatus (stored name "Status" unchanged)
    Catalog only: enums are matched by their stored name (@@map, else the name), which is unchanged.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, MovingAFieldToAnotherEnumWithEveryValueIsA) {
  const std::string after = Edit(kBase, {{"enum Status {", "enum PostStatus {"},
                                         {"  PUBLISHED\n}", "  PUBLISHED\n  ARCHIVED\n}"},
                                         {"status   Status @default(DRAFT)", "status   PostStatus @default(DRAFT)"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 3 steps, overall grade A (online)

[A] PostStatus: create enum (DRAFT, PUBLISHED, ARCHIVED)
    New enum: nothing is stored with it yet.
[A] Post: change type of status from enum Status to enum PostStatus
    Enum values are stored by name, and every value of Status is one of PostStatus: no row changes.
[A] Status: drop enum
    No field of the new schema uses Status, so only its catalog entry goes; the values of fields
    that used it are handled by their own steps.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, MovingAFieldToAnEnumLackingAHeldValueIsD) {
  const std::string after = Edit(kBase, {{"enum Status {", "enum PostStatus {"},
                                         {"  PUBLISHED\n}", "  LIVE\n}"},
                                         {"status   Status @default(DRAFT)", "status   PostStatus @default(DRAFT)"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 3 steps, overall grade D (destroys data)

[A] PostStatus: create enum (DRAFT, LIVE)
    New enum: nothing is stored with it yet.
[D] Post: change type of status from enum Status to enum PostStatus
    Rows hold PUBLISHED, which PostStatus lacks: they lose that value.
    Safer: Move those rows to a value both enums have first, or add PUBLISHED to PostStatus; then no
           row loses its value and the change is grade A.
[A] Status: drop enum
    No field of the new schema uses Status, so only its catalog entry goes; the values of fields
    that used it are handled by their own steps.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

// ---------------------------------------------------------------------------
// Keys and indexes

TEST(MigrationPlanTest, AddUniqueIsBBuild) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  title    String\n", "  title    String @unique\n"}})), Golden(R"plan(
Migration plan: 1 step, overall grade B (online, background work)

[B] Post: build unique index (title)
    Built in the background from the existing rows of Post while reads and writes go on; the step
    fails if two rows share a value of (title).

Overall grade B (online, background work): `migrate apply` runs the B steps in the background while
reads and writes go on.
)plan"));
}

TEST(MigrationPlanTest, DropUniqueIsA) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"email String  @unique", "email String"}})), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] User: drop unique index (email)
    Only removes the index and its uniqueness check; no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, AddIndexIsBBuild) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  @@index([authorId])\n", "  @@index([authorId])\n"
                                                                     "  @@index([status, views(sort: Desc)])\n"}})),
            Golden(R"plan(
Migration plan: 1 step, overall grade B (online, background work)

[B] Post: build index (status, views desc)
    Built in the background from the existing rows of Post while reads and writes go on; queries use
    it once it is complete.

Overall grade B (online, background work): `migrate apply` runs the B steps in the background while
reads and writes go on.
)plan"));
}

TEST(MigrationPlanTest, DropIndexIsA) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"\n  @@index([authorId])\n", ""}})), Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Post: drop index (authorId)
    Only removes the index; no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, RenameIndexIsCatalogOnly) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"@@index([authorId])", "@@index([authorId], map: \"post_author_idx\")"}})),
            Golden(R"plan(
Migration plan: 1 step, overall grade A (online)

[A] Post: rename index (authorId): map none -> "post_author_idx"
    Catalog only: no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, ChangePrimaryKeyIsCAndMovesTheRowsStoredUnderIt) {
  const std::string before = Edit(kBase, {{"  authorId Int\n", "  authorId Int\n  comments Comment[]\n"}}) + R"(
model Comment {
  id     Int    @id
  body   String
  post   Post   @relation(fields: [postId], references: [id])
  postId Int
}
)";
  const std::string after = Edit(before, {{"model User {\n  id    Int     @id @default(autoincrement())\n",
                                           "model User {\n  id    Int     @unique @default(autoincrement())\n"},
                                          {"email String  @unique", "email String  @id"}});
  EXPECT_EQ(PlanText(before, after), Golden(R"plan(
Migration plan: 4 steps, overall grade C (blocks writes)

[A] User: drop unique index (email)
    Only removes the index and its uniqueness check; no row changes.
[C] User: change primary key from (id) to (email)
    Every row of User is re-keyed and rewritten, with its index entries, and writes to User wait
    until it is done.
    Safer: Keep the primary key: (email) already has a unique index, so lookups by it are as fast,
           and no row is rewritten.
[B] User: build unique index (id)
    Built in the background from the existing rows of User while reads and writes go on; the step
    fails if two rows share a value of (id).
[C] Post: move to its own key range (was: under User)
    Every row of Post, with the rows stored under it (Comment), is rewritten into its new place, and
    writes to Post wait until it is done. New layout: not clustered: no required many-to-one
    relation to a parent's primary key.
    Safer: Run it when writes to Post can wait, or expand and contract: copy the rows in the
           background into a new model with the layout you want and move the application over to it.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.
)plan"));
}

// ---------------------------------------------------------------------------
// Relations

TEST(MigrationPlanTest, AddRequiredForeignKeyOnExistingFieldsIsBValidation) {
  const std::string before = Edit(kBase, {{"  author   User   @relation(fields: [authorId], references: [id])\n", ""},
                                          {"  posts Post[]\n", ""}});
  EXPECT_EQ(PlanText(before, kBase), Golden(R"plan(
Migration plan: 2 steps, overall grade C (blocks writes)

[B] Post: add foreign key (authorId) -> User(id)
    New writes are checked from the start; existing rows of Post are validated against User in the
    background, and the step fails if one references a missing row.
[C] Post: re-cluster under User (was: its own key range)
    Every row of Post is rewritten into its new place, and writes to Post wait until it is done. New
    layout: stored under its User (author -> User): its only required many-to-one relation to a
    parent's primary key.
    Safer: Run it when writes to Post can wait, or expand and contract: copy the rows in the
           background into a new model with the layout you want and move the application over to it.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.
)plan"));
}

// kBase with an optional second relation from Post to User.
const std::string kEdited =
    Edit(kBase, {{"  posts Post[]\n", "  posts Post[]\n  edited Post[] @relation(\"Editor\")\n"},
                 {"  authorId Int\n", "  authorId Int\n"
                                     "  editor   User?  @relation(\"Editor\", fields: [editorId], references: [id])\n"
                                     "  editorId Int?\n"}});

TEST(MigrationPlanTest, AddOptionalRelationWithNewFieldsIsA) {
  EXPECT_EQ(PlanText(kBase, kEdited), Golden(R"plan(
Migration plan: 2 steps, overall grade A (online)

[A] Post: add field editorId Int?
    New optional field: existing rows read it as null; nothing is rewritten.
[A] Post: add foreign key (editorId) -> User(id)
    Its fields are new and hold null in every existing row: nothing to validate.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, DropRelationDropsItsForeignKeyThenItsField) {
  EXPECT_EQ(PlanText(kEdited, kBase), Golden(R"plan(
Migration plan: 2 steps, overall grade D (destroys data)

[A] Post: drop foreign key (editorId) -> User(id)
    Only removes the check; no row changes.
[D] Post: drop field editorId Int?
    Destroys the values of editorId in every row of Post.
    Safer: Stop reading and writing editorId in the application first, and export its values if you
           may need them; drop it in a later migration, once nothing uses it. A drop can't be
           undone.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, ChangeReferentialActionsIsA) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"@relation(fields: [authorId], references: [id])",
                                          "@relation(fields: [authorId], references: [id], onDelete: Cascade, "
                                          "map: \"post_author_fk\")"}})),
            Golden(R"plan(
Migration plan: 2 steps, overall grade A (online)

[A] Post: rename foreign key (authorId) -> User(id): map none -> "post_author_fk"
    Catalog only: no row changes.
[A] Post: change foreign key (authorId) -> User(id): onDelete Restrict -> Cascade
    Only changes what deleting or updating a User does from now on; no row changes.

Overall grade A (online): `migrate apply` runs every step at once.
)plan"));
}

TEST(MigrationPlanTest, RenameRelationFieldIsNoChange) {
  const std::string after = Edit(kBase, {{"  author   User   @relation", "  writer   User   @relation"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: no changes (the schema file matches the stored schema).
)plan"));
}

// ---------------------------------------------------------------------------
// Clustering

TEST(MigrationPlanTest, ExplicitReclusterIsC) {
  const std::string before = Edit(kBase, {{"  authorId Int\n", "  authorId Int\n  comments Comment[]\n"},
                                          {"  posts Post[]\n", "  posts Post[]\n  comments Comment[]\n"}}) +
                             R"(
model Comment {
  id       Int    @id
  post     Post   @relation(fields: [postId], references: [id])
  postId   Int
  author   User   @relation(fields: [authorId], references: [id])
  authorId Int

  @@cluster(post)
}
)";
  EXPECT_EQ(PlanText(before, Edit(before, {{"@@cluster(post)", "@@cluster(author)"}})), Golden(R"plan(
Migration plan: 1 step, overall grade C (blocks writes)

[C] Comment: re-cluster under User (was: under Post)
    Every row of Comment is rewritten into its new place, and writes to Comment wait until it is
    done. New layout: stored under its User (relation field author), as @@cluster(author) asks.
    Safer: Run it when writes to Comment can wait, or expand and contract: copy the rows in the
           background into a new model with the layout you want and move the application over to it.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.
)plan"));
}

TEST(MigrationPlanTest, DefaultClusteringChangeIsCWithClusterAsTheSaferWay) {
  // A second required parent makes the default rule give up on User.
  const std::string after =
      Edit(kBase, {{"  authorId Int\n", "  authorId Int\n"
                                       "  blog     Blog   @relation(fields: [blogId], references: [id])\n"
                                       "  blogId   Int @default(1)\n"}}) +
      "\nmodel Blog {\n  id    Int    @id\n  posts Post[]\n}\n";
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 4 steps, overall grade C (blocks writes)

[A] Blog: create model
    New model: nothing to rewrite or check.
[A] Post: add field blogId Int @default(1)
    Existing rows read the default 1 without being rewritten.
[B] Post: add foreign key (blogId) -> Blog(id)
    New writes are checked from the start; existing rows of Post are validated against Blog in the
    background, and the step fails if one references a missing row.
[C] Post: move to its own key range (was: under User)
    Every row of Post is rewritten into its new place, and writes to Post wait until it is done. New
    layout: not clustered: several required parents (author -> User, blog -> Blog); choose one with
    @@cluster(field).
    Safer: Keep the current layout: add @@cluster(author) to Post, so the default rule no longer
           decides.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.

Notes:
  - Blog: not clustered: no required many-to-one relation to a parent's primary key
)plan"));
}

TEST(MigrationPlanTest, PinningTheDefaultLayoutMovesNothing) {
  EXPECT_EQ(PlanText(kBase, Edit(kBase, {{"  @@index([authorId])\n", "  @@index([authorId])\n  @@cluster(author)\n"}})),
            Golden(R"plan(
Migration plan: no changes (the schema file matches the stored schema).

Notes:
  - Post: @@cluster now pins the layout it had by default (under User); nothing moves.
)plan"));
}

TEST(MigrationPlanTest, MakingTheOnlyParentOptionalMovesRowsToTheirOwnRange) {
  const std::string after = Edit(kBase, {{"author   User   @relation", "author   User?  @relation"},
                                         {"  authorId Int\n", "  authorId Int?\n"}});
  EXPECT_EQ(PlanText(kBase, after), Golden(R"plan(
Migration plan: 3 steps, overall grade C (blocks writes)

[A] Post: make authorId optional
    Only drops the not-null check: no row changes.
[A] Post: change foreign key (authorId) -> User(id): onDelete Restrict -> SetNull (the default for
    an optional relation)
    Only changes what deleting or updating a User does from now on; no row changes.
[C] Post: move to its own key range (was: under User)
    Every row of Post is rewritten into its new place, and writes to Post wait until it is done. New
    layout: not clustered: no required many-to-one relation to a parent's primary key.
    Safer: Run it when writes to Post can wait, or expand and contract: copy the rows in the
           background into a new model with the layout you want and move the application over to it.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.
)plan"));
}

// ---------------------------------------------------------------------------
// Implicit many-to-many

const std::string kTagged = Edit(kBase, {{"  authorId Int\n", "  authorId Int\n  tags     Tag[]\n"}}) +
                            "\nmodel Tag {\n  id    Int    @id\n  posts Post[]\n}\n";

TEST(MigrationPlanTest, AddManyToManyCreatesItsJoinModel) {
  EXPECT_EQ(PlanText(kBase, kTagged), Golden(R"plan(
Migration plan: 2 steps, overall grade A (online)

[A] Tag: create model
    New model: nothing to rewrite or check.
[A] _PostToTag: create the join model of Post.tags <-> Tag.posts
    New many-to-many relation: its join model starts empty.

Overall grade A (online): `migrate apply` runs every step at once.

Notes:
  - Tag: not clustered: no required many-to-one relation to a parent's primary key
)plan"));
}

TEST(MigrationPlanTest, NamingAManyToManyRelationReplacesItsJoinModel) {
  const std::string after = Edit(kTagged, {{"  tags     Tag[]\n", "  tags     Tag[] @relation(\"Tagging\")\n"},
                                           {"  id    Int    @id\n  posts Post[]\n}",
                                            "  id    Int    @id\n  posts Post[] @relation(\"Tagging\")\n}"}});
  EXPECT_EQ(PlanText(kTagged, after), Golden(R"plan(
Migration plan: 2 steps, overall grade D (destroys data)

[A] _Tagging: create the join model of Post.tags <-> Tag.posts
    New many-to-many relation: its join model starts empty.
[D] _PostToTag: drop the join model of Post.tags <-> Tag.posts
    Destroys the links between Post and Tag rows. A join model is named after its relation, so the
    relation "Tagging" gets a new, empty one (_Tagging).
    Safer: Keep the links: name the relation as before, @relation("PostToTag") on both of its
           fields.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, RenamingASideModelRenamesTheDefaultJoinModel) {
  const std::string after = Edit(kTagged, {{"  tags     Tag[]\n", "  tags     Label[]\n"},
                                           {"model Tag {", "model Label {"},
                                           {"  id    Int    @id\n  posts Post[]\n}",
                                            "  id    Int    @id\n  posts Post[]\n\n  @@map(\"Tag\")\n}"}});
  EXPECT_EQ(PlanText(kTagged, after), Golden(R"plan(
Migration plan: 3 steps, overall grade D (destroys data)

[A] Tag: rename model to Label (stored name "Tag" unchanged)
    Catalog only: models are matched by their stored name (@@map, else the name), which is
    unchanged; no row changes.
[A] _LabelToPost: create the join model of Label.posts <-> Post.tags
    New many-to-many relation: its join model starts empty.
[D] _PostToTag: drop the join model of Post.tags <-> Tag.posts
    Destroys the links between Post and Tag rows. A join model is named after its relation, so the
    relation "LabelToPost" gets a new, empty one (_LabelToPost).
    Safer: Keep the links: name the relation as before, @relation("PostToTag") on both of its
           fields.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.
)plan"));
}

TEST(MigrationPlanTest, AJoinModelTakingADroppedOnesNameComesAfterTheDrop) {
  const std::string before = Edit(kTagged, {{"  tags     Tag[]\n", "  tags     Tag[] @relation(\"Tagging\")\n"},
                                            {"  id    Int    @id\n  posts Post[]\n}",
                                             "  id    Int    @id\n  posts Post[] @relation(\"Tagging\")\n}"}});
  // The same relation name, now between Post and Label: "_Tagging" joins other models.
  const std::string after = Edit(kTagged, {{"  tags     Tag[]\n", "  tags     Label[] @relation(\"Tagging\")\n"},
                                           {"  id    Int    @id\n  posts Post[]\n}", "  id    Int    @id\n}"}}) +
                            "\nmodel Label {\n  id    Int    @id\n  posts Post[] @relation(\"Tagging\")\n}\n";
  EXPECT_EQ(PlanText(before, after), Golden(R"plan(
Migration plan: 3 steps, overall grade D (destroys data)

[D] _Tagging: drop the join model of Post.tags <-> Tag.posts
    Destroys the links between Post and Tag rows.
    Safer: Stop using the relation in the application first, and export its links if you may need
           them. A drop can't be undone.
[A] Label: create model
    New model: nothing to rewrite or check.
[A] _Tagging: create the join model of Label.posts <-> Post.tags
    New many-to-many relation: its join model starts empty.

Overall grade D (destroys data): `migrate apply` refuses it unless given --allow-destructive.

Notes:
  - Label: not clustered: no required many-to-one relation to a parent's primary key
)plan"));
}

TEST(MigrationPlanTest, ChangingASideIdTypeRewritesTheJoinModel) {
  EXPECT_EQ(PlanText(kTagged, Edit(kTagged, {{"  id    Int    @id\n  posts", "  id    BigInt @id\n  posts"}})),
            Golden(R"plan(
Migration plan: 2 steps, overall grade C (blocks writes)

[C] Tag: change type of id from Int to BigInt
    Widening: every Int fits in a BigInt. Every row of Tag is rewritten, and writes to Tag wait
    until it is done.
    Safer: Expand and contract: add a BigInt field beside id, write both from the application,
           backfill the new one (B), move reads to it, then drop id once nothing uses it.
[C] _PostToTag: change type of B from Int to BigInt
    The join model's key follows the id of Tag. Widening: every Int fits in a BigInt. Every row of
    _PostToTag is rewritten, and writes to _PostToTag wait until it is done.
    Safer: Keep the type of Tag's id: changing it rewrites the links of its many-to-many relations
           too.

Overall grade C (blocks writes): `migrate apply` runs the C steps with writes to their model
waiting.
)plan"));
}

// ---------------------------------------------------------------------------
// Whole plans

TEST(MigrationPlanTest, FirstMigrationOfTheBlogIsAllAWithClusteringNotes) {
  const Schema blog = Load(ReadCorpus("blog.prisma"));
  auto plan = PlanMigration(nullptr, blog, AssumeData());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->overall, Grade::kA);
  const std::string text = FormatPlan(*plan);
  if (std::getenv("MIGRATION_PLAN_DUMP") != nullptr) std::printf("=== Blog\n%s=== end\n", text.c_str());
  EXPECT_EQ(text, Golden(R"plan(
Migration plan: 14 steps, overall grade A (online)

[A] Role: create enum (READER, AUTHOR, ADMIN) (stored as "user_role")
    New enum: nothing is stored with it yet.
[A] User: create model (stored as "users")
    New model: nothing to rewrite or check.
[A] Profile: create model
    New model: nothing to rewrite or check.
[A] Post: create model
    New model: nothing to rewrite or check.
[A] Category: create model
    New model: nothing to rewrite or check.
[A] Tag: create model
    New model: nothing to rewrite or check.
[A] Comment: create model
    New model: nothing to rewrite or check.
[A] _PostToTag: create the join model of Post.tags <-> Tag.posts
    New many-to-many relation: its join model starts empty.
[A] Profile: add foreign key (userId) -> User(id)
    Profile is new: it has no rows to validate.
[A] Post: add foreign key (authorId) -> User(id)
    Post is new: it has no rows to validate.
[A] Comment: add foreign key (authorId) -> User(id)
    Comment is new: it has no rows to validate.
[A] Post: add foreign key (categoryId) -> Category(id)
    Post is new: it has no rows to validate.
[A] Comment: add foreign key (postId) -> Post(id)
    Comment is new: it has no rows to validate.
[A] Comment: add foreign key (parentId) -> Comment(id)
    Comment is new: it has no rows to validate.

Overall grade A (online): `migrate apply` runs every step at once.

Notes:
  - User: not clustered: no required many-to-one relation to a parent's primary key
  - Profile: not clustered: no required many-to-one relation to a parent's primary key
  - Post: stored under its User (author -> User): its only required many-to-one relation to a
    parent's primary key
  - Category: not clustered: no required many-to-one relation to a parent's primary key
  - Tag: not clustered: no required many-to-one relation to a parent's primary key
  - Comment: stored under its Post (relation field post), as @@cluster(post) asks
)plan"));
}

TEST(MigrationPlanTest, CorpusSchemasHaveNoStepsAgainstThemselves) {
  for (const char* name : {"blog.prisma", "shop.prisma", "saas.prisma"}) {
    const Schema s = Load(ReadCorpus(name));
    auto plan = PlanMigration(&s, s, AssumeData());
    ASSERT_TRUE(plan.ok()) << name << ": " << plan.status().ToString();
    EXPECT_TRUE(plan->steps.empty()) << name << ":\n" << FormatPlan(*plan);
  }
}

TEST(MigrationPlanTest, FirstMigrationOfEveryCorpusSchemaIsA) {
  for (const char* name : {"blog.prisma", "shop.prisma", "saas.prisma"}) {
    const Schema s = Load(ReadCorpus(name));
    auto plan = PlanMigration(nullptr, s, AssumeData());
    ASSERT_TRUE(plan.ok()) << name << ": " << plan.status().ToString();
    EXPECT_EQ(plan->overall, Grade::kA) << name << ":\n" << FormatPlan(*plan);
    size_t declared = 0;
    for (const Model& m : s.models) declared += m.join_of ? 0 : 1;
    EXPECT_EQ(plan->notes.size(), declared) << name << ": a clustering note per declared model";
  }
}

// Unrelated schemas exercise every path at once: each plan is either a plan
// or an InvalidArgument, and the same inputs give the same text.
TEST(MigrationPlanTest, PlansBetweenCorpusSchemasAreDeterministic) {
  const char* names[] = {"blog.prisma", "shop.prisma", "saas.prisma"};
  for (const char* from : names) {
    for (const char* to : names) {
      const Schema o = Load(ReadCorpus(from));
      const Schema n = Load(ReadCorpus(to));
      auto first = PlanMigration(&o, n, AssumeData());
      auto second = PlanMigration(&o, n, FakeFacts());
      ASSERT_EQ(first.ok(), second.ok()) << from << " -> " << to;
      if (!first.ok()) {
        EXPECT_TRUE(first.status().IsInvalidArgument()) << first.status().ToString();
        EXPECT_EQ(first.status().message(), second.status().message());
        continue;
      }
      EXPECT_EQ(FormatPlan(*first), FormatPlan(*second)) << from << " -> " << to;
      for (const MigrationStep& s : first->steps) EXPECT_LE(s.grade, first->overall) << s.description;
    }
  }
}

TEST(MigrationPlanTest, EveryProblemIsReportedOnItsOwnLine) {
  const std::string before = Edit(kBase, {{"  title    String\n", "  title    String\n  meta     Json?\n"}});
  const std::string after =
      Edit(kBase, {{"  title    String\n", "  title    String\n  meta     Int?\n  rating   Int\n"}});
  auto plan = Plan(before, after);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.status().IsInvalidArgument());
  EXPECT_EQ(plan.status().message(), Golden(R"plan(
schema.prisma:16:3: Post.meta: no conversion from Json to Int keeps its values. Add an Int field under another name, fill it from meta in the application, then drop meta in a later migration.
schema.prisma:17:3: Post.rating is required and has no default, but Post has rows, which would have no value: give it a @default(...), make it optional (rating Int?), or add it optional, fill it, and make it required in a later migration.)plan"));
}

// ---------------------------------------------------------------------------
// Order and identity of steps

std::vector<StepKind> Kinds(const MigrationPlan& plan) {
  std::vector<StepKind> kinds;
  for (const MigrationStep& s : plan.steps) kinds.push_back(s.kind);
  return kinds;
}

TEST(MigrationPlanTest, StepsComeOutInAnExecutableOrder) {
  const std::string before = Edit(kBase, {{"  authorId Int\n", "  authorId Int\n  comments Comment[]\n"}}) + R"(
model Comment {
  id     Int    @id
  body   String
  post   Post   @relation(fields: [postId], references: [id])
  postId Int

  @@index([postId])
}
)";
  const std::string after = "enum Mood {\n  HAPPY\n}\n\n" +
                            Edit(kBase, {{"  name  String?\n", "  name  String?\n  mood  Mood?\n"},
                                         {"  views    Int    @default(0)\n", ""},
                                         {"  @@index([authorId])\n", "  @@index([authorId])\n  @@index([title])\n"},
                                         {"  authorId Int\n",
                                          "  authorId Int\n"
                                          "  blog     Blog   @relation(fields: [blogId], references: [id])\n"
                                          "  blogId   Int @default(1)\n\n  @@cluster(author)\n"}}) +
                            "\nmodel Blog {\n  id    Int    @id\n  posts Post[]\n}\n";
  auto plan = Plan(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(Kinds(*plan), (std::vector<StepKind>{
                              StepKind::kCreateEnum,      // before the field that uses it
                              StepKind::kCreateModel,     // Blog, before the foreign key to it
                              StepKind::kAddField,        // User.mood
                              StepKind::kAddField,        // Post.blogId
                              StepKind::kAddIndex,        // Post(title)
                              StepKind::kAddForeignKey,   // Post.blogId -> Blog
                              StepKind::kDropModel,       // Comment, with its index and foreign key
                              StepKind::kDropField,       // Post.views, last
                          }))
      << FormatPlan(*plan);
  EXPECT_EQ(plan->overall, Grade::kD);
}

TEST(MigrationPlanTest, ModelsStoredUnderOthersAreDroppedFirst) {
  const std::string before = Edit(kBase, {{"  authorId Int\n", "  authorId Int\n  comments Comment[]\n"}}) + R"(
model Comment {
  id     Int  @id
  post   Post @relation(fields: [postId], references: [id])
  postId Int
}
)";
  const std::string after = R"(model User {
  id    Int     @id @default(autoincrement())
  email String  @unique
  name  String?
}
)";
  auto plan = Plan(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->steps.size(), 3u) << FormatPlan(*plan);
  EXPECT_EQ(plan->steps[0].description, "Comment: drop model");
  EXPECT_EQ(plan->steps[1].description, "Post: drop model");
  EXPECT_EQ(plan->steps[2].description, "Status: drop enum");
}

TEST(MigrationPlanTest, StepsNameWhatTheyChangeByDatabaseName) {
  const std::string before = R"(model User {
  id   Int     @id
  name String? @map("full_name")

  @@map("users")
}
)";
  const std::string after = R"(model Person {
  id    Int     @id
  name  String  @map("full_name")
  email String? @map("email_address")

  @@index([email], map: "users_email_idx")
  @@map("users")
}
)";
  auto plan = Plan(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->steps.size(), 4u) << FormatPlan(*plan);
  const MigrationStep& rename = plan->steps[0];
  EXPECT_EQ(rename.kind, StepKind::kRenameModel);
  EXPECT_EQ(rename.model, "users");
  EXPECT_EQ(rename.target, "Person");
  const MigrationStep& add = plan->steps[1];
  EXPECT_EQ(add.kind, StepKind::kAddField);
  EXPECT_EQ(add.model, "users");
  EXPECT_EQ(add.field, "email_address");
  const MigrationStep& required = plan->steps[2];
  EXPECT_EQ(required.kind, StepKind::kMakeRequired);
  EXPECT_EQ(required.grade, Grade::kB);
  EXPECT_EQ(required.field, "full_name");
  const MigrationStep& index = plan->steps[3];
  EXPECT_EQ(index.kind, StepKind::kAddIndex);
  EXPECT_EQ(index.target, "(email_address)");
  EXPECT_EQ(index.description, "Person: build index (email) \"users_email_idx\"");
  EXPECT_EQ(plan->overall, Grade::kB);
  EXPECT_TRUE(plan->notes.empty());
}

TEST(MigrationPlanTest, OnlyCAndDStepsCarryASaferAlternative) {
  const std::string after = Edit(kTagged, {{"views    Int    @default(0)", "views    BigInt"},
                                           {"  name  String?\n", "  name  String\n  bio   String?\n"},
                                           {"  tags     Tag[]\n", ""},
                                           {"  id    Int    @id\n  posts Post[]\n}", "  id    Int    @id\n}"}});
  auto plan = Plan(kTagged, after);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::set<Grade> grades;
  for (const MigrationStep& s : plan->steps) {
    grades.insert(s.grade);
    EXPECT_EQ(s.safer_alternative.empty(), s.grade == Grade::kA || s.grade == Grade::kB) << s.description;
    EXPECT_FALSE(s.reason.empty()) << s.description;
  }
  EXPECT_EQ(grades, (std::set<Grade>{Grade::kA, Grade::kB, Grade::kC, Grade::kD})) << FormatPlan(*plan);
  EXPECT_EQ(plan->overall, Grade::kD);
}

// ---------------------------------------------------------------------------
// Names and the conversion table

TEST(MigrationPlanTest, GradeAndStepKindNamesAreDistinct) {
  std::set<std::string_view> grades;
  for (Grade g : {Grade::kA, Grade::kB, Grade::kC, Grade::kD}) grades.insert(GradeName(g));
  EXPECT_EQ(grades.size(), 4u);
  std::set<std::string_view> kinds;
  const int count = static_cast<int>(StepKind::kRecluster) + 1;
  for (int k = 0; k < count; ++k) {
    const std::string_view name = StepKindName(static_cast<StepKind>(k));
    EXPECT_NE(name, "?");
    kinds.insert(name);
  }
  EXPECT_EQ(kinds.size(), static_cast<size_t>(count));
}

TEST(TypeConversionTest, WideningAndNarrowingPairs) {
  using K = StoredKind;
  EXPECT_EQ(ClassifyConversion(K::kInt, K::kInt).conversion, Conversion::kSame);
  for (auto [from, to] : {std::pair{K::kInt, K::kBigInt}, {K::kInt, K::kFloat}, {K::kInt, K::kDecimal},
                          {K::kBigInt, K::kDecimal}, {K::kDateTime, K::kString}, {K::kUuid, K::kString},
                          {K::kEnum, K::kString}, {K::kJson, K::kString}, {K::kString, K::kBytes}}) {
    EXPECT_EQ(ClassifyConversion(from, to).conversion, Conversion::kWidening)
        << StoredKindName(from) << " -> " << StoredKindName(to);
  }
  for (auto [from, to] : {std::pair{K::kBigInt, K::kInt}, {K::kBigInt, K::kFloat}, {K::kFloat, K::kDecimal},
                          {K::kDecimal, K::kFloat}, {K::kString, K::kUuid}, {K::kString, K::kJson},
                          {K::kBytes, K::kString}}) {
    EXPECT_EQ(ClassifyConversion(from, to).conversion, Conversion::kNarrowing)
        << StoredKindName(from) << " -> " << StoredKindName(to);
  }
  for (auto [from, to] : {std::pair{K::kJson, K::kInt}, {K::kBoolean, K::kInt}, {K::kDateTime, K::kBigInt},
                          {K::kBytes, K::kUuid}, {K::kEnum, K::kInt}}) {
    EXPECT_EQ(ClassifyConversion(from, to).conversion, Conversion::kImpossible)
        << StoredKindName(from) << " -> " << StoredKindName(to);
  }
}

// A widening is exact, so it can't be widening both ways; and every
// conversion that is not impossible says why.
TEST(TypeConversionTest, NoPairWidensBothWaysAndEveryRuleHasAReason) {
  constexpr int kKinds = static_cast<int>(StoredKind::kEnum) + 1;
  for (int a = 0; a < kKinds; ++a) {
    for (int b = 0; b < kKinds; ++b) {
      if (a == b) continue;
      const auto from = static_cast<StoredKind>(a);
      const auto to = static_cast<StoredKind>(b);
      const ConversionRule there = ClassifyConversion(from, to);
      const ConversionRule back = ClassifyConversion(to, from);
      EXPECT_FALSE(there.conversion == Conversion::kWidening && back.conversion == Conversion::kWidening)
          << StoredKindName(from) << " <-> " << StoredKindName(to);
      EXPECT_EQ(there.why.empty(), there.conversion == Conversion::kImpossible)
          << StoredKindName(from) << " -> " << StoredKindName(to);
    }
  }
}

}  // namespace
}  // namespace ormdb::schema
