// Differential test of graph fetches: random rows and random findMany /
// findFirst / findUnique / count requests (filters with null semantics and
// case folding, relation filters, orderBy, cursor, skip, positive and
// negative take, distinct, nested select/include with their own windows,
// _count) run on ormDB and on SQLite holding the same rows, the answers
// compared as JSON text, order included. The generator walks the resolved
// schema, so it runs over every schema of the corpus (tests/data/schemas)
// and one of its own for the shapes the corpus lacks.
//
// Each round opens a fresh database, loads rows through create requests
// (ids as ormDB assigns them) and the same rows into SQLite, then runs its
// requests. A mismatch is shrunk to a minimal request and printed with the
// round's seed (ORMDB_TEST_SEED=<seed> runs that round first), both answers,
// the SQL the reference ran and the rows of the tables involved.
// ORMDB_TEST_SCALE=<n> runs n times as many rounds.
#include "tests/query_diff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/database.h"
#include "query/result.h"
#include "schema/literal.h"
#include "schema/value.h"
#include "tests/test_util.h"

namespace ormdb::querydiff {
namespace {

constexpr int kRoundsPerSchema = 6;
constexpr int kRequestsPerRound = 400;

// Shapes the corpus lacks: relations that reference a unique field other
// than the id (one of them a self-relation), a composite foreign key that
// is optional, a String id without a default, @map'ed fields and models, an
// enum whose database names sort unlike its declaration, a nullable unique
// field and a composite unique key with a nullable column, a self
// many-to-many relation, and indexes with descending nullable columns.
constexpr char kEdgeSchema[] = R"(
enum Level {
  LOW    @map("z_low")
  MEDIUM @map("a_medium")
  HIGH
}

model Account {
  handle      String    @id
  email       String    @unique
  nick        String?   @unique @map("nick_name")
  level       Level     @default(MEDIUM)
  score       Float?
  born        DateTime?
  avatar      Bytes?
  notes       Json?
  balance     Decimal?
  mentor      Account?  @relation("Mentoring", fields: [mentorEmail], references: [email])
  mentorEmail String?   @map("mentor_email")
  mentees     Account[] @relation("Mentoring")
  friends     Account[] @relation("Friends")
  friendOf    Account[] @relation("Friends")
  sessions    Session[]
  badges      Badge[]
  card        Card?

  @@map("accounts")
}

model Session {
  account      Account   @relation(fields: [accountEmail], references: [email], onDelete: Cascade)
  accountEmail String
  startedAt    DateTime
  seq          BigInt    @default(0)
  active       Boolean   @default(true)
  token        String?   @db.Uuid
  events       Event[]

  @@id([accountEmail, startedAt])
  @@index([active, seq(sort: Desc)])
}

model Event {
  id          BigInt    @id @default(autoincrement())
  session     Session?  @relation(fields: [sessAccount, sessStart], references: [accountEmail, startedAt])
  sessAccount String?
  sessStart   DateTime?
  kind        String
  at          Int?

  @@index([kind, at(sort: Desc)])
  @@map("events")
}

model Badge {
  code    String    @id
  label   String?
  holders Account[]
}

model Card {
  id          Int      @id @default(autoincrement())
  owner       Account? @relation(fields: [ownerHandle], references: [handle])
  ownerHandle String?  @unique @map("owner")
  number      Int
  expires     DateTime?

  @@unique([number, expires])
}
)";

std::string ReadCorpusFile(const std::string& name) {
  if (name == "edge.prisma") return kEdgeSchema;
  std::ifstream in(std::string(SCHEMA_CORPUS_DIR) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A value of a create's answer (query::Column::Get's form) as a cell.
Cell CellOf(const SchemaView& sv, const StoredColumn& c, const schema::Value& v) {
  if (v.is_null()) return Cell::Null();
  switch (c.cls) {
    case FieldClass::kBool: return Cell::Int(v.bool_value() ? 1 : 0);
    case FieldClass::kInt: return Cell::Int(v.int32_value());
    case FieldClass::kBigInt:
    case FieldClass::kDateTime: return Cell::Int(v.int64_value());
    case FieldClass::kFloat: return Cell::Real(v.double_value());
    case FieldClass::kDecimal:
    case FieldClass::kText:
    case FieldClass::kJson: return Cell::Text(v.string_value());
    case FieldClass::kEnum: return Cell::Text(sv.EnumDbName(c, v.string_value()));
    case FieldClass::kUuid: return Cell::Text(schema::FormatUuid(v.bytes_value()));
    case FieldClass::kBytes: return Cell::Blob(v.bytes_value());
  }
  return Cell::Null();
}

// Writes the same random rows to both systems: first model by model,
// parents before children, then updates and deletes between the requests.
// Values come from the small domains (so filters and orders tie) except in
// single-field unique keys; required foreign keys name existing rows,
// optional ones are sometimes null, self-relations name earlier rows, and
// many-to-many links are connected from the side created later. Every value
// is given (but autoincrement ids and, sometimes, constant defaults), so a
// seed reproduces the same rows.
class RowWriter {
 public:
  RowWriter(const SchemaView& sv, engine::Database* db, Reference* ref, Dataset* data, std::mt19937_64* rng)
      : sv_(sv), db_(db), ref_(ref), data_(data), rng_(rng), unique_(sv.size()) {
    for (size_t m = 0; m < sv.size(); ++m) unique_[m].resize(sv.model(ModelAt(m)).unique_keys.size());
  }

  // False (with a failure reported) when a create fails.
  bool Load() {
    const std::vector<schema::ModelIndex> order = CreationOrder();
    std::map<uint32_t, size_t> position;
    for (size_t i = 0; i < order.size(); ++i) position[order[i].value()] = i;
    // Each many-to-many relation is connected from the side created later.
    for (const schema::Relation& r : sv_.schema().relations) {
      if (r.kind != schema::RelationKind::kManyToMany || !r.from.field || !r.to.field) continue;
      const bool from_later = position[r.from.model.value()] >= position[r.to.model.value()];
      connects_[(from_later ? r.from.model : r.to.model).value()].push_back(from_later ? *r.from.field : *r.to.field);
    }
    for (schema::ModelIndex m : order) {
      const size_t rows = Chance(0.05) ? 0 : 3 + Uniform(20);
      for (size_t i = 0; i < rows; ++i) {
        if (!CreateRow(m)) return false;
      }
    }
    return true;
  }

  // Changes some fields of a random row: plain and unique values, and
  // foreign keys (which moves a clustered row under another parent).
  // Primary keys and keys other rows refer to stay. False (with a failure)
  // when the update fails.
  bool UpdateRow() {
    const std::optional<schema::ModelIndex> pick = ModelWithRows();
    if (!pick) return true;
    const schema::ModelIndex m = *pick;
    const ModelView& mv = sv_.model(m);
    std::vector<Row>& rows = data_->rows[m.value()];
    const size_t at = Uniform(rows.size());
    const Row old = rows[at];
    Keys(m, old, false);  // the row may keep its own keys
    // New values from a fresh row, whose foreign keys name existing rows.
    Row fresh;
    std::vector<bool> given;
    if (!GenRow(m, &fresh, &given)) {
      Keys(m, old, true);
      return true;
    }
    // Keys other rows refer to stay: changing one cascades (onUpdate),
    // which is the mutation tests' business.
    std::vector<bool> fixed(mv.columns.size(), false);
    for (size_t c : mv.pk) fixed[c] = true;
    for (const schema::Relation& r : sv_.schema().relations) {
      if (r.kind == schema::RelationKind::kManyToMany || r.to.model != m) continue;
      for (size_t c : Columns(m, r.referenced_fields)) fixed[c] = true;
    }
    Row wanted = old;
    std::vector<bool> set(mv.columns.size(), false);
    for (const std::vector<size_t>& g : ColumnGroups(m)) {
      const bool key = std::any_of(g.begin(), g.end(), [&](size_t c) { return fixed[c] || !given[c]; });
      // @updatedAt is always given, so the row's new value is known.
      const bool updated_at = g.size() == 1 && mv.column(g[0]).field->updated_at;
      if (key || !(updated_at || Chance(0.35))) continue;
      for (size_t c : g) {
        wanted[c] = fresh[c];
        set[c] = true;
      }
    }
    if (!UniqueOk(m, wanted)) {
      Keys(m, old, true);
      return true;
    }
    std::string request;
    json::Writer w(&request);
    w.BeginObject();
    w.Key("update");
    w.String(mv.model->name);
    w.Key("where");
    WritePrimaryKey(mv, old, &w);
    w.Key("data");
    w.BeginObject();
    for (size_t c = 0; c < mv.columns.size(); ++c) {
      if (!set[c]) continue;
      w.Key(mv.name(c));
      WriteValueJson(sv_, mv.column(c), wanted[c], &w);
    }
    w.EndObject();
    w.EndObject();
    Row stored;
    if (!Write(m, request, wanted, set, &stored)) return false;
    for (size_t c = 0; c < mv.columns.size(); ++c) {
      if (!set[c] && !mv.column(c).field->updated_at && !(stored[c] == old[c])) {
        ADD_FAILURE() << mv.model->name << "." << mv.name(c) << " changed, and the update did not set it: " << request;
        return false;
      }
    }
    for (const std::string& e : {ref_->Delete(m, old), ref_->Insert(m, stored)}) {
      if (!e.empty()) {
        ADD_FAILURE() << "SQLite: " << e << " updating as " << request;
        return false;
      }
    }
    Keys(m, stored, true);
    rows[at] = std::move(stored);
    return true;
  }

  // Deletes a random row nothing refers to (so no onDelete action runs:
  // those are query_mutation_test's). False (with a failure) when the
  // delete fails.
  bool DeleteRow() {
    const std::optional<schema::ModelIndex> pick = ModelWithRows();
    if (!pick) return true;
    const schema::ModelIndex m = *pick;
    const ModelView& mv = sv_.model(m);
    std::vector<Row>& rows = data_->rows[m.value()];
    const size_t at = Uniform(rows.size());
    const Row row = rows[at];
    for (const schema::Relation& r : sv_.schema().relations) {
      if (r.kind == schema::RelationKind::kManyToMany || r.to.model != m) continue;
      const std::vector<size_t> fk = Columns(r.from.model, r.fk_fields);
      const std::vector<size_t> ref = Columns(m, r.referenced_fields);
      for (const Row& other : data_->rows[r.from.model.value()]) {
        bool refers = true;
        for (size_t i = 0; i < fk.size(); ++i)
          refers = refers && !other[fk[i]].is_null() && other[fk[i]] == row[ref[i]];
        if (refers) return true;
      }
    }
    std::string request;
    json::Writer w(&request);
    w.BeginObject();
    w.Key("delete");
    w.String(mv.model->name);
    w.Key("where");
    WritePrimaryKey(mv, row, &w);
    w.EndObject();
    Result<query::QueryResult> r = db_->Execute(request);
    if (!r.ok()) {
      ADD_FAILURE() << "delete failed: " << request << "\n" << r.status().ToString();
      return false;
    }
    EXPECT_EQ(query::ToJson(*r), ref_->RowJson(m, row)) << request;
    if (std::string e = ref_->Delete(m, row); !e.empty()) {
      ADD_FAILURE() << "SQLite: " << e << " deleting as " << request;
      return false;
    }
    Keys(m, row, false);
    rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(at));
    return true;
  }

 private:
  static schema::ModelIndex ModelAt(size_t i) { return schema::ModelIndex(static_cast<uint32_t>(i)); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(*rng_) < p; }
  size_t Uniform(size_t n) { return static_cast<size_t>((*rng_)() % n); }

  std::vector<size_t> Columns(schema::ModelIndex m, const std::vector<schema::FieldIndex>& fields) const {
    std::vector<size_t> cols;
    for (schema::FieldIndex f : fields) cols.push_back(static_cast<size_t>(sv_.model(m).column_of_field[f.value()]));
    return cols;
  }

  // Declared models with every model after those its foreign keys name. A
  // cycle is broken at a model whose unmet foreign keys are all optional:
  // those stay null.
  std::vector<schema::ModelIndex> CreationOrder() {
    std::vector<schema::ModelIndex> declared, order;
    for (const schema::Model& m : sv_.schema().models) {
      if (!m.join_of) declared.push_back(m.index);
    }
    std::set<uint32_t> done;
    auto unmet = [&](schema::ModelIndex m) {
      std::vector<const schema::Relation*> out;
      for (const schema::Relation& r : sv_.schema().relations) {
        if (r.kind == schema::RelationKind::kManyToMany || r.from.model != m || r.to.model == m) continue;
        if (!done.count(r.to.model.value())) out.push_back(&r);
      }
      return out;
    };
    while (order.size() < declared.size()) {
      bool progressed = false;
      for (schema::ModelIndex m : declared) {
        if (done.count(m.value()) || !unmet(m).empty()) continue;
        order.push_back(m);
        done.insert(m.value());
        progressed = true;
      }
      if (progressed) continue;
      bool broken = false;
      for (schema::ModelIndex m : declared) {
        if (done.count(m.value())) continue;
        std::vector<const schema::Relation*> rels = unmet(m);
        if (std::any_of(rels.begin(), rels.end(), [](const schema::Relation* r) { return r->required; })) continue;
        for (const schema::Relation* r : rels) nulled_.insert(r->index.value());
        order.push_back(m);
        done.insert(m.value());
        broken = true;
        break;
      }
      if (!broken) {
        ADD_FAILURE() << "required foreign keys form a cycle: no order to create the models in";
        break;
      }
    }
    return order;
  }

  // A value no other row of a single-field unique key has.
  Cell UniqueValue(const StoredColumn& c) {
    const int64_t n = ++counter_;
    switch (c.cls) {
      case FieldClass::kText: {
        static const std::vector<std::string> kWords = {"alpha", "Alpha", "beta", "ZETA",
                                                        "\xC3\xA9"
                                                        "clair"};
        return Cell::Text(kWords[Uniform(kWords.size())] + "-" + std::to_string(n));
      }
      case FieldClass::kUuid: return Cell::Text(RandomUuid(*rng_));
      case FieldClass::kBytes: return Cell::Blob(testing::RandomBytes(*rng_, 8));
      case FieldClass::kDateTime: return Cell::Int(1704067200000000 + n * 1000000);
      case FieldClass::kFloat: return Cell::Real(static_cast<double>(n) / 4);
      case FieldClass::kDecimal: return Cell::Text(std::to_string(n) + ".5");
      case FieldClass::kJson: return Cell::Text("[" + std::to_string(n) + "]");
      case FieldClass::kInt:
      case FieldClass::kBigInt: return Cell::Int(n);
      default: return DomainValue(sv_, c, *rng_);
    }
  }

  bool SingleUnique(const ModelView& mv, size_t c) const {
    return std::any_of(mv.unique_keys.begin(), mv.unique_keys.end(),
                       [&](const std::vector<size_t>& k) { return k.size() == 1 && k[0] == c; });
  }

  // A row of `m` whose keys are new and whose foreign keys name existing
  // rows; `given` marks the fields the create sets. False when none could be made.
  bool GenRow(schema::ModelIndex m, Row* row, std::vector<bool>* given) {
    const ModelView& mv = sv_.model(m);
    row->assign(mv.columns.size(), Cell::Null());
    given->assign(mv.columns.size(), false);
    std::vector<const schema::Relation*> rels;
    for (const schema::Relation& r : sv_.schema().relations) {
      if (r.kind != schema::RelationKind::kManyToMany && r.from.model == m) rels.push_back(&r);
    }
    // Wider keys first: a composite foreign key fixes columns a narrower
    // one (sharing them) must then agree with.
    std::stable_sort(rels.begin(), rels.end(), [](const schema::Relation* a, const schema::Relation* b) {
      return a->fk_fields.size() > b->fk_fields.size();
    });
    for (const schema::Relation* r : rels) {
      const std::vector<size_t> fk = Columns(m, r->fk_fields);
      const std::vector<size_t> ref = Columns(r->to.model, r->referenced_fields);
      std::vector<const Row*> candidates;
      if (!nulled_.count(r->index.value())) {
        for (const Row& t : data_->rows[r->to.model.value()]) {
          bool agrees = true;
          for (size_t i = 0; i < fk.size(); ++i) {
            if ((*given)[fk[i]] && !(*row)[fk[i]].is_null() && !((*row)[fk[i]] == t[ref[i]])) agrees = false;
          }
          if (agrees) candidates.push_back(&t);
        }
      }
      if (!r->required && (candidates.empty() || Chance(0.2))) {
        for (size_t c : fk) {
          if (!(*given)[c] && mv.column(c).field->optional) {
            (*row)[c] = Cell::Null();
            (*given)[c] = true;
          }
        }
        continue;
      }
      if (candidates.empty()) return false;
      const Row& t = *candidates[Uniform(candidates.size())];
      for (size_t i = 0; i < fk.size(); ++i) {
        if ((*given)[fk[i]]) continue;
        (*row)[fk[i]] = t[ref[i]];
        (*given)[fk[i]] = true;
      }
    }
    for (size_t c = 0; c < mv.columns.size(); ++c) {
      if ((*given)[c]) continue;
      const schema::Field& f = *mv.column(c).field;
      if (f.default_value.kind == schema::DefaultKind::kAutoincrement) continue;
      if (f.default_value.kind == schema::DefaultKind::kConstant && Chance(0.3)) continue;
      (*given)[c] = true;
      if (f.optional && Chance(0.2)) continue;  // null
      (*row)[c] = SingleUnique(mv, c) ? UniqueValue(mv.column(c)) : DomainValue(sv_, mv.column(c), *rng_);
    }
    // Keys the create would clash on (those with a defaulted column are new).
    return UniqueOk(m, *row, *given);
  }

  // Whether no other row has the row's unique keys (skipping keys with a
  // column not `given`, which gets a new generated value).
  bool UniqueOk(schema::ModelIndex m, const Row& row, const std::vector<bool>& given = {}) const {
    const ModelView& mv = sv_.model(m);
    for (size_t k = 0; k < mv.unique_keys.size(); ++k) {
      std::vector<Cell> key;
      bool known = true;
      for (size_t c : mv.unique_keys[k]) {
        known = known && (given.empty() || given[c]);
        key.push_back(row[c]);
      }
      if (known && !AnyNull(key) && unique_[m.value()][k].count(KeyOf(key))) return false;
    }
    return true;
  }

  // Adds (or removes) the row's unique keys to the sets GenRow checks.
  void Keys(schema::ModelIndex m, const Row& row, bool add) {
    const ModelView& mv = sv_.model(m);
    for (size_t k = 0; k < mv.unique_keys.size(); ++k) {
      std::vector<Cell> key;
      for (size_t c : mv.unique_keys[k]) key.push_back(row[c]);
      if (AnyNull(key)) continue;
      if (add) {
        unique_[m.value()][k].insert(KeyOf(key));
      } else {
        unique_[m.value()][k].erase(KeyOf(key));
      }
    }
  }

  // Runs a create or update of a row of `m` that sets the `given` fields to
  // `wanted`; *stored is the row as the answer has it (generated values
  // included), which must hold the given values and read as a fetch would.
  bool Write(schema::ModelIndex m, const std::string& request, const Row& wanted, const std::vector<bool>& given,
             Row* stored) {
    const ModelView& mv = sv_.model(m);
    Result<query::QueryResult> r = db_->Execute(request);
    if (!r.ok()) {
      ADD_FAILURE() << "write failed: " << request << "\n" << r.status().ToString();
      return false;
    }
    const query::EntityBlock& block = r->entities[0];
    stored->assign(mv.columns.size(), Cell::Null());
    for (size_t c = 0; c < mv.columns.size(); ++c) {
      const query::Column* col = block.FindColumn(mv.name(c));
      if (col == nullptr || block.rows != 1) {
        ADD_FAILURE() << "the write answered without " << mv.name(c) << ": " << request;
        return false;
      }
      (*stored)[c] = CellOf(sv_, mv.column(c), col->Get(0));
      // Decimal and Json values come back in their normal form.
      const FieldClass cls = mv.column(c).cls;
      if (given[c] && cls != FieldClass::kDecimal && cls != FieldClass::kJson && !((*stored)[c] == wanted[c])) {
        std::string want, got;
        json::Writer ww(&want), wg(&got);
        WriteValueJson(sv_, mv.column(c), wanted[c], &ww);
        WriteValueJson(sv_, mv.column(c), (*stored)[c], &wg);
        ADD_FAILURE() << mv.model->name << "." << mv.name(c) << " was written as " << want << " but stored as " << got
                      << ": " << request;
        return false;
      }
    }
    EXPECT_EQ(query::ToJson(*r), ref_->RowJson(m, *stored)) << request;
    return true;
  }

  // The row's primary key as a where object.
  void WritePrimaryKey(const ModelView& mv, const Row& row, json::Writer* w) const {
    w->BeginObject();
    for (size_t c : mv.pk) {
      w->Key(mv.name(c));
      WriteValueJson(sv_, mv.column(c), row[c], w);
    }
    w->EndObject();
  }

  // A declared model with rows, or none.
  std::optional<schema::ModelIndex> ModelWithRows() {
    std::vector<schema::ModelIndex> models;
    for (const schema::Model& m : sv_.schema().models) {
      if (!m.join_of && !data_->rows[m.index.value()].empty()) models.push_back(m.index);
    }
    if (models.empty()) return std::nullopt;
    return models[Uniform(models.size())];
  }

  // Columns that change together: those of foreign keys sharing a column
  // (a composite key and a narrower one over part of it), else one each.
  std::vector<std::vector<size_t>> ColumnGroups(schema::ModelIndex m) const {
    const ModelView& mv = sv_.model(m);
    std::vector<size_t> group(mv.columns.size());
    for (size_t c = 0; c < group.size(); ++c) group[c] = c;
    auto find = [&](size_t c) {
      while (group[c] != c) c = group[c];
      return c;
    };
    for (const schema::Relation& r : sv_.schema().relations) {
      if (r.kind == schema::RelationKind::kManyToMany || r.from.model != m) continue;
      const std::vector<size_t> fk = Columns(m, r.fk_fields);
      for (size_t c : fk) group[find(c)] = find(fk[0]);
    }
    std::map<size_t, std::vector<size_t>> by_root;
    for (size_t c = 0; c < group.size(); ++c) by_root[find(c)].push_back(c);
    std::vector<std::vector<size_t>> out;
    for (auto& [root, cols] : by_root) out.push_back(std::move(cols));
    return out;
  }

  bool CreateRow(schema::ModelIndex m) {
    const ModelView& mv = sv_.model(m);
    Row row;
    std::vector<bool> given;
    bool made = false;
    for (int attempt = 0; attempt < 20 && !made; ++attempt) made = GenRow(m, &row, &given);
    if (!made) return true;  // e.g. every parent of a one-to-one has its child

    std::string request;
    json::Writer w(&request);
    w.BeginObject();
    w.Key("create");
    w.String(mv.model->name);
    w.Key("data");
    w.BeginObject();
    for (size_t c = 0; c < mv.columns.size(); ++c) {
      if (!given[c]) continue;
      w.Key(mv.name(c));
      WriteValueJson(sv_, mv.column(c), row[c], &w);
    }
    // Many-to-many links to rows created before.
    struct JoinRow {
      schema::ModelIndex join;
      Link link;
      const Row* target;
    };
    std::vector<JoinRow> joins;
    for (schema::FieldIndex f : connects_[m.value()]) {
      const Link link = sv_.LinkOf(m, sv_.field(m, f));
      const std::vector<Row>& targets = data_->rows[link.target.value()];
      if (targets.empty()) continue;
      std::vector<size_t> picks(targets.size());
      for (size_t i = 0; i < picks.size(); ++i) picks[i] = i;
      std::shuffle(picks.begin(), picks.end(), *rng_);
      picks.resize(std::min(picks.size(), Uniform(4)));
      if (picks.empty()) continue;
      const ModelView& tv = sv_.model(link.target);
      w.Key(sv_.field(m, f).name);
      w.BeginObject();
      w.Key("connect");
      const bool list = picks.size() > 1 || Chance(0.5);
      if (list) w.BeginArray();
      for (size_t i : picks) {
        w.BeginObject();
        for (size_t c : tv.pk) {
          w.Key(tv.name(c));
          WriteValueJson(sv_, tv.column(c), targets[i][c], &w);
        }
        w.EndObject();
        joins.push_back(JoinRow{link.join, link, &targets[i]});
      }
      if (list) w.EndArray();
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();

    Row stored;
    if (!Write(m, request, row, given, &stored)) return false;
    if (std::string e = ref_->Insert(m, stored); !e.empty()) {
      ADD_FAILURE() << "SQLite: " << e << " storing the row of " << request;
      return false;
    }
    Keys(m, stored, true);
    for (const JoinRow& j : joins) {
      const ModelView& jv = sv_.model(j.join);
      Row link_row(jv.columns.size());
      for (size_t i = 0; i < j.link.here.size(); ++i) link_row[j.link.join_near[i]] = stored[j.link.here[i]];
      for (size_t i = 0; i < j.link.there.size(); ++i) link_row[j.link.join_far[i]] = (*j.target)[j.link.there[i]];
      if (std::string e = ref_->Insert(j.join, link_row); !e.empty()) {
        ADD_FAILURE() << "SQLite: " << e << " storing a link of " << request;
        return false;
      }
      data_->rows[j.join.value()].push_back(std::move(link_row));
    }
    data_->rows[m.value()].push_back(std::move(stored));
    return true;
  }

  const SchemaView& sv_;
  engine::Database* db_;
  Reference* ref_;
  Dataset* data_;
  std::mt19937_64* rng_;
  std::vector<std::vector<std::set<std::string>>> unique_;        // per model, per unique key: KeyOf the rows' values
  std::map<uint32_t, std::vector<schema::FieldIndex>> connects_;  // model -> many-to-many fields it connects
  std::set<uint32_t> nulled_;                                     // relations left null to break a cycle
  int64_t counter_ = 0;
};

// The models a request reads (for printing their rows with a failure).
void Touched(const SchemaView& sv, schema::ModelIndex m, const WhereObject& w, std::set<uint32_t>* out);

void TouchedLink(const SchemaView& sv, schema::ModelIndex m, schema::FieldIndex f, std::set<uint32_t>* out) {
  const Link link = sv.LinkOf(m, sv.field(m, f));
  out->insert(link.target.value());
  if (link.kind == Link::Kind::kJoin) out->insert(link.join.value());
}

void Touched(const SchemaView& sv, schema::ModelIndex m, const WhereObject& w, std::set<uint32_t>* out) {
  for (const WhereEntry& e : w.entries) {
    if (e.kind == WhereEntry::Kind::kRelation) {
      TouchedLink(sv, m, e.relation, out);
      for (const RelationFilter::Part& p : e.related.parts) {
        if (!p.inner.empty()) Touched(sv, sv.field(m, e.relation).related_model, p.inner[0], out);
      }
    }
    for (const WhereObject& g : e.group) Touched(sv, m, g, out);
  }
}

void Touched(const SchemaView& sv, const Level& l, std::set<uint32_t>* out) {
  out->insert(l.model.value());
  if (!l.where.empty()) Touched(sv, l.model, l.where[0], out);
  for (const CountSpec& c : CountsInOrder(sv, l)) {
    TouchedLink(sv, l.model, c.field, out);
    if (!c.where.empty()) Touched(sv, sv.field(l.model, c.field).related_model, c.where[0], out);
  }
  for (const Level& child : l.children) {
    TouchedLink(sv, l.model, child.via, out);
    Touched(sv, child, out);
  }
}

bool Chance(std::mt19937_64& rng, double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

// One request's answers from both systems.
struct Outcome {
  std::string ormdb;
  std::string sqlite;
  bool ormdb_failed = false;  // an error instead of an answer
  bool differs() const { return ormdb_failed || ormdb != sqlite; }
};

class QueryDiffTest : public ::testing::TestWithParam<const char*> {
 protected:
  // One round: a fresh database and rows from `seed`, then `requests`
  // requests. False when it found a mismatch (reported).
  bool RunRound(const std::string& schema_text, uint64_t seed, int requests) {
    testing::TempDir dir;
    engine::DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    Result<std::unique_ptr<engine::Database>> opened = engine::Database::Open(dir.path(), o);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return false;
    const std::unique_ptr<engine::Database> db = std::move(opened).value();  // closes before `dir` goes
    db_ = db.get();
    Result<std::shared_ptr<const engine::Catalog>> catalog = db_->InstallSchema(GetParam(), schema_text);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    if (!catalog.ok()) return false;
    const SchemaView sv((*catalog)->schema());
    Reference ref(sv);
    Dataset data;
    data.rows.resize(sv.size());
    std::mt19937_64 rng(seed);
    RowWriter writer(sv, db_, &ref, &data, &rng);
    if (!writer.Load()) {
      ADD_FAILURE() << "loading rows, seed " << seed;
      return false;
    }
    RequestGenerator gen(sv, data, &rng);
    for (int i = 0; i < requests; ++i) {
      // Reads see rows that changed, and indexes and clusters that moved.
      if (Chance(rng, 0.1) && !(Chance(rng, 0.7) ? writer.UpdateRow() : writer.DeleteRow())) {
        ADD_FAILURE() << "a write between requests failed in the round with seed " << seed;
        return false;
      }
      Request r = gen.Next();
      Outcome out = Run(sv, &ref, r);
      ++cases_;
      if (out.ormdb != "[]" && out.ormdb != "null" && out.ormdb != "0") ++nonempty_;
      if (!out.differs()) continue;
      Report(sv, &ref, seed, i, r, out);
      return false;
    }
    return true;
  }

  Outcome Run(const SchemaView& sv, Reference* ref, const Request& r) {
    Outcome out;
    const std::string text = RequestJson(sv, r);
    Result<query::QueryResult> res = db_->Execute(text);
    if (!res.ok()) {
      out.ormdb_failed = true;
      out.ormdb = "error: " + res.status().ToString();
    } else {
      out.ormdb = query::ToJson(*res);
      // The answer survives the result format unchanged.
      Result<query::QueryResult> back = query::QueryResult::Decode(res->Encode());
      if (!back.ok()) {
        out.ormdb += "  (the encoded result does not decode: " + back.status().ToString() + ")";
      } else if (query::ToJson(*back) != out.ormdb) {
        out.ormdb += "  (decoded from the result format: " + query::ToJson(*back) + ")";
      }
    }
    out.sqlite = ref->Answer(r);
    return out;
  }

  // Shrinks the request while it still fails the same way, then prints it.
  void Report(const SchemaView& sv, Reference* ref, uint64_t seed, int index, const Request& original,
              const Outcome& first) {
    Request best = original;
    Outcome best_out = first;
    for (bool progress = true; progress;) {
      progress = false;
      for (int k = 0;; ++k) {
        Request c = best;
        if (!Simplify(&c, k)) break;
        Outcome o = Run(sv, ref, c);
        if (o.differs() && o.ormdb_failed == first.ormdb_failed) {
          best = std::move(c);
          best_out = std::move(o);
          progress = true;
          break;
        }
      }
    }
    ref->Answer(best);  // the statements of the minimal request
    std::string sql;
    for (const std::string& s : ref->statements()) sql += s + ";\n";
    std::set<uint32_t> touched;
    Touched(sv, best.root, &touched);
    std::vector<schema::ModelIndex> models;
    for (uint32_t m : touched) models.push_back(schema::ModelIndex(m));
    ADD_FAILURE() << GetParam() << ": request " << index << " of the round with seed " << seed
                  << " (ORMDB_TEST_SEED=" << seed << " runs it first)\n"
                  << "request: " << RequestJson(sv, original) << "\n"
                  << "minimal: " << RequestJson(sv, best) << "\n"
                  << "ormDB:   " << best_out.ormdb << "\n"
                  << "SQLite:  " << best_out.sqlite << "\n"
                  << "SQLite ran:\n"
                  << sql << "rows:\n"
                  << ref->Dump(models);
  }

  engine::Database* db_ = nullptr;  // the round's
  uint64_t cases_ = 0;
  uint64_t nonempty_ = 0;  // answers other than [], null and 0
};

TEST_P(QueryDiffTest, GraphFetchesMatchSqlite) {
  const std::string text = ReadCorpusFile(GetParam());
  ASSERT_FALSE(text.empty()) << "cannot read " << GetParam();
  const uint64_t seed = testing::TestSeed();
  const int rounds = std::max(1, static_cast<int>(kRoundsPerSchema * testing::TestScale()));
  std::printf("%s: seed %" PRIu64 " (ORMDB_TEST_SEED to reproduce), %d rounds\n", GetParam(), seed, rounds);
  std::fflush(stdout);  // the seed must show even if the test crashes
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < rounds; ++round) {
    if (!RunRound(text, seed + static_cast<uint64_t>(round), kRequestsPerRound)) break;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %" PRIu64 " requests compared (%" PRIu64 "%% of the answers not empty) in %.1f s\n", GetParam(),
              cases_, cases_ == 0 ? 0 : nonempty_ * 100 / cases_, seconds);
}

INSTANTIATE_TEST_SUITE_P(Corpus, QueryDiffTest,
                         ::testing::Values("blog.prisma", "shop.prisma", "saas.prisma", "edge.prisma"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace ormdb::querydiff
