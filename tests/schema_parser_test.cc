// The schema language (schema/): the corpus schemas under
// tests/data/schemas/ resolve to the expected models, keys, relations and
// clustering; the canonical text reads back to itself; and every error names
// file:line:column and what is wrong, exactly.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "schema/lexer.h"
#include "schema/literal.h"
#include "schema/parser.h"
#include "schema/print.h"
#include "schema/resolve.h"

namespace ormdb::schema {
namespace {

std::string ReadCorpus(const std::string& name) {
  std::ifstream f(std::string(SCHEMA_CORPUS_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Accessors that stop the test binary on a missing name: every later check
// would only repeat the failure.
[[noreturn]] void Missing(const std::string& what) {
  std::fprintf(stderr, "missing %s\n", what.c_str());
  std::abort();
}

const Model& GetModel(const Schema& s, std::string_view name) {
  const Model* m = s.FindModel(name);
  if (m == nullptr) Missing("model " + std::string(name));
  return *m;
}

const Field& GetField(const Model& m, std::string_view name) {
  const Field* f = m.FindField(name);
  if (f == nullptr) Missing("field " + m.name + "." + std::string(name));
  return *f;
}

const Relation& RelationOf(const Schema& s, std::string_view model, std::string_view field) {
  const Field& f = GetField(GetModel(s, model), field);
  if (!f.is_relation()) Missing("relation field " + std::string(model) + "." + std::string(field));
  return s.relation(f.relation);
}

std::vector<std::string> Names(const Model& m, const std::vector<KeyPart>& parts) {
  std::vector<std::string> out;
  for (const KeyPart& p : parts) out.push_back(m.field(p.field).name + (p.sort == SortOrder::kDesc ? " desc" : ""));
  return out;
}

std::vector<std::string> Names(const Model& m, const std::vector<FieldIndex>& fields) {
  std::vector<std::string> out;
  for (FieldIndex f : fields) out.push_back(m.field(f).name);
  return out;
}

// The model a model's rows are stored under, "" when none.
std::string ClusterParent(const Schema& s, std::string_view model) {
  const Clustering& c = GetModel(s, model).clustering;
  return c.relation ? s.model(s.relation(*c.relation).to.model).name : "";
}

Schema Load(const std::string& text, std::string_view file = "schema.prisma") {
  auto r = LoadSchema(text, file);
  if (!r.ok()) Missing("a schema; got " + r.status().ToString());
  return std::move(r).value();
}

Schema LoadCorpus(const std::string& name) { return Load(ReadCorpus(name), name); }

// The error message of a schema expected to fail.
std::string ErrorOf(const std::string& text, StatusCode code = StatusCode::kInvalidArgument) {
  auto r = LoadSchema(text, "schema.prisma");
  if (r.ok()) return "(no error)";
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  return r.status().message();
}

// ---------------------------------------------------------------------------
// The corpus

TEST(SchemaCorpusTest, BlogModelsFieldsAndMaps) {
  Schema s = LoadCorpus("blog.prisma");
  ASSERT_TRUE(s.datasource.has_value());
  EXPECT_EQ(s.datasource->name, "db");
  EXPECT_EQ(s.datasource->provider, "postgresql");
  // Six declared models, then the hidden join model of Post.tags <-> Tag.posts.
  ASSERT_EQ(s.models.size(), 7u);
  const std::vector<std::string> order = {"User", "Profile", "Post", "Category", "Tag", "Comment", "_PostToTag"};
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(s.models[i].name, order[i]);
    EXPECT_EQ(s.models[i].index, ModelIndex(i));
  }

  const Model& user = GetModel(s, "User");
  EXPECT_EQ(user.db_name, "users");
  EXPECT_EQ(user.doc, " A person with an account.");
  ASSERT_EQ(user.fields.size(), 9u);
  for (size_t i = 0; i < user.fields.size(); ++i) EXPECT_EQ(user.fields[i].index, FieldIndex(i));
  const Field& id = GetField(user, "id");
  EXPECT_TRUE(id.id);
  EXPECT_EQ(id.scalar, ScalarType::kInt);
  EXPECT_EQ(id.default_value.kind, DefaultKind::kAutoincrement);
  EXPECT_FALSE(id.uuid_bytes);
  EXPECT_EQ(Names(user, user.primary_key.parts), std::vector<std::string>{"id"});
  EXPECT_EQ(user.primary_key.source, PrimaryKey::Source::kFieldId);
  EXPECT_TRUE(GetField(user, "email").unique);
  ASSERT_EQ(user.uniques.size(), 1u);
  EXPECT_TRUE(user.uniques[0].field_level);
  EXPECT_TRUE(GetField(user, "name").optional);
  const Field& role = GetField(user, "role");
  EXPECT_EQ(role.kind, FieldKind::kEnum);
  EXPECT_EQ(s.enum_type(role.enum_type).name, "Role");
  EXPECT_EQ(std::get<std::string>(role.default_value.constant), "READER");
  EXPECT_EQ(GetField(user, "createdAt").db_name, "created_at");
  EXPECT_EQ(GetField(user, "createdAt").default_value.kind, DefaultKind::kNow);
  EXPECT_TRUE(GetField(user, "updatedAt").updated_at);
  EXPECT_TRUE(GetField(user, "posts").list);

  ASSERT_EQ(s.enums.size(), 1u);
  const Enum& r = s.enums[0];
  EXPECT_EQ(r.db_name, "user_role");
  EXPECT_EQ(r.doc, " What a user may do.");
  ASSERT_EQ(r.values.size(), 3u);
  EXPECT_EQ(r.values[2].name, "ADMIN");
  EXPECT_EQ(r.values[2].db_name, "administrator");

  const Model& post = GetModel(s, "Post");
  ASSERT_TRUE(GetField(post, "title").native_type.has_value());
  EXPECT_EQ(GetField(post, "title").native_type->name, "VarChar");
  EXPECT_EQ(GetField(post, "title").native_type->args, std::vector<std::string>{"200"});
  EXPECT_EQ(std::get<int64_t>(GetField(post, "views").default_value.constant), 0);
  EXPECT_EQ(std::get<bool>(GetField(post, "published").default_value.constant), false);
  EXPECT_EQ(GetField(post, "author").doc, " Who wrote it.");
  ASSERT_EQ(post.indexes.size(), 2u);
  EXPECT_EQ(Names(post, post.indexes[0].parts), (std::vector<std::string>{"authorId", "publishedAt desc"}));
  EXPECT_EQ(post.indexes[1].map, "post_category_idx");
}

TEST(SchemaCorpusTest, BlogRelations) {
  Schema s = LoadCorpus("blog.prisma");
  // Positions follow the first field of each relation in declaration order.
  std::vector<std::string> names;
  for (const Relation& r : s.relations) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"ProfileToUser", "PostToUser", "CommentToUser", "CategoryToPost",
                                             "PostToTag", "CommentToPost", "Replies", "_PostToTag_A",
                                             "_PostToTag_B"}));

  const Relation& profile = RelationOf(s, "User", "profile");
  EXPECT_EQ(profile.kind, RelationKind::kOneToOne);
  EXPECT_EQ(s.model(profile.from.model).name, "Profile");  // holds the foreign key
  EXPECT_EQ(Names(GetModel(s, "Profile"), profile.fk_fields), std::vector<std::string>{"userId"});
  EXPECT_EQ(profile.on_delete, ReferentialAction::kCascade);
  EXPECT_TRUE(profile.on_delete_explicit);

  const Relation& author = RelationOf(s, "Post", "author");
  EXPECT_EQ(author.kind, RelationKind::kOneToMany);
  EXPECT_FALSE(author.named);
  EXPECT_TRUE(author.required);
  EXPECT_EQ(author.on_delete, ReferentialAction::kRestrict);  // Prisma's default for a required relation
  EXPECT_EQ(author.on_update, ReferentialAction::kCascade);
  EXPECT_FALSE(author.on_delete_explicit);
  EXPECT_EQ(&RelationOf(s, "User", "posts"), &author);

  const Relation& category = RelationOf(s, "Post", "category");
  EXPECT_FALSE(category.required);
  EXPECT_EQ(category.on_delete, ReferentialAction::kSetNull);  // ... and for an optional one

  const Relation& replies = RelationOf(s, "Comment", "replies");
  EXPECT_TRUE(replies.named);
  EXPECT_EQ(replies.from.model, replies.to.model);
  EXPECT_EQ(s.model(replies.from.model).field(*replies.from.field).name, "parent");
}

TEST(SchemaCorpusTest, BlogImplicitManyToManyHasAHiddenJoinModel) {
  Schema s = LoadCorpus("blog.prisma");
  const Relation& tags = RelationOf(s, "Post", "tags");
  EXPECT_EQ(tags.kind, RelationKind::kManyToMany);
  EXPECT_EQ(tags.name, "PostToTag");
  EXPECT_EQ(s.model(tags.from.model).name, "Post");  // side A: the name that sorts first
  EXPECT_EQ(s.model(tags.to.model).name, "Tag");
  ASSERT_TRUE(tags.join_model.has_value());
  const Model& join = s.model(*tags.join_model);
  EXPECT_EQ(join.name, "_PostToTag");
  EXPECT_EQ(join.join_of, tags.index);
  ASSERT_EQ(join.fields.size(), 2u);
  EXPECT_EQ(join.fields[0].name, "A");
  EXPECT_EQ(join.fields[0].scalar, ScalarType::kInt);
  EXPECT_EQ(join.fields[1].name, "B");
  EXPECT_EQ(Names(join, join.primary_key.parts), (std::vector<std::string>{"A", "B"}));
  ASSERT_EQ(join.indexes.size(), 1u);
  EXPECT_EQ(Names(join, join.indexes[0].parts), std::vector<std::string>{"B"});
  for (int side = 0; side < 2; ++side) {
    const Relation& key = s.relation(tags.join_keys[static_cast<size_t>(side)]);
    EXPECT_TRUE(key.hidden);
    EXPECT_EQ(key.from.model, join.index);
    EXPECT_FALSE(key.from.field.has_value());
    EXPECT_EQ(key.to.model, side == 0 ? tags.from.model : tags.to.model);
    EXPECT_EQ(key.on_delete, ReferentialAction::kCascade);
    EXPECT_TRUE(key.required);
  }
  EXPECT_FALSE(join.clustering.relation.has_value());
}

TEST(SchemaCorpusTest, BlogClustering) {
  Schema s = LoadCorpus("blog.prisma");
  EXPECT_EQ(ClusterParent(s, "User"), "");
  EXPECT_EQ(ClusterParent(s, "Profile"), "");  // one-to-one: only with @@cluster
  EXPECT_EQ(ClusterParent(s, "Post"), "User");  // the default: its only required parent
  EXPECT_FALSE(GetModel(s, "Post").clustering.explicit_choice);
  EXPECT_EQ(GetModel(s, "Post").clustering.reason,
            "stored under its User (author -> User): its only required many-to-one relation to a parent's primary "
            "key");
  EXPECT_EQ(ClusterParent(s, "Comment"), "Post");  // @@cluster(post) over two required parents
  EXPECT_TRUE(GetModel(s, "Comment").clustering.explicit_choice);
  EXPECT_EQ(GetModel(s, "Comment").clustering.reason,
            "stored under its Post (relation field post), as @@cluster(post) asks");
  EXPECT_EQ(GetModel(s, "Tag").clustering.reason,
            "not clustered: no required many-to-one relation to a parent's primary key");
}

TEST(SchemaCorpusTest, ShopKeysTypesAndDefaults) {
  Schema s = LoadCorpus("shop.prisma");
  EXPECT_EQ(s.models.size(), 12u);  // no implicit many-to-many: ProductCategory is explicit
  EXPECT_EQ(s.enums.size(), 2u);

  // UUID ids are 16 bytes, and so is every foreign key to them.
  EXPECT_TRUE(GetField(GetModel(s, "Customer"), "id").uuid_bytes);
  EXPECT_EQ(GetField(GetModel(s, "Customer"), "id").default_value.kind, DefaultKind::kUuid);
  EXPECT_TRUE(GetField(GetModel(s, "Address"), "id").uuid_bytes);  // @db.Uuid
  EXPECT_TRUE(GetField(GetModel(s, "Address"), "customerId").uuid_bytes);
  EXPECT_TRUE(GetField(GetModel(s, "Order"), "shippingId").uuid_bytes);
  EXPECT_TRUE(GetField(GetModel(s, "Order"), "billingId").uuid_bytes);
  EXPECT_TRUE(GetField(GetModel(s, "Cart"), "customerId").uuid_bytes);
  // A cuid is text.
  EXPECT_FALSE(GetField(GetModel(s, "Product"), "id").uuid_bytes);
  EXPECT_EQ(GetField(GetModel(s, "Product"), "id").default_value.kind, DefaultKind::kCuid);

  const Model& product = GetModel(s, "Product");
  EXPECT_EQ(GetField(product, "price").scalar, ScalarType::kDecimal);
  EXPECT_EQ(GetField(product, "price").native_type->args, (std::vector<std::string>{"10", "2"}));
  EXPECT_EQ(std::get<std::string>(GetField(product, "attributes").default_value.constant), "{}");
  EXPECT_EQ(std::get<std::string>(GetField(product, "currency").default_value.constant), "EUR");
  EXPECT_EQ(Names(product, product.indexes[1].parts), (std::vector<std::string>{"active", "price desc"}));
  EXPECT_EQ(std::get<std::string>(GetField(GetModel(s, "Variant"), "extraCost").default_value.constant), "0.00");

  const Model& item = GetModel(s, "OrderItem");
  EXPECT_EQ(item.primary_key.source, PrimaryKey::Source::kBlockId);
  EXPECT_EQ(Names(item, item.primary_key.parts), (std::vector<std::string>{"orderId", "line"}));
  const Model& review = GetModel(s, "Review");
  ASSERT_EQ(review.uniques.size(), 1u);
  EXPECT_EQ(review.uniques[0].name, "oneReviewPerCustomer");
  EXPECT_FALSE(review.uniques[0].field_level);
  EXPECT_EQ(GetField(GetModel(s, "Address"), "postalCode").db_name, "postal_code");
}

TEST(SchemaCorpusTest, ShopRelations) {
  Schema s = LoadCorpus("shop.prisma");
  // Two named relations between the same pair of models.
  const Relation& shipping = RelationOf(s, "Order", "shipping");
  const Relation& billing = RelationOf(s, "Order", "billing");
  EXPECT_NE(shipping.index, billing.index);
  EXPECT_EQ(shipping.name, "ShippingAddress");
  EXPECT_EQ(&RelationOf(s, "Address", "shippingOrders"), &shipping);
  EXPECT_EQ(&RelationOf(s, "Address", "billingOrders"), &billing);
  // A self-relation (a category tree).
  const Relation& tree = RelationOf(s, "Category", "children");
  EXPECT_EQ(tree.kind, RelationKind::kOneToMany);
  EXPECT_EQ(tree.on_delete, ReferentialAction::kSetNull);
  // One-to-one relations, each held by the side with the unique foreign key.
  EXPECT_EQ(RelationOf(s, "Customer", "cart").kind, RelationKind::kOneToOne);
  EXPECT_EQ(s.model(RelationOf(s, "Order", "payment").from.model).name, "Payment");
  // The explicit join model is an ordinary model with two one-to-many relations.
  EXPECT_EQ(RelationOf(s, "Product", "categories").kind, RelationKind::kOneToMany);
  EXPECT_EQ(RelationOf(s, "Category", "products").kind, RelationKind::kOneToMany);
  EXPECT_EQ(RelationOf(s, "Order", "customer").on_delete, ReferentialAction::kRestrict);
}

TEST(SchemaCorpusTest, ShopClustering) {
  Schema s = LoadCorpus("shop.prisma");
  EXPECT_EQ(ClusterParent(s, "Address"), "Customer");
  EXPECT_EQ(ClusterParent(s, "Order"), "Customer");
  EXPECT_EQ(ClusterParent(s, "Variant"), "Product");
  EXPECT_EQ(ClusterParent(s, "OrderItem"), "Order");  // explicit, over Product
  EXPECT_EQ(ClusterParent(s, "CartItem"), "Cart");
  EXPECT_EQ(ClusterParent(s, "Payment"), "");  // one-to-one
  EXPECT_EQ(ClusterParent(s, "Category"), "");  // an optional self-relation
  EXPECT_EQ(ClusterParent(s, "ProductCategory"), "");
  EXPECT_EQ(GetModel(s, "ProductCategory").clustering.reason,
            "not clustered: several required parents (category -> Category, product -> Product); choose one with "
            "@@cluster(field)");
  EXPECT_EQ(ClusterParent(s, "Review"), "");
}

TEST(SchemaCorpusTest, SaasCompositeKeysAndForeignKeys) {
  Schema s = LoadCorpus("saas.prisma");
  EXPECT_EQ(s.models.size(), 13u + 3u);  // 13 declared, 3 hidden join models
  const Model& member = GetModel(s, "Member");
  EXPECT_EQ(Names(member, member.primary_key.parts), (std::vector<std::string>{"orgId", "userId"}));
  EXPECT_EQ(member.db_name, "members");

  // A composite foreign key to Member's composite primary key.
  const Relation& m = RelationOf(s, "TeamMembership", "member");
  EXPECT_EQ(Names(GetModel(s, "TeamMembership"), m.fk_fields), (std::vector<std::string>{"orgId", "userId"}));
  EXPECT_EQ(Names(member, m.referenced_fields), (std::vector<std::string>{"orgId", "userId"}));
  EXPECT_TRUE(m.required);
  // UUID storage reaches it through Member's key (two steps from the ids).
  EXPECT_TRUE(GetField(GetModel(s, "TeamMembership"), "orgId").uuid_bytes);
  EXPECT_TRUE(GetField(GetModel(s, "TeamMembership"), "userId").uuid_bytes);

  // A key sharing orgId with another relation, whose other field is optional:
  // optional, and restricted rather than set to null (orgId can't be).
  const Relation& owner = RelationOf(s, "Project", "owner");
  EXPECT_FALSE(owner.required);
  EXPECT_EQ(owner.on_delete, ReferentialAction::kRestrict);
  EXPECT_TRUE(GetField(GetModel(s, "Project"), "ownerId").uuid_bytes);

  // A primary key that is a foreign key: one-to-one.
  const Relation& sub = RelationOf(s, "Organization", "subscription");
  EXPECT_EQ(sub.kind, RelationKind::kOneToOne);
  const Field& renews = GetField(GetModel(s, "Subscription"), "renewsAt");
  EXPECT_EQ(std::get<int64_t>(renews.default_value.constant), 1893456000LL * 1000000);

  const Model& status = GetModel(s, "Task");
  EXPECT_EQ(s.enum_type(GetField(status, "status").enum_type).values[1].db_name, "in_progress");
  EXPECT_EQ(std::get<std::string>(GetField(GetModel(s, "ApiKey"), "scopes").default_value.constant), "[\"read\"]");
}

TEST(SchemaCorpusTest, SaasSelfRelationsAndJoinModels) {
  Schema s = LoadCorpus("saas.prisma");
  const Relation& mgmt = RelationOf(s, "User", "reports");
  EXPECT_EQ(mgmt.name, "Management");
  EXPECT_EQ(mgmt.kind, RelationKind::kOneToMany);

  // A self many-to-many: side A is the field whose name sorts first.
  const Relation& deps = RelationOf(s, "Task", "blocking");
  EXPECT_EQ(deps.kind, RelationKind::kManyToMany);
  EXPECT_EQ(GetModel(s, "Task").field(*deps.from.field).name, "blockedBy");
  EXPECT_EQ(GetModel(s, "Task").field(*deps.to.field).name, "blocking");
  EXPECT_EQ(s.model(*deps.join_model).name, "_Dependencies");

  // A named implicit many-to-many: the join model is named after the relation,
  // and its fields take the ids' types (a UUID for User).
  const Relation& assignees = RelationOf(s, "Task", "assignees");
  const Model& join = s.model(*assignees.join_model);
  EXPECT_EQ(join.name, "_TaskAssignees");
  EXPECT_EQ(join.fields[0].scalar, ScalarType::kInt);      // A: Task.id
  EXPECT_EQ(join.fields[1].scalar, ScalarType::kString);   // B: User.id
  EXPECT_TRUE(join.fields[1].uuid_bytes);

  EXPECT_EQ(s.model(*RelationOf(s, "Task", "labels").join_model).name, "_LabelToTask");
}

TEST(SchemaCorpusTest, SaasClustering) {
  Schema s = LoadCorpus("saas.prisma");
  EXPECT_EQ(ClusterParent(s, "Member"), "Organization");
  EXPECT_EQ(ClusterParent(s, "Team"), "Organization");
  EXPECT_EQ(ClusterParent(s, "TeamMembership"), "Team");
  EXPECT_EQ(ClusterParent(s, "Project"), "Organization");
  EXPECT_EQ(ClusterParent(s, "Task"), "Project");
  EXPECT_EQ(ClusterParent(s, "TaskComment"), "Task");
  EXPECT_EQ(ClusterParent(s, "Invitation"), "Organization");
  EXPECT_EQ(ClusterParent(s, "AuditLog"), "Organization");
  EXPECT_EQ(ClusterParent(s, "User"), "");
  EXPECT_EQ(ClusterParent(s, "Subscription"), "");
}

TEST(SchemaCorpusTest, CanonicalTextReadsBackToItself) {
  for (const char* name : {"blog.prisma", "shop.prisma", "saas.prisma"}) {
    SCOPED_TRACE(name);
    const std::string printed = Print(LoadCorpus(name));
    auto again = LoadSchema(printed, "printed.prisma");
    ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << printed;
    EXPECT_EQ(Print(*again), printed);
  }
}

TEST(SchemaPrintTest, CanonicalText) {
  Schema s = Load(R"(datasource db {
  provider = "sqlite"
  url = "file:dev.db"
}
enum Kind {
  A @map("a")
  B
}
/// A thing.
model Thing {
  code String @id @default(cuid()) @map("thing_code")
  kind Kind @default(B)
  at DateTime @default("2024-02-29T23:30:00.5-01:00")
  blob Bytes @default("AAEC")
  ratio Float @default(2)
  parts Part[] @relation("Made")
  @@map("things")
}
model Part {
  id BigInt @id(sort: Desc)
  thing Thing @relation("Made", fields: [thingCode], references: [code], onDelete: Cascade, map: "part_fk")
  thingCode String
  @@unique([thingCode, id(sort: Desc)], name: "byThing")
}
)");
  // Field order kept, columns aligned, what was written spelled out once,
  // derived facts as comments.
  EXPECT_EQ(Print(s), R"(datasource db {
  provider = "sqlite"
}

enum Kind {
  A @map("a")
  B
}

/// A thing.
model Thing {
  code  String   @id @default(cuid()) @map("thing_code")
  kind  Kind     @default(B)
  at    DateTime @default("2024-03-01T00:30:00.500000Z")
  blob  Bytes    @default("AAEC")
  ratio Float    @default(2.0)
  parts Part[]   @relation("Made")

  @@map("things")
  // cluster: not clustered: no required many-to-one relation to a parent's primary key
}

model Part {
  id        BigInt @id(sort: Desc)
  thing     Thing  @relation("Made", fields: [thingCode], references: [code], onDelete: Cascade, map: "part_fk")
  thingCode String

  @@unique([thingCode, id(sort: Desc)], name: "byThing")
  // cluster: stored under its Thing (thing -> Thing): its only required many-to-one relation to a parent's primary key
}

// relation "Made": one-to-many, Part.thing [thingCode] -> Thing.parts [code], required, onDelete: Cascade, )"
            R"(onUpdate: Cascade
)");
}

// ---------------------------------------------------------------------------
// Language details

TEST(SchemaLanguageTest, ArgumentsMaySpanLinesAndEndWithAComma) {
  Schema s = Load(R"(model A {
  id Int @id
  b  B[]
}
model B {
  id  Int @id
  a   A   @relation(
    fields: [aId],
    references: [id],
  )
  aId Int
  @@index([
    aId,
    id,
  ])
}
)");
  EXPECT_EQ(Names(GetModel(s, "B"), GetModel(s, "B").indexes[0].parts), (std::vector<std::string>{"aId", "id"}));
}

TEST(SchemaLanguageTest, AFieldMayFollowTheOpeningBrace) {
  Schema s = Load("model A { id Int @id }\nenum E { X }\n");
  EXPECT_EQ(GetModel(s, "A").fields.size(), 1u);
  EXPECT_EQ(s.enums[0].values.size(), 1u);
}

TEST(SchemaLanguageTest, CrlfLineEndsByteOrderMarkAndTabs) {
  Schema s = Load("\xEF\xBB\xBFmodel A {\r\n\tid Int @id\r\n\tname String\r\n}\r\n");
  EXPECT_EQ(GetModel(s, "A").fields.size(), 2u);
  EXPECT_EQ(GetField(GetModel(s, "A"), "name").loc.line, 3u);
  EXPECT_EQ(GetField(GetModel(s, "A"), "name").loc.column, 2u);  // a tab is one column
}

TEST(SchemaLanguageTest, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @map(\"ü\") ?\n}\n"),
            "schema.prisma:2:24: expected end of line after field id, found '?'");
}

TEST(SchemaLanguageTest, StringEscapes) {
  Schema s = Load(R"(model A {
  id String @id @default("q\"b\\s\n\t\u00e9\u0041")
}
)");
  EXPECT_EQ(std::get<std::string>(GetField(GetModel(s, "A"), "id").default_value.constant),
            "q\"b\\s\n\t\xC3\xA9" "A");
}

TEST(SchemaLanguageTest, DocCommentsAttachToTheNextDeclaration) {
  Schema s = Load(R"(/// first
/// second
model A {
  /// the key
  id Int @id /// trailing
  // a plain comment is dropped
  x Int
}
)");
  EXPECT_EQ(GetModel(s, "A").doc, " first\n second");
  EXPECT_EQ(GetField(GetModel(s, "A"), "id").doc, " the key\n trailing");
  EXPECT_EQ(GetField(GetModel(s, "A"), "x").doc, "");
}

TEST(SchemaLanguageTest, GeneratorsAndDatasourceSettingsAreIgnored) {
  Schema s = Load(R"(generator client {
  provider = "prisma-client-js"
  previewFeatures = ["a", "b"]
  binaryTargets = [env("X"), "native"]
}
generator other {
  provider = "zod"
}
model A {
  id Int @id
}
)");
  EXPECT_FALSE(s.datasource.has_value());
  EXPECT_EQ(s.models.size(), 1u);
}

TEST(SchemaLanguageTest, NativeTypesUseTheDatasourceName) {
  Schema s = Load(R"(datasource pg {
  provider = "postgresql"
}
model A {
  id String @id @pg.Uuid
  name String @pg.VarChar(40)
}
)");
  EXPECT_TRUE(GetField(GetModel(s, "A"), "id").uuid_bytes);
  EXPECT_EQ(Print(s).find("@db."), std::string::npos);
  EXPECT_NE(Print(s).find("@pg.VarChar(40)"), std::string::npos);
}

TEST(SchemaLanguageTest, PrimaryKeyFromTheFirstRequiredUnique) {
  Schema s = Load(R"(model A {
  nick  String? @unique
  email String  @unique
  b     Int
  c     Int
  @@unique([b, c])
}
)");
  const Model& a = GetModel(s, "A");
  EXPECT_EQ(a.primary_key.source, PrimaryKey::Source::kUnique);
  EXPECT_EQ(Names(a, a.primary_key.parts), std::vector<std::string>{"email"});
}

TEST(SchemaLanguageTest, DefaultConstants) {
  Schema s = Load(R"(enum E {
  X
}
model A {
  id  Int      @id @default(-2147483648)
  big BigInt   @default(9223372036854775807)
  f   Float    @default(-1.5e3)
  d   Decimal  @default(12.50)
  t   DateTime @default("1969-12-31T23:59:59.999999Z")
  b   Bytes    @default("")
  j   Json     @default("{\"a\": [1, 2.5e-3, true, null]}")
  e   E        @default(X)
  u   String   @default(uuid(7))
  c   String   @default(cuid(2))
}
)");
  const Model& a = GetModel(s, "A");
  EXPECT_EQ(std::get<int64_t>(GetField(a, "id").default_value.constant), -2147483648LL);
  EXPECT_EQ(std::get<int64_t>(GetField(a, "big").default_value.constant), INT64_MAX);
  EXPECT_EQ(std::get<double>(GetField(a, "f").default_value.constant), -1500.0);
  EXPECT_EQ(std::get<std::string>(GetField(a, "d").default_value.constant), "12.50");
  EXPECT_EQ(std::get<int64_t>(GetField(a, "t").default_value.constant), -1);
  EXPECT_EQ(std::get<std::string>(GetField(a, "b").default_value.constant), "");
  EXPECT_EQ(GetField(a, "u").default_value.version, 7);
  EXPECT_FALSE(GetField(a, "u").uuid_bytes);  // only ids are stored as 16 bytes
  EXPECT_EQ(GetField(a, "c").default_value.version, 2);
}

TEST(SchemaLanguageTest, DefaultClusteringBreaksACycleOfDefaults) {
  Schema s = Load(R"(model A {
  id  Int @id
  b   B   @relation("AB", fields: [bId], references: [id])
  bId Int
  bs  B[] @relation("BA")
}
model B {
  id  Int @id
  a   A   @relation("BA", fields: [aId], references: [id])
  aId Int
  as  A[] @relation("AB")
}
)");
  EXPECT_EQ(ClusterParent(s, "A"), "");
  EXPECT_EQ(ClusterParent(s, "B"), "");
  EXPECT_EQ(GetModel(s, "A").clustering.reason,
            "not clustered: its parents form a cycle (A -> B -> A); choose with @@cluster(field)");
}

TEST(SchemaLanguageTest, ExplicitClusteringWinsOverADefaultCycle) {
  Schema s = Load(R"(model A {
  id  Int @id
  b   B   @relation("AB", fields: [bId], references: [id])
  bId Int
  bs  B[] @relation("BA")
  @@cluster(b)
}
model B {
  id  Int @id
  a   A   @relation("BA", fields: [aId], references: [id])
  aId Int
  as  A[] @relation("AB")
}
)");
  EXPECT_EQ(ClusterParent(s, "A"), "B");
  EXPECT_EQ(ClusterParent(s, "B"), "");
}

TEST(SchemaLanguageTest, ExplicitClusteringUnderAOneToOneParent) {
  Schema s = Load(R"(model User {
  id      Int      @id
  profile Profile?
}
model Profile {
  id     Int  @id
  user   User @relation(fields: [userId], references: [id])
  userId Int  @unique
  @@cluster(user)
}
)");
  EXPECT_EQ(ClusterParent(s, "Profile"), "User");
}

TEST(SchemaLanguageTest, UnnamedRelationsBetweenDifferentPairsDoNotClash) {
  Schema s = Load(R"(model A {
  id Int @id
  b  B[]
  c  C[]
}
model B {
  id  Int @id
  a   A   @relation(fields: [aId], references: [id])
  aId Int
}
model C {
  id  Int @id
  a   A   @relation(fields: [aId], references: [id])
  aId Int
}
)");
  EXPECT_EQ(RelationOf(s, "A", "b").name, "AToB");
  EXPECT_EQ(RelationOf(s, "A", "c").name, "AToC");
}

// ---------------------------------------------------------------------------
// Syntax errors: file:line:column and what was expected.

TEST(SchemaSyntaxErrorTest, UnclosedModel) {
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id\n"),
            "schema.prisma:3:1: expected '}' to close model User, found end of file");
}

TEST(SchemaSyntaxErrorTest, StrayTokenInModel) {
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id\n  42\n}\n"),
            "schema.prisma:3:3: expected a field, a block attribute (@@) or '}' to close model User, found number 42");
}

TEST(SchemaSyntaxErrorTest, FieldWithoutType) {
  EXPECT_EQ(ErrorOf("model User {\n  id\n}\n"),
            "schema.prisma:2:5: expected a type for field id, found end of line");
}

TEST(SchemaSyntaxErrorTest, TwoFieldsOnOneLine) {
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id name String\n}\n"),
            "schema.prisma:2:14: expected end of line after field id, found 'name'");
}

TEST(SchemaSyntaxErrorTest, UnknownBlock) {
  EXPECT_EQ(ErrorOf("table User {\n}\n"),
            "schema.prisma:1:1: expected a block (model, enum, datasource or generator), found 'table'");
}

TEST(SchemaSyntaxErrorTest, MissingBlockName) {
  EXPECT_EQ(ErrorOf("model {\n}\n"), "schema.prisma:1:7: expected a name for the model, found '{'");
}

TEST(SchemaSyntaxErrorTest, MissingOpeningBrace) {
  EXPECT_EQ(ErrorOf("model User\n  id Int @id\n}\n"),
            "schema.prisma:1:11: expected '{' to open model User, found end of line");
}

TEST(SchemaSyntaxErrorTest, UnterminatedString) {
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id @map(\"user_id)\n}\n"),
            "schema.prisma:2:19: unterminated string (a string ends with '\"' on the same line)");
}

TEST(SchemaSyntaxErrorTest, InvalidEscape) {
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id @map(\"a\\qb\")\n}\n"),
            "schema.prisma:2:21: invalid escape '\\q' in string (known: \\\" \\\\ \\n \\r \\t \\0 \\uXXXX)");
}

TEST(SchemaSyntaxErrorTest, SurrogateEscape) {
  EXPECT_EQ(ErrorOf("model User {\n  id String @id @default(\"\\uD800\")\n}\n"),
            "schema.prisma:2:27: invalid escape in string: \\uD800 is a UTF-16 surrogate, not a character");
}

TEST(SchemaSyntaxErrorTest, StrayCharacter) {
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id #\n}\n"), "schema.prisma:2:14: unexpected character '#'");
}

TEST(SchemaSyntaxErrorTest, NonAsciiOutsideStrings) {
  EXPECT_EQ(ErrorOf("model Üser {\n}\n"),
            "schema.prisma:1:7: unexpected byte 0xC3 (characters outside ASCII may appear only in strings and "
            "comments)");
}

TEST(SchemaSyntaxErrorTest, BlockComment) {
  EXPECT_EQ(ErrorOf("/* models */\nmodel A {\n  id Int @id\n}\n"),
            "schema.prisma:1:1: unexpected character '/' (comments start with //)");
}

TEST(SchemaSyntaxErrorTest, ErrorsComeInSourceOrder) {
  // The syntax error on line 2 is reported, not the lexical one on line 3.
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id )\n  x String @map(\"\n}\n"),
            "schema.prisma:2:14: expected end of line after field id, found ')'");
}

TEST(SchemaSyntaxErrorTest, OptionalList) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  b B[]?\n}\n"),
            "schema.prisma:3:8: a list field cannot be optional (field b)");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  b B?[]\n}\n"),
            "schema.prisma:3:7: a field cannot be both optional and a list (field b)");
}

TEST(SchemaSyntaxErrorTest, BlockAttributeAfterAField) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @@map(\"a\")\n}\n"),
            "schema.prisma:2:14: a block attribute (@@) goes on its own line, not after field id");
}

TEST(SchemaSyntaxErrorTest, FieldAttributeOnItsOwnLine) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int\n  @id\n}\n"),
            "schema.prisma:3:3: a field attribute (@) must follow a field's type on the field's line");
}

TEST(SchemaSyntaxErrorTest, MissingCommaBetweenArguments) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  b B @relation(fields: [bId] references: [id])\n}\n"),
            "schema.prisma:3:31: expected ',' or ')' to close the arguments opened at line 3, column 16, found "
            "'references'");
}

TEST(SchemaSyntaxErrorTest, DeepNesting) {
  std::string deep = "model A {\n  id Int @id @default(" + std::string(100, '[') + "\n}\n";
  EXPECT_EQ(ErrorOf(deep), "schema.prisma:2:54: values nest deeper than 32 levels");
  std::string calls = "model A {\n  id Int @id @default(";
  for (int i = 0; i < 100; ++i) calls += "f(";
  EXPECT_EQ(ErrorOf(calls + "\n}\n"), "schema.prisma:2:85: values nest deeper than 32 levels");
}

TEST(SchemaSyntaxErrorTest, OversizedInput) {
  EXPECT_EQ(ErrorOf(std::string(kMaxSchemaBytes + 1, '\n')),
            "schema.prisma: schema file of 4194305 bytes exceeds the limit of 4194304 bytes");
}

TEST(SchemaSyntaxErrorTest, DatasourceSettingWithoutEquals) {
  EXPECT_EQ(ErrorOf("datasource db {\n  provider \"postgresql\"\n}\n"),
            "schema.prisma:2:12: expected '=' after provider, found string \"postgresql\"");
}

TEST(SchemaSyntaxErrorTest, UnsupportedBlocksAndTypes) {
  EXPECT_EQ(ErrorOf("type Address {\n  street String\n}\n", StatusCode::kNotSupported),
            "schema.prisma:1:1: composite types ('type' blocks) are not supported (Prisma has them only for "
            "MongoDB); declare a model with a relation instead");
  EXPECT_EQ(ErrorOf("view Stats {\n  n Int\n}\n", StatusCode::kNotSupported),
            "schema.prisma:1:1: views ('view' blocks) are not supported");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  geo Unsupported(\"point\")?\n}\n", StatusCode::kNotSupported),
            "schema.prisma:3:7: field type Unsupported(...) is not supported: ormDB stores only the types it knows "
            "(field geo)");
}

// ---------------------------------------------------------------------------
// Semantic errors

TEST(SchemaSemanticErrorTest, UnknownType) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  name string\n}\n"),
            "schema.prisma:3:8: unknown type string for field name (did you mean String?)");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  b Blob\n}\n"),
            "schema.prisma:3:5: unknown type Blob for field b (not a scalar type, a model or an enum)");
}

TEST(SchemaSemanticErrorTest, DuplicateNames) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n}\nenum A {\n  X\n}\n"),
            "schema.prisma:4:6: the name A is already used by the model declared at line 1");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  id String\n}\n"),
            "schema.prisma:3:3: field id is declared twice in model A (first at line 2)");
  EXPECT_EQ(ErrorOf("enum E {\n  X\n  X\n}\n"),
            "schema.prisma:3:3: value X is declared twice in enum E (first at line 2)");
  EXPECT_EQ(ErrorOf("model String {\n  id Int @id\n}\n"),
            "schema.prisma:1:7: String is a built-in type and cannot name a model");
  EXPECT_EQ(ErrorOf("model _A {\n  id Int @id\n}\n"), "schema.prisma:1:7: model name _A must start with a letter");
}

TEST(SchemaSemanticErrorTest, StorageNamesCollide) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@map(\"t\")\n}\nmodel B {\n  id Int @id\n  @@map(\"t\")\n}\n"),
            "schema.prisma:5:7: model B is stored under the name \"t\", already used by model A");
  EXPECT_EQ(ErrorOf(R"(model A {
  id Int @id
  b  B[] @relation("Same")
}
model B {
  id Int @id
  a  A[] @relation("Same")
}
model C {
  id Int @id
  d  D[] @relation("Same")
}
model D {
  id Int @id
  c  C[] @relation("Same")
}
)"),
            "schema.prisma:11:3: the join model of the many-to-many relation C.d / D.c is stored under the name "
            "\"_Same\", already used by the join model of the many-to-many relation A.b / B.a");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  x Int @map(\"id\")\n}\n"),
            "schema.prisma:3:3: field A.x is stored under the name \"id\", already used by field id");
}

TEST(SchemaSemanticErrorTest, NoIdentifier) {
  EXPECT_EQ(ErrorOf("model A {\n  name String?  @unique\n}\n"),
            "schema.prisma:1:7: model A has no unique identifier: give it an @id field, an @@id([...]), or an "
            "@unique on a required field");
}

TEST(SchemaSemanticErrorTest, PrimaryKeyMistakes) {
  EXPECT_EQ(ErrorOf("model A {\n  a Int @id\n  b Int @id\n}\n"),
            "schema.prisma:3:9: model A has more than one @id field (a and b); declare a composite key with "
            "@@id([a, b])");
  EXPECT_EQ(ErrorOf("model A {\n  a Int @id\n  b Int\n  @@id([a, b])\n}\n"),
            "schema.prisma:4:3: model A already has a primary key (@id on a at line 2)");
  EXPECT_EQ(ErrorOf("model A {\n  a Int? @id\n}\n"),
            "schema.prisma:2:10: an @id field must be required, and a is optional");
  EXPECT_EQ(ErrorOf("model A {\n  a Int\n  b Int?\n  @@id([a, b])\n}\n"),
            "schema.prisma:4:12: the fields of @@id must be required, and b is optional");
  EXPECT_EQ(ErrorOf("model A {\n  a Json @id\n}\n"), "schema.prisma:2:10: Json field a cannot be an id");
}

TEST(SchemaSemanticErrorTest, KeyFieldLists) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@index([nope])\n}\n"),
            "schema.prisma:3:12: unknown field nope in @@index of model A");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@index([id, id])\n}\n"),
            "schema.prisma:3:16: field id appears twice in @@index");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@unique(id)\n}\n"),
            "schema.prisma:3:12: @@unique takes a list of fields such as [a, b], found 'id'");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@index([id(sort: Up)])\n}\n"),
            "schema.prisma:3:21: sort must be Asc or Desc, found 'Up'");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  b  B[]\n  @@index([b])\n}\nmodel B {\n  id Int @id\n  a A "
                    "@relation(fields: [aId], references: [id])\n  aId Int\n}\n"),
            "schema.prisma:4:12: relation field b cannot be part of @@index; use the scalar fields that hold its "
            "foreign key");
}

TEST(SchemaSemanticErrorTest, AttributesAndArguments) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @primary\n}\n"),
            "schema.prisma:2:14: unknown attribute @primary on field id");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @id\n}\n"), "schema.prisma:2:14: attribute @id given twice on field id");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@shard([id])\n}\n"),
            "schema.prisma:3:3: unknown block attribute @@shard on model A");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @map(\"a\", \"b\")\n}\n"),
            "schema.prisma:2:24: only the first argument of @map may be unnamed; write name: ... or move it first");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @map(name: \"a\", name: \"b\")\n}\n"),
            "schema.prisma:2:30: argument 'name' given twice to @map");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id(\"x\")\n}\n"), "schema.prisma:2:14: @id takes no unnamed argument");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id(mapp: \"x\")\n}\n"),
            "schema.prisma:2:14: unknown argument 'mapp' for @id");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @map(\"\")\n}\n"),
            "schema.prisma:2:19: the name in @map must not be empty");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @map(1)\n}\n"),
            "schema.prisma:2:19: the name in @map must be a string, found number 1");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  s String @updatedAt\n}\n"),
            "schema.prisma:3:12: @updatedAt applies to DateTime fields, and s is String");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @pg.Integer\n}\n"),
            "schema.prisma:2:14: unknown attribute @pg.Integer (native type attributes are named after the "
            "datasource: @db.Integer)");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id @db.Uuid\n}\n"),
            "schema.prisma:2:14: @db.Uuid applies to String fields, and id is Int");
  EXPECT_EQ(ErrorOf("model A {\n  id String @id @db.VarChar(n: 3)\n}\n"),
            "schema.prisma:2:29: the arguments of @db.VarChar are unnamed numbers, found 'n:'");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  b String @relation(\"x\")\n}\n"),
            "schema.prisma:3:12: @relation applies to relation fields, and b has type String");
  EXPECT_EQ(ErrorOf("datasource a {\n  provider = \"x\"\n}\ndatasource b {\n  provider = \"y\"\n}\n"),
            "schema.prisma:4:1: a schema has one datasource block, and 'a' was declared first");
  EXPECT_EQ(ErrorOf("enum E {\n}\n"), "schema.prisma:1:6: enum E has no values");
}

TEST(SchemaSemanticErrorTest, Defaults) {
  auto field = [](const std::string& decl) { return "model A {\n  id Int @id\n  " + decl + "\n}\n"; };
  EXPECT_EQ(ErrorOf(field("n Int @default(\"1\")")),
            "schema.prisma:3:18: @default of Int field n expects an integer, found string \"1\"");
  EXPECT_EQ(ErrorOf(field("n Int @default(2147483648)")),
            "schema.prisma:3:18: @default of Int field n: 2147483648 is out of range (32-bit)");
  EXPECT_EQ(ErrorOf(field("n Int @default(1.5)")),
            "schema.prisma:3:18: @default of Int field n expects an integer, found number 1.5");
  EXPECT_EQ(ErrorOf(field("f Float @default(1e999)")),
            "schema.prisma:3:20: @default of Float field f: 1e999 is out of range");
  EXPECT_EQ(ErrorOf(field("t DateTime @default(\"2023-02-29T00:00:00Z\")")),
            "schema.prisma:3:23: @default of DateTime field t expects an RFC 3339 timestamp such as "
            "\"2024-01-31T12:00:00Z\", found string \"2023-02-29T00:00:00Z\"");
  EXPECT_EQ(ErrorOf(field("j Json @default(\"{a: 1}\")")),
            "schema.prisma:3:19: @default of Json field j expects a string holding JSON, found string \"{a: 1}\"");
  EXPECT_EQ(ErrorOf(field("b Bytes @default(\"abc\")")),
            "schema.prisma:3:20: @default of Bytes field b expects a base64 string, found string \"abc\"");
  EXPECT_EQ(ErrorOf(field("b Boolean @default(1)")),
            "schema.prisma:3:22: @default of Boolean field b expects true or false, found number 1");
  EXPECT_EQ(ErrorOf("enum E {\n  X\n  Y\n}\n" + field("e E @default(Z)")),
            "schema.prisma:7:16: @default of enum E field e expects one of its values (X, Y), found 'Z'");
  EXPECT_EQ(ErrorOf(field("s String @default(autoincrement())")),
            "schema.prisma:3:21: @default(autoincrement()) applies to Int and BigInt fields, and s is not");
  EXPECT_EQ(ErrorOf(field("n Int @default(uuid())")),
            "schema.prisma:3:18: @default(uuid()) applies to String fields, and n is not");
  EXPECT_EQ(ErrorOf(field("s String @default(uuid(5))")),
            "schema.prisma:3:26: uuid() takes an optional version: uuid(4) or uuid(7)");
  EXPECT_EQ(ErrorOf(field("t DateTime @default(now(1))")),
            "schema.prisma:3:27: now() takes no arguments");
  EXPECT_EQ(ErrorOf(field("s String @default(random())")),
            "schema.prisma:3:21: unknown function random() in @default (known: autoincrement(), uuid(), cuid(), "
            "now())");
  EXPECT_EQ(ErrorOf(field("s String @default()")), "schema.prisma:3:12: @default needs a value: @default(...)");
  EXPECT_EQ(ErrorOf(field("s String @default(dbgenerated(\"gen()\"))"), StatusCode::kNotSupported),
            "schema.prisma:3:21: @default(dbgenerated(...)) is not supported: ormDB evaluates no SQL; use a constant "
            "or autoincrement(), uuid(), cuid() or now()");
  EXPECT_EQ(ErrorOf(field("s String @default(nanoid())"), StatusCode::kNotSupported),
            "schema.prisma:3:21: @default(nanoid()) is not supported (ormDB generates autoincrement(), uuid(), cuid() "
            "and now())");
}

TEST(SchemaSemanticErrorTest, UnsupportedPrismaFeatures) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  tags String[]\n}\n", StatusCode::kNotSupported),
            "schema.prisma:3:8: scalar lists (String[]) are not supported: use a related model or a Json field "
            "(field tags)");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  t String\n  @@fulltext([t])\n}\n", StatusCode::kNotSupported),
            "schema.prisma:4:3: @@fulltext indexes are not supported");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@ignore\n}\n", StatusCode::kNotSupported),
            "schema.prisma:3:3: @@ignore is not supported: ormDB stores every model a schema declares; remove the "
            "model or the attribute");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  x Int @ignore\n}\n", StatusCode::kNotSupported),
            "schema.prisma:3:9: @ignore is not supported: ormDB stores every field a schema declares; remove the "
            "field or the attribute");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  @@schema(\"auth\")\n}\n", StatusCode::kNotSupported),
            "schema.prisma:3:3: @@schema (several database schemas) is not supported: ormDB has one namespace");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  t String\n  @@index([t], type: Hash)\n}\n", StatusCode::kNotSupported),
            "schema.prisma:4:22: index type 'Hash' is not supported: ormDB indexes are ordered key ranges (type: "
            "BTree)");
  EXPECT_EQ(ErrorOf("model A {\n  id String @id(length: 10)\n}\n", StatusCode::kNotSupported),
            "schema.prisma:2:25: the length: argument of @id is not supported");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id(clustered: false)\n}\n", StatusCode::kNotSupported),
            "schema.prisma:2:25: the clustered: argument of @id is not supported");
}

// The relation errors use this pair of models, changing one line at a time.
std::string UserPost(const std::string& user_extra, const std::string& post_author,
                     const std::string& post_extra = "") {
  return "model User {\n  id    Int    @id\n  email String @unique\n" + user_extra + "}\n" +
         "model Post {\n  id       Int @id\n  authorId Int\n" + post_author + post_extra + "}\n";
}
const std::string kPosts = "  posts Post[]\n";
const std::string kAuthor = "  author   User @relation(fields: [authorId], references: [id])\n";

TEST(SchemaRelationErrorTest, TheCommonCaseResolves) {
  EXPECT_TRUE(LoadSchema(UserPost(kPosts, kAuthor)).ok());
}

TEST(SchemaRelationErrorTest, NoOppositeField) {
  EXPECT_EQ(ErrorOf(UserPost("", kAuthor)),
            "schema.prisma:8:3: relation field Post.author has no opposite relation field on model User; add a field "
            "of type Post[] or Post? to User");
  EXPECT_EQ(ErrorOf(UserPost("  posts Post[] @relation(\"Writes\")\n", kAuthor)),
            "schema.prisma:4:3: relation field User.posts has no opposite relation field on model Post with the "
            "relation name \"Writes\"; add a field of type User[] or User? to Post (Post.author refers to User "
            "without a relation name)");
}

TEST(SchemaRelationErrorTest, AmbiguousRelation) {
  EXPECT_EQ(ErrorOf(UserPost(kPosts, kAuthor,
                             "  editor   User @relation(fields: [editorId], references: [id])\n  editorId Int\n")),
            "schema.prisma:10:3: ambiguous relation: fields Post.author and editor both refer to model User without "
            "a relation name; name each relation with @relation(\"...\") on both sides");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  b B[] @relation(\"x\")\n  c B[] @relation(\"x\")\n}\n"
                    "model B {\n  id Int @id\n  a A @relation(\"x\", fields: [aId], references: [id])\n  aId Int\n}\n"),
            "schema.prisma:4:3: relation \"x\" has two fields on model A (b and c); a relation name pairs one field on "
            "each side");
}

TEST(SchemaRelationErrorTest, SelfRelations) {
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id\n  manager User? @relation(fields: [managerId], references: "
                    "[id])\n  managerId Int?\n}\n"),
            "schema.prisma:3:3: relation field User.manager has no opposite relation field on model User; a "
            "self-relation needs a second field on User, both named with @relation(\"...\")");
  EXPECT_EQ(ErrorOf("model User {\n  id Int @id\n  a User? @relation(fields: [aId], references: [id])\n  aId Int?\n"
                    "  b User[]\n  c User[]\n}\n"),
            "schema.prisma:6:3: ambiguous self-relation on model User: fields a, b and c refer to it without a "
            "relation name; name each pair with @relation(\"...\") on both of its fields");
}

TEST(SchemaRelationErrorTest, ForeignKeyArguments) {
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User\n")),
            "schema.prisma:9:3: relation field Post.author must name the fields that hold its foreign key: "
            "@relation(fields: [...], references: [...])");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId])\n")),
            "schema.prisma:9:17: @relation on Post.author has fields but no references");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId, id], references: [id])\n")),
            "schema.prisma:9:17: @relation on Post.author has 2 fields but 1 references; they pair up one to one");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [writerId], references: [id])\n")),
            "schema.prisma:9:36: unknown field writerId in the fields of Post.author (model Post has no such field)");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId], references: [uid])\n")),
            "schema.prisma:9:60: unknown field uid in the references of Post.author (model User has no such field)");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId], references: [email])\n")),
            "schema.prisma:9:36: foreign key field Post.authorId has type Int but references User.email of type "
            "String");
  EXPECT_EQ(ErrorOf(UserPost(kPosts + "  n Int\n", "  author   User @relation(fields: [authorId], references: [n])\n")),
            "schema.prisma:10:60: the references of Post.author must be a unique key of User (its id, an @unique "
            "field or an @@unique)");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: authorId, references: [id])\n")),
            "schema.prisma:9:35: fields takes a list of field names such as [id], found 'authorId'");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId], references: [id], "
                                     "onDelete: Explode)\n")),
            "schema.prisma:9:75: onDelete must be Cascade, Restrict, NoAction, SetNull or SetDefault, found 'Explode'");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId], references: [id], onDelet: "
                                     "Cascade)\n")),
            "schema.prisma:9:65: unknown argument 'onDelet' for @relation");
}

TEST(SchemaRelationErrorTest, ArgumentsOnTheWrongSide) {
  EXPECT_EQ(ErrorOf(UserPost("  posts Post[] @relation(fields: [id], references: [id])\n", kAuthor)),
            "schema.prisma:4:16: User.posts cannot have fields/references: the foreign key of this relation is held "
            "by Post.author");
  EXPECT_EQ(ErrorOf(UserPost("  posts Post[] @relation(onDelete: Cascade)\n", kAuthor)),
            "schema.prisma:4:36: onDelete belongs on Post.author, which holds the foreign key");
}

TEST(SchemaRelationErrorTest, Optionality) {
  EXPECT_EQ(ErrorOf(UserPost(kPosts, kAuthor).replace(
                UserPost(kPosts, kAuthor).find("authorId Int"), 12, "authorId Int?")),
            "schema.prisma:9:3: relation field Post.author must be optional (User?): a field of its foreign key is "
            "optional");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId], references: [id], "
                                     "onDelete: SetNull)\n")),
            "schema.prisma:9:75: onDelete: SetNull needs optional foreign key fields, and Post.authorId is required");
  EXPECT_EQ(ErrorOf(UserPost(kPosts, "  author   User @relation(fields: [authorId], references: [id], "
                                     "onUpdate: SetDefault)\n")),
            "schema.prisma:9:75: onUpdate: SetDefault needs a @default on Post.authorId");
}

TEST(SchemaRelationErrorTest, OneToOne) {
  const std::string profile = "  profile Profile?\n";
  auto with = [](const std::string& user_profile, const std::string& p_user,
                 const std::string& p_id = "  userId Int @unique\n") {
    return "model User {\n  id Int @id\n" + user_profile + "}\nmodel Profile {\n  id Int @id\n" + p_user + p_id +
           "}\n";
  };
  EXPECT_TRUE(LoadSchema(with(profile, "  user User @relation(fields: [userId], references: [id])\n")).ok());
  EXPECT_EQ(ErrorOf(with(profile, "  user User @relation(fields: [userId], references: [id])\n", "  userId Int\n")),
            "schema.prisma:7:32: the foreign key of the one-to-one relation Profile.user must be unique: add @unique "
            "to userId");
  EXPECT_EQ(ErrorOf(with("  profile Profile\n", "  user User @relation(fields: [userId], references: [id])\n")),
            "schema.prisma:3:3: relation field User.profile must be optional: it is the side of a one-to-one "
            "relation without the foreign key, so its row can exist first");
  EXPECT_EQ(ErrorOf(with(profile, "  user User\n")),
            "schema.prisma:7:3: one side of the one-to-one relation User.profile / Profile.user must hold the "
            "foreign key: @relation(fields: [...], references: [...])");
  EXPECT_EQ(ErrorOf(with("  profile Profile? @relation(fields: [id], references: [userId])\n",
                         "  user User @relation(fields: [userId], references: [id])\n")),
            "schema.prisma:7:13: both sides of the one-to-one relation User.profile / Profile.user have "
            "fields/references; only the side that holds the foreign key has them");
}

TEST(SchemaRelationErrorTest, ImplicitManyToMany) {
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  bs B[] @relation(fields: [id], references: [id])\n}\n"
                    "model B {\n  id Int @id\n  as A[]\n}\n"),
            "schema.prisma:3:10: an implicit many-to-many relation takes no fields, references, onDelete, onUpdate or "
            "map (A.bs); declare a join model to control the join");
  EXPECT_EQ(ErrorOf("model A {\n  id Int @id\n  bs B[]\n}\nmodel B {\n  x Int\n  y Int\n  as A[]\n  @@id([x, y])\n}\n"),
            "schema.prisma:3:3: the implicit many-to-many relation A.bs needs a single-field @id on model B; declare "
            "a join model instead");
}

TEST(SchemaRelationErrorTest, UuidForeignKeyToText) {
  EXPECT_EQ(ErrorOf("model A {\n  id String @id\n  bs B[]\n}\nmodel B {\n  id Int @id\n  a A @relation(fields: "
                    "[aId], references: [id])\n  aId String @db.Uuid\n}\n"),
            "schema.prisma:8:3: foreign key field B.aId is a UUID (@db.Uuid) but references A.id, which is not; give "
            "both @db.Uuid");
  EXPECT_EQ(ErrorOf("model A {\n  id String @id @db.Uuid\n  bs B[]\n}\nmodel B {\n  id Int @id\n  a A "
                    "@relation(fields: [aId], references: [id])\n  aId String @db.Text\n}\n"),
            "schema.prisma:8:3: foreign key field B.aId has @db.Text but references A.id, a UUID stored as 16 bytes");
}

TEST(SchemaClusterErrorTest, InvalidChoices) {
  const std::string base = R"(model User {
  id     Int    @id
  email  String @unique
  posts  Post[]
  drafts Post[] @relation("Drafts")
}
model Post {
  id         Int   @id
  authorId   Int
  author     User  @relation(fields: [authorId], references: [id])
  editorId   Int?
  editor     User? @relation("Drafts", fields: [editorId], references: [id])
  ownerEmail String
)";
  auto post = [&](const std::string& rest) { return base + rest + "}\n"; };
  EXPECT_TRUE(LoadSchema(post("  @@cluster(author)\n")).ok());
  EXPECT_EQ(ErrorOf(post("  @@cluster(writer)\n")),
            "schema.prisma:14:13: @@cluster(writer): model Post has no field writer");
  EXPECT_EQ(ErrorOf(post("  @@cluster(authorId)\n")),
            "schema.prisma:14:13: @@cluster(authorId) needs a relation field of Post, and authorId is a scalar field");
  EXPECT_EQ(ErrorOf(post("  @@cluster(editor)\n")),
            "schema.prisma:14:13: @@cluster(editor): the foreign key of Post.editor is optional, so a row could have "
            "no parent to be stored under");
  EXPECT_EQ(ErrorOf(post("  @@cluster(\"author\")\n")),
            "schema.prisma:14:13: @@cluster takes the relation field to cluster under: @@cluster(author)");
  EXPECT_EQ(ErrorOf(post("  @@cluster(author)\n  @@cluster(author)\n")),
            "schema.prisma:15:3: attribute @@cluster given twice on model Post");
  const std::string user_side = R"(model User {
  id    Int    @id
  posts Post[]
  @@cluster(posts)
}
model Post {
  id       Int  @id
  authorId Int
  author   User @relation(fields: [authorId], references: [id])
}
)";
  EXPECT_EQ(ErrorOf(user_side),
            "schema.prisma:4:13: @@cluster(posts): User.posts does not hold the foreign key of its relation; a model "
            "is clustered under the parent its own foreign key references");
  const std::string by_email = R"(model User {
  id    Int    @id
  email String @unique
  posts Post[]
}
model Post {
  id     Int    @id
  email  String
  author User   @relation(fields: [email], references: [email])
  @@cluster(author)
}
)";
  EXPECT_EQ(ErrorOf(by_email),
            "schema.prisma:10:13: @@cluster(author): Post.author references a unique key of User other than its "
            "primary key; rows are clustered under the parent's primary key");
  const std::string self = R"(model Node {
  id       Int    @id
  parentId Int
  parent   Node   @relation("Tree", fields: [parentId], references: [id])
  children Node[] @relation("Tree")
  @@cluster(parent)
}
)";
  EXPECT_EQ(ErrorOf(self),
            "schema.prisma:6:13: @@cluster(parent): a model cannot be clustered under itself (parent is a "
            "self-relation)");
}

TEST(SchemaClusterErrorTest, ExplicitCycle) {
  EXPECT_EQ(ErrorOf(R"(model A {
  id  Int @id
  b   B   @relation("AB", fields: [bId], references: [id])
  bId Int
  bs  B[] @relation("BA")
  @@cluster(b)
}
model B {
  id  Int @id
  a   A   @relation("BA", fields: [aId], references: [id])
  aId Int
  as  A[] @relation("AB")
  @@cluster(a)
}
)"),
            "schema.prisma:6:3: @@cluster makes a cycle: A -> B -> A would each be stored under the next");
}

// ---------------------------------------------------------------------------
// Literals

TEST(SchemaLiteralTest, Timestamps) {
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(ParseTimestampMicros("2000-02-29T00:00:00.000001z"), 951782400000001LL);
  EXPECT_EQ(ParseTimestampMicros("0000-01-01T00:00:00Z"), -62167219200000000LL);
  EXPECT_FALSE(ParseTimestampMicros("1900-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(ParseTimestampMicros("2024-01-01T00:00:00.1234567Z"));  // finer than microseconds
  EXPECT_FALSE(ParseTimestampMicros("2024-01-01T24:00:00Z"));
  EXPECT_FALSE(ParseTimestampMicros("2024-01-01 00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMicros("2024-01-01T00:00:00"));  // no offset
  EXPECT_FALSE(ParseTimestampMicros("0000-01-01T00:00:00+00:01"));  // before year 0
  EXPECT_EQ(FormatTimestampMicros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestampMicros(951782400000001LL), "2000-02-29T00:00:00.000001Z");
  for (int64_t v : {int64_t{0}, int64_t{-62167219200000000LL}, int64_t{253402300799999999LL}, int64_t{1234567}}) {
    EXPECT_EQ(ParseTimestampMicros(FormatTimestampMicros(v)), v);
  }
}

TEST(SchemaLiteralTest, Base64) {
  EXPECT_EQ(DecodeBase64("AAEC"), std::string("\0\1\2", 3));
  EXPECT_EQ(DecodeBase64("aGk="), "hi");
  EXPECT_EQ(DecodeBase64("aA=="), "h");
  EXPECT_FALSE(DecodeBase64("aA="));
  EXPECT_FALSE(DecodeBase64("a=A="));
  EXPECT_FALSE(DecodeBase64("aA==aGk="));
  EXPECT_EQ(EncodeBase64("hi"), "aGk=");
  EXPECT_EQ(EncodeBase64(std::string("\xff\x00", 2)), "/wA=");
}

TEST(SchemaLiteralTest, Json) {
  EXPECT_TRUE(IsValidJson(" {\"a\": [1, -0.5e+2, \"x\\u00e9\", true, false, null, {}]} "));
  EXPECT_TRUE(IsValidJson("0"));
  EXPECT_FALSE(IsValidJson(""));
  EXPECT_FALSE(IsValidJson("01"));
  EXPECT_FALSE(IsValidJson("[1,]"));
  EXPECT_FALSE(IsValidJson("{\"a\" 1}"));
  EXPECT_FALSE(IsValidJson("\"\\x\""));
  EXPECT_FALSE(IsValidJson("[1] 2"));
  EXPECT_TRUE(IsValidJson(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')));
  EXPECT_FALSE(IsValidJson(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']')));
}

TEST(SchemaLiteralTest, Numbers) {
  EXPECT_EQ(ParseInteger("-9223372036854775808", INT64_MIN, INT64_MAX), INT64_MIN);
  EXPECT_FALSE(ParseInteger("9223372036854775808", INT64_MIN, INT64_MAX));
  EXPECT_FALSE(ParseInteger("1e3", INT64_MIN, INT64_MAX));
  EXPECT_EQ(FormatFloat(2), "2.0");
  EXPECT_EQ(FormatFloat(-0.0), "-0.0");
  EXPECT_EQ(ParseFloat(FormatFloat(0.1)), 0.1);
  EXPECT_EQ(ParseFloat(FormatFloat(1e300)), 1e300);
}

TEST(SchemaLexerTest, TokensCarryLinesAndColumns) {
  std::vector<Token> t = Tokenize("model A {\n  x Int? @db.VarChar(-1.5e3) /// d\n}");
  ASSERT_EQ(t.size(), 18u);
  EXPECT_EQ(t[4].kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[4].loc.line, 2u);
  EXPECT_EQ(t[4].loc.column, 3u);
  EXPECT_EQ(t[6].kind, TokenKind::kQuestion);
  EXPECT_EQ(t[7].kind, TokenKind::kAt);
  EXPECT_EQ(t[12].kind, TokenKind::kNumber);
  EXPECT_EQ(t[12].text, "-1.5e3");
  EXPECT_EQ(t[14].kind, TokenKind::kDocComment);
  EXPECT_EQ(t[14].text, " d");
  EXPECT_EQ(t.back().kind, TokenKind::kEnd);
}

}  // namespace
}  // namespace ormdb::schema
