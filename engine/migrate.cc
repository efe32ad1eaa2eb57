// Migrations: planning against the stored rows, and running a plan
// (Database::Migrate). See docs/migrations.md for the grades and the rules.
#include <cstdio>
#include <ctime>
#include <set>
#include <shared_mutex>

#include "engine/database.h"
#include "engine/keyspace.h"
#include "engine/row_text.h"
#include "schema/convert.h"
#include "schema/resolve.h"
#include "util/coding.h"

namespace ormdb::engine {

using schema::StepKind;
using schema::StorageType;
using schema::Value;
using Row = std::vector<Value>;

namespace {

// What the planner asks of the stored rows, answered from a snapshot.
class StoredFacts final : public schema::DataFacts {
 public:
  StoredFacts(Database* db, std::shared_ptr<const Catalog> catalog) : db_(db), catalog_(std::move(catalog)) {}

  bool ModelHasRows(std::string_view db_name) const override {
    const ModelInfo* m = Find(db_name);
    if (m == nullptr) return false;
    auto t = db_->Begin();
    auto rows = t->Scan(m->name(), ScanSpec{.limit = 1});
    return !rows.ok() || !rows->empty();  // in doubt, assume rows
  }

  bool EnumValueInUse(std::string_view enum_db_name, std::string_view value_db_name) const override {
    const schema::Schema& s = catalog_->schema();
    const schema::Enum* e = nullptr;
    for (const schema::Enum& x : s.enums) {
      if (x.db_name == enum_db_name) e = &x;
    }
    if (e == nullptr) return false;
    std::string value;  // rows hold the value's name
    for (const schema::EnumValue& v : e->values) {
      if (v.db_name == value_db_name) value = v.name;
    }
    auto t = db_->Begin();
    for (const ModelInfo& m : catalog_->models()) {
      for (const FieldInfo& f : m.fields) {
        if (f.type != schema::StorageType::kEnum || f.def->enum_type != e->index) continue;
        auto rows = t->Scan(m.name(), {});
        if (!rows.ok()) return true;
        for (const Fields& r : *rows) {
          auto it = r.find(f.def->name);
          if (it != r.end() && !it->second.is_null() && it->second.string_value() == value) return true;
        }
      }
    }
    return false;
  }

 private:
  const ModelInfo* Find(std::string_view db_name) const {
    for (const ModelInfo& m : catalog_->models()) {
      if (m.def->db_name == db_name) return &m;
    }
    return nullptr;
  }

  Database* db_;
  std::shared_ptr<const Catalog> catalog_;
};

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm;
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Steps that rewrite every row of their model: a new type, key, place in
// the keyspace, a value computed per row, or enum values that stop existing.
bool RewritesRows(const schema::MigrationStep& s) {
  switch (s.kind) {
    case StepKind::kChangeFieldType:
    case StepKind::kChangePrimaryKey:
    case StepKind::kRecluster:
    case StepKind::kAddFieldWithBackfill:
      return true;
    case StepKind::kChangeFieldEnum:
      return s.grade == schema::Grade::kD;
    default:
      return false;
  }
}

const ModelInfo* ByDbName(const Catalog& c, std::string_view db_name) {
  for (const ModelInfo& m : c.models()) {
    if (m.def->db_name == db_name) return &m;
  }
  return nullptr;
}

// Takes every gate exclusively without holding some while waiting for
// another (a writer may hold one and wait for the next): on a busy gate,
// let go of all, wait for that one, retry.
std::vector<std::unique_lock<std::shared_mutex>> LockAll(std::vector<std::shared_ptr<std::shared_mutex>> gates) {
  std::vector<std::unique_lock<std::shared_mutex>> held;
  size_t first = 0;
  for (;;) {
    held.clear();
    held.emplace_back(*gates[first]);
    bool all = true;
    for (size_t i = 0; i < gates.size() && all; ++i) {
      if (i == first) continue;
      std::unique_lock<std::shared_mutex> l(*gates[i], std::try_to_lock);
      if (!l.owns_lock()) {
        all = false;
        first = i;
      } else {
        held.push_back(std::move(l));
      }
    }
    if (all) return held;
  }
}

constexpr char kPendingRewriteTag = 'M';
// What a migration drops once it has switched: the catalogs whose models and
// indexes the current one lacks. Written with the switch, removed when the
// drops are done; an open finishes them after a crash.
constexpr char kPendingDropTag = 'D';

std::string EncodeCatalogs(std::initializer_list<const Catalog*> catalogs) {
  std::string out;
  coding::PutVarint64(&out, catalogs.size());
  for (const Catalog* c : catalogs) {
    std::string bytes = c->Encode();
    coding::PutVarint64(&out, bytes.size());
    out += bytes;
  }
  return out;
}

bool Validates(StepKind k) { return k == StepKind::kMakeRequired || k == StepKind::kAddForeignKey; }

template <typename F>
Status RetryOnConflict(F&& attempt) {
  for (int i = 0;; ++i) {
    Status st = attempt();
    if (!st.IsConflict() || i >= 1000) return st;
  }
}

}  // namespace

// ---------------------------------------------------------------- planning

Result<schema::MigrationPlan> Database::PlanMigration(std::string_view file_name, std::string_view text) {
  std::shared_ptr<const Catalog> base = catalog();
  ASSIGN_OR_RETURN(schema::Schema target, schema::LoadSchema(text, file_name));
  StoredFacts facts(this, base);
  return schema::PlanMigration(base->version() == 0 ? nullptr : &base->schema(), target, facts);
}

Result<std::string> Database::MigrationRecord(uint32_t version) {
  std::string record;
  RETURN_IF_ERROR(store_->BeginRead()->Get(CatalogKey(kMigrationRecordTag, version), &record));
  return record;
}

// ---------------------------------------------------------------- applying

Result<MigrateResult> Database::Migrate(std::string file_name, std::string text, const MigrateOptions& options) {
  std::lock_guard migrating(migrate_mu_);
  std::shared_ptr<const Catalog> base = catalog();
  if (base->building()) {
    return Status::Busy("schema version " + std::to_string(base->version()) +
                        " has an unfinished index build; reopen the database to finish it first");
  }
  MigrateResult result;
  ASSIGN_OR_RETURN(result.plan, PlanMigration(file_name, text));
  result.version = base->version();
  if (result.plan.steps.empty()) return result;

  std::string refused;
  bool validates = false;
  std::set<std::string> rewrite;  // database names of models whose rows are rewritten
  for (const schema::MigrationStep& s : result.plan.steps) {
    if (s.grade == schema::Grade::kD && !options.allow_destructive) {
      refused += "\n  [D] " + s.description + " (" + s.reason + ")";
    }
    if (RewritesRows(s)) rewrite.insert(s.model);
    validates = validates || Validates(s.kind);
  }
  if (!refused.empty()) {
    return Status::InvalidArgument("the migration destroys data (grade D); rerun with --allow-destructive to apply:" +
                                   refused);
  }

  // Rows clustered under a rewritten model's rows move with them.
  ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> probe,
                   Catalog::Build(base->version() + 1, file_name, text, base->ids()));
  for (bool grew = !rewrite.empty(); grew;) {
    grew = false;
    for (const Catalog* c : {base.get(), probe.get()}) {
      for (const ModelInfo& m : c->models()) {
        if (!m.cluster || rewrite.count(m.def->db_name)) continue;
        if (rewrite.count(c->models()[m.cluster->parent].def->db_name) && ByDbName(*base, m.def->db_name)) {
          grew = rewrite.insert(m.def->db_name).second || grew;
        }
      }
    }
  }
  // The new version: rewritten models get new ids (their new rows are
  // written beside the old ones); every index an existing, not rewritten
  // model gains is marked as being built, so writers maintain it from the
  // moment it is installed.
  IdTable ids = base->ids();
  for (const std::string& name : rewrite) ids.ForgetModel(name);
  ASSIGN_OR_RETURN(probe, Catalog::Build(base->version() + 1, file_name, text, ids));
  CatalogOverrides overrides;
  for (const ModelInfo& m : probe->models()) {
    if (base->FindEntity(m.entity) == nullptr) continue;  // new or rewritten: no rows to index
    for (const IndexInfo& ix : m.indexes) {
      if (!base->ids().Find(ix.id_name)) overrides.building.insert(ix.id_name);
    }
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> next,
                   Catalog::Build(base->version() + 1, file_name, text, ids, overrides));
  const std::string record = "schema version " + std::to_string(next->version()) + ", applied " + UtcNow() +
                             (options.who.empty() ? "" : " by " + options.who) + "\n" +
                             schema::FormatPlan(result.plan);

  // Rewritten models: writes to them wait while their rows are copied into
  // the new ids; a marker names what is being written, so a crash before
  // the switch leaves the old schema and the next open removes the copies.
  std::vector<std::unique_lock<std::shared_mutex>> gates;
  if (!rewrite.empty()) {
    std::vector<const ModelInfo*> order;  // parents before the rows clustered under them
    std::vector<std::shared_ptr<std::shared_mutex>> to_lock;
    for (size_t depth = 0; order.size() < rewrite.size() && depth <= next->models().size(); ++depth) {
      for (const ModelInfo& m : next->models()) {
        if (!rewrite.count(m.def->db_name)) continue;
        size_t d = 0;
        for (const ModelInfo* at = &m; at->cluster; at = &next->models()[at->cluster->parent]) ++d;
        if (d == depth) order.push_back(&m);
      }
    }
    for (const std::string& name : rewrite) {
      const ModelInfo* old_m = ByDbName(*base, name);
      if (old_m != nullptr) to_lock.push_back(Gate(old_m->entity));
    }
    gates = LockAll(std::move(to_lock));
    {
      auto marker = store_->BeginWrite();
      RETURN_IF_ERROR(marker->Put(CatalogKey(kPendingRewriteTag, 0), next->Encode()));
      RETURN_IF_ERROR(marker->Commit().status());
    }
    Status st = RewriteModels(*base, next, order, options);
    if (!st.ok()) {
      RETURN_IF_ERROR(DiscardUnfinishedRewrite());
      return st.Annotate("the migration was not applied");
    }
  }

  // Validations read every row of the models they concern under the new
  // schema, in the transaction that installs it: a row written meanwhile
  // makes the install conflict, and it runs again.
  std::vector<std::string> problems;
  std::optional<InstallWindow> window(std::in_place, this);
  uint64_t installed_at = 0;
  Status installed = RetryOnConflict([&]() -> Status {
    problems.clear();
    Transaction t(this, next, store_->BeginWrite());
    if (validates || !rewrite.empty()) {
      for (const ModelInfo& m : next->models()) {
        const bool existed = base->FindEntity(m.entity) != nullptr;
        const bool copied = rewrite.count(m.def->db_name) != 0;
        if ((validates && existed) || copied) RETURN_IF_ERROR(t.ValidateRows(m, 20, &problems));
      }
      if (!problems.empty()) return Status::OK();
    }
    RETURN_IF_ERROR(t.txn_->Put(CatalogKey(kCatalogVersionTag, next->version()), next->Encode()));
    if (!next->building()) RETURN_IF_ERROR(t.txn_->Put(CatalogKey(kMigrationRecordTag, next->version()), record));
    if (!rewrite.empty()) RETURN_IF_ERROR(t.txn_->Delete(CatalogKey(kPendingRewriteTag, 0)));
    RETURN_IF_ERROR(t.txn_->Put(CatalogKey(kPendingDropTag, 0), EncodeCatalogs({base.get(), next.get()})));
    ASSIGN_OR_RETURN(mvcc::CommitVersion at, t.Commit());
    installed_at = at.value();
    return Status::OK();
  });
  if (!installed.ok() || !problems.empty()) {
    if (!rewrite.empty()) RETURN_IF_ERROR(DiscardUnfinishedRewrite());
    RETURN_IF_ERROR(installed);
  }
  if (!problems.empty()) {
    std::string msg = "the migration was not applied: existing rows do not satisfy the new schema";
    for (const std::string& p : problems) msg += "\n  " + p;
    return Status::InvalidArgument(msg);
  }
  {
    std::lock_guard lock(mu_);
    versions_[next->version()] = next;
    current_ = next;
    current_installed_at_ = installed_at;
  }
  window.reset();
  gates.clear();  // writers waiting on rewritten models go on (and retry: the schema changed)
  std::shared_ptr<const Catalog> final_catalog = next;
  if (next->building()) RETURN_IF_ERROR(FinishBuild(next, options, &result.failed, &final_catalog, record));
  RETURN_IF_ERROR(FinishDrops(options));
  result.version = final_catalog->version();
  return result;
}

Status Database::FinishBuild(const std::shared_ptr<const Catalog>& building, const MigrateOptions& options,
                             std::vector<std::string>* failed, std::shared_ptr<const Catalog>* final_catalog,
                             const std::string& record) {
  CatalogOverrides done = building->overrides();
  done.building.clear();
  for (const ModelInfo& m : building->models()) {
    for (const IndexInfo& ix : m.indexes) {
      if (!ix.building) continue;
      std::string after;
      uint64_t rows = 0;
      std::vector<std::string> clashes;
      for (bool more = true; more;) {
        RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
          std::string next_after = after;
          uint64_t n = rows;
          std::vector<std::string> c = clashes;
          Transaction t(this, building, store_->BeginWrite());
          RETURN_IF_ERROR(t.BackfillIndex(m, ix, &next_after, options.batch_rows, &more, &n, &c));
          RETURN_IF_ERROR(t.Commit().status());
          after = std::move(next_after);
          rows = n;
          clashes = std::move(c);
          return Status::OK();
        }));
        if (options.progress) options.progress("building index " + ix.name, rows);
      }
      if (!clashes.empty()) {
        // The index is left out of the new version, its entries removed.
        std::string why = "unique index " + ix.name + " was not built: existing rows clash";
        for (const std::string& c : clashes) why += "\n    " + c;
        failed->push_back(why);
        done.suppressed.insert(ix.id_name);
      }
    }
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> final_version,
                   Catalog::Build(building->version() + 1, building->file_name(), building->text(), building->ids(),
                                  done));
  std::string rec = record;
  for (const std::string& f : *failed) rec += "\nrolled back: " + f;
  ASSIGN_OR_RETURN(*final_catalog, Install(final_version, rec));
  return Status::OK();
}

Status Database::DeleteRange(const std::string& lo, const std::string& hi, const MigrateOptions& options) {
  for (bool more = true; more;) {
    RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
      auto txn = store_->BeginWrite();
      btree::CursorOptions o;
      o.lower_bound = lo;
      if (!hi.empty()) o.upper_bound = hi;
      auto it = txn->NewIterator(o);
      size_t n = 0;
      std::vector<std::string> keys;
      for (it->SeekToFirst(); it->Valid() && n < options.batch_rows; it->Next(), ++n) keys.emplace_back(it->key());
      RETURN_IF_ERROR(it->status());
      it.reset();
      for (const std::string& k : keys) RETURN_IF_ERROR(txn->Delete(k));
      more = n == options.batch_rows;
      return txn->Commit().status();
    }));
  }
  return Status::OK();
}

Status Database::FinishDrops(const MigrateOptions& options) {
  std::string pending;
  Status st = store_->BeginRead()->Get(CatalogKey(kPendingDropTag, 0), &pending);
  if (st.IsNotFound()) return Status::OK();
  RETURN_IF_ERROR(st);
  std::string_view in = pending;
  uint64_t n;
  if (!coding::GetVarint64(&in, &n)) return Status::Corruption("pending drops: count cut short");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len;
    if (!coding::GetVarint64(&in, &len) || len > in.size()) return Status::Corruption("pending drops: catalog cut short");
    ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> old, Catalog::Decode(in.substr(0, len)));
    in.remove_prefix(len);
    RETURN_IF_ERROR(DropRemoved(*old, *catalog(), options));
  }
  auto txn = store_->BeginWrite();
  RETURN_IF_ERROR(txn->Delete(CatalogKey(kPendingDropTag, 0)));
  return txn->Commit().status();
}

Status Database::DropRemoved(const Catalog& old, const Catalog& now, const MigrateOptions& options) {
  for (const ModelInfo& m : old.models()) {
    if (now.FindEntity(m.entity) != nullptr) continue;
    if (options.progress) options.progress("dropping the rows of " + m.name(), 0);
    if (!m.cluster) {
      const std::string prefix = SpacePrefix(kRowSpace, m.entity);
      RETURN_IF_ERROR(DeleteRange(prefix, PrefixEnd(prefix), options));
      continue;
    }
    // Its rows are under their parents' keys, found through the locators:
    // each batch deletes rows (with what is clustered under them) and their
    // locators together.
    const std::string prefix = SpacePrefix(kLocatorSpace, m.entity);
    for (bool more = true; more;) {
      RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
        auto txn = store_->BeginWrite();
        std::vector<std::pair<std::string, std::string>> batch;  // locator, row key
        {
          auto it = txn->NewIterator(btree::CursorOptions{prefix, PrefixEnd(prefix)});
          for (it->SeekToFirst(); it->Valid() && batch.size() < options.batch_rows; it->Next()) {
            batch.emplace_back(it->key(), it->value());
          }
          RETURN_IF_ERROR(it->status());
        }
        for (const auto& [locator, row_key] : batch) {
          std::vector<std::string> keys;
          auto it = txn->NewIterator(btree::CursorOptions{row_key, PrefixEnd(row_key)});
          for (it->SeekToFirst(); it->Valid(); it->Next()) keys.emplace_back(it->key());
          RETURN_IF_ERROR(it->status());
          it.reset();
          for (const std::string& k : keys) RETURN_IF_ERROR(txn->Delete(k));
          RETURN_IF_ERROR(txn->Delete(locator));
        }
        more = batch.size() == options.batch_rows;
        return txn->Commit().status();
      }));
    }
  }
  std::set<uint32_t> kept;
  for (const ModelInfo& m : now.models()) {
    for (const IndexInfo& ix : m.indexes) kept.insert(ix.id);
  }
  for (const ModelInfo& m : old.models()) {
    for (const IndexInfo& ix : m.indexes) {
      if (kept.count(ix.id)) continue;
      const std::string prefix = SpacePrefix(kIndexSpace, ix.id);
      RETURN_IF_ERROR(DeleteRange(prefix, PrefixEnd(prefix), options));
    }
  }
  return Status::OK();
}

Status Database::RewriteModels(const Catalog& base, const std::shared_ptr<const Catalog>& next,
                               const std::vector<const ModelInfo*>& order, const MigrateOptions& options) {
  std::shared_ptr<const Catalog> old_catalog = catalog();
  for (const ModelInfo* m : order) {
    const ModelInfo* old_m = ByDbName(base, m->def->db_name);
    if (old_m == nullptr) continue;
    std::string after;
    uint64_t rows = 0;
    for (bool more = true; more;) {
      RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
        // Read with the old schema, write with the new, one batch per
        // transaction (writers to these models wait at their gates).
        Transaction source(this, old_catalog, store_->BeginWrite());
        using Rows = std::vector<std::pair<std::string, Row>>;
        ASSIGN_OR_RETURN(Rows batch, source.AllRows(*old_m, after, options.batch_rows, /*validate=*/false));
        source.Rollback();
        Transaction t(this, next, store_->BeginWrite());
        for (const auto& [pk, row] : batch) RETURN_IF_ERROR(t.RewriteRow(*old_m, row, *m));
        RETURN_IF_ERROR(t.Commit().status());
        more = batch.size() == options.batch_rows;
        if (!batch.empty()) after = batch.back().first;
        rows += batch.size();
        return Status::OK();
      }));
      if (options.progress) options.progress("rewriting the rows of " + m->name() + " (writes to it wait)", rows);
    }
  }
  return Status::OK();
}

Status Database::DiscardUnfinishedRewrite() {
  std::string pending;
  Status st = store_->BeginRead()->Get(CatalogKey(kPendingRewriteTag, 0), &pending);
  if (st.IsNotFound()) return Status::OK();
  RETURN_IF_ERROR(st);
  ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> copy, Catalog::Decode(pending));
  // What the rewrite wrote is what its catalog has and the current lacks.
  RETURN_IF_ERROR(DropRemoved(*copy, *catalog(), MigrateOptions{}));
  auto txn = store_->BeginWrite();
  RETURN_IF_ERROR(txn->Delete(CatalogKey(kPendingRewriteTag, 0)));
  return txn->Commit().status();
}

Status Database::ResumeMigration() {
  std::lock_guard migrating(migrate_mu_);
  RETURN_IF_ERROR(DiscardUnfinishedRewrite());
  std::shared_ptr<const Catalog> building = catalog();
  if (building->building()) {
    std::vector<std::string> failed;
    std::shared_ptr<const Catalog> done;
    RETURN_IF_ERROR(FinishBuild(building, {}, &failed, &done,
                                "schema version " + std::to_string(building->version() + 1) +
                                    ": finished an index build interrupted in version " +
                                    std::to_string(building->version()) + ", " + UtcNow()));
    for (const std::string& f : failed) std::fprintf(stderr, "ormdb: %s\n", f.c_str());
  }
  return FinishDrops({});
}

// ------------------------------------------------------ row-level work

Result<std::vector<std::pair<std::string, Row>>> Transaction::AllRows(const ModelInfo& m, std::string_view after,
                                                                      size_t limit, bool validate) {
  // A clustered model's rows are found through its locators; another's are
  // its own range, minus the rows clustered under them.
  const std::string prefix = SpacePrefix(m.cluster ? kLocatorSpace : kRowSpace, m.entity);
  btree::CursorOptions o;
  o.lower_bound = after.empty() ? prefix : PrefixEnd(prefix + std::string(after));
  o.upper_bound = PrefixEnd(prefix);
  if (validate) txn_->ValidateRange(prefix, *o.upper_bound);
  std::vector<std::pair<std::string, Row>> out;
  auto it = txn_->NewIterator(o);
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    std::string_view rest = it->key().substr(prefix.size());
    std::string pk(rest);
    std::vector<Value> ignored;
    if (Status st = schema::DecodeKeyColumns(&rest, m.pk_key, &ignored); !st.ok()) {
      return st.Annotate("row key of " + m.name());  // built only on failure
    }
    if (!rest.empty()) continue;
    Row row;
    if (m.cluster) {
      ASSIGN_OR_RETURN(std::optional<Row> r, GetRow(m, pk, nullptr));
      if (!r) return Status::Corruption("locator of " + m.name() + " names a missing row");
      row = std::move(*r);
    } else {
      Result<Row> r = DecodeRow(m, it->value());
      if (!r.ok()) return r.status().Annotate("row of " + m.name());
      row = std::move(r).value();
    }
    out.emplace_back(std::move(pk), std::move(row));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

Status Transaction::BackfillIndex(const ModelInfo& m, const IndexInfo& ix, std::string* after, size_t limit,
                                  bool* more, uint64_t* rows, std::vector<std::string>* clashes) {
  RETURN_IF_ERROR(CheckOpen());
  using Rows = std::vector<std::pair<std::string, Row>>;
  // Not validated as a range: a concurrent change of a row this batch
  // indexes writes the same index key (the index is maintained by writers
  // from the moment the build began), so the two conflict on that key.
  ASSIGN_OR_RETURN(Rows batch, AllRows(m, *after, limit, /*validate=*/false));
  *more = batch.size() == limit;
  for (auto& [pk, row] : batch) {
    ASSIGN_OR_RETURN(std::string key, IndexKey(m, ix, row, pk));
    std::string holder;
    Status st = txn_->Get(key, &holder);
    if (st.ok() && holder != pk) {
      if (clashes->size() < 10) {
        clashes->push_back(Describe(m, ix.columns, row) + " is held by two rows");
      }
      continue;
    }
    if (!st.ok() && !st.IsNotFound()) return st;
    RETURN_IF_ERROR(txn_->Put(key, pk));
    ++*rows;
  }
  if (!batch.empty()) *after = batch.back().first;
  return Status::OK();
}

Status Transaction::ValidateRows(const ModelInfo& m, size_t max, std::vector<std::string>* problems) {
  RETURN_IF_ERROR(CheckOpen());
  const std::string prefix = SpacePrefix(m.cluster ? kLocatorSpace : kRowSpace, m.entity);
  const std::string end = PrefixEnd(prefix);
  txn_->ValidateRange(prefix, end);
  btree::CursorOptions o;
  o.lower_bound = prefix;
  o.upper_bound = end;
  auto it = txn_->NewIterator(o);
  for (it->SeekToFirst(); it->Valid() && problems->size() < max; it->Next()) {
    std::string_view rest = it->key().substr(prefix.size());
    std::string pk(rest);
    std::vector<Value> pk_values;
    if (Status st = schema::DecodeKeyColumns(&rest, m.pk_key, &pk_values); !st.ok()) {
      return st.Annotate("row key of " + m.name());  // built only on failure
    }
    if (!rest.empty()) continue;
    Row key_row(m.fields.size());
    for (size_t i = 0; i < m.pk.size(); ++i) key_row[m.pk[i]] = pk_values[i];
    const std::string which = m.name() + "(" + Describe(m, m.pk, key_row) + ")";
    Status st;
    Row row;
    if (m.cluster) {
      Result<std::optional<Row>> r = GetRow(m, pk, nullptr);
      if (r.ok() && *r) row = std::move(**r);
      st = r.status();
    } else {
      Result<Row> r = DecodeRow(m, it->value());
      if (r.ok()) row = std::move(r).value();
      st = r.status();
    }
    if (st.ok()) st = CheckRequired(m, row);
    if (st.ok()) st = CheckForeignKeys(m, row, nullptr);
    if (!st.ok()) problems->push_back(which + ": " + st.message());
  }
  return it->status();
}

Status Transaction::RewriteRow(const ModelInfo& old_m, const Row& old_row, const ModelInfo& m) {
  RETURN_IF_ERROR(CheckOpen());
  // Fields are matched by database name; a type change converts the value.
  Row row(m.fields.size());
  std::vector<bool> given(m.fields.size(), false);
  for (size_t i = 0; i < m.fields.size(); ++i) {
    const FieldInfo& f = m.fields[i];
    for (size_t j = 0; j < old_m.fields.size(); ++j) {
      const FieldInfo& of = old_m.fields[j];
      if (of.def->db_name != f.def->db_name) continue;
      std::vector<std::string> enum_values;
      if (f.type == StorageType::kEnum) {
        for (const schema::EnumValue& ev : catalog_->schema().enum_type(f.def->enum_type).values) {
          enum_values.push_back(ev.db_name);
        }
      }
      Value v = old_row[j];
      if (of.type != f.type || f.type == StorageType::kEnum) {
        Result<Value> converted = schema::ConvertValue(v, of.type, f.type, enum_values);
        if (!converted.ok()) return converted.status().Annotate(m.name() + "." + f.def->name);
        v = std::move(converted).value();
      }
      if (v.is_null() && !old_row[j].is_null() && !f.nullable) {
        return Status::InvalidArgument(m.name() + "(" + Describe(old_m, old_m.pk, old_row) + ")." + f.def->name +
                                       ": " + old_row[j].ToString() + " has no " +
                                       std::string(schema::StorageTypeName(f.type)) +
                                       " value, and the field is required");
      }
      row[i] = std::move(v);
      given[i] = true;
    }
  }
  RETURN_IF_ERROR(FillDefaults(m, &row, given));
  RETURN_IF_ERROR(CheckRequired(m, row));
  ASSIGN_OR_RETURN(std::string pk, PrimaryKeyBytes(m, row));
  ASSIGN_OR_RETURN(std::optional<Row> dup, GetRow(m, pk, nullptr));
  if (dup) {
    return Status::InvalidArgument("Unique constraint failed on " + m.name() + "(" + ColumnNames(m, m.pk) +
                                   "): two rows would have " + Describe(m, m.pk, row));
  }
  for (const IndexInfo& ix : m.indexes) {
    if (ix.kind == IndexInfo::Kind::kUnique) RETURN_IF_ERROR(CheckUnique(m, ix, row, pk, pk));
  }
  // Foreign keys are not checked here: a referenced row of a model being
  // rewritten too may not be copied yet. The migration validates them over
  // the copied rows when it installs the new schema.
  ASSIGN_OR_RETURN(std::string key, RowKey(m, pk, &row));
  RETURN_IF_ERROR(WriteRow(m, row, pk, key));
  return WriteIndexes(m, nullptr, &row, {}, pk);
}

}  // namespace ormdb::engine
