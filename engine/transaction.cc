// Transaction: insert, reads and scans, the constraint checks every write
// makes, and the building blocks (keys, records, indexes) the update and
// delete paths (cascade.cc) and the migrations (migrate.cc) share.
#include <algorithm>
#include <chrono>
#include <deque>

#include "engine/database.h"

#include <chrono>
#include "engine/generate.h"
#include "engine/keyspace.h"
#include "engine/row_text.h"
#include "mvcc/write_txn.h"
#include "schema/convert.h"

namespace ormdb::engine {

using schema::StorageType;
using schema::Value;
using Row = std::vector<Value>;

std::string Describe(const ModelInfo& m, const std::vector<size_t>& cols, const Row& row) {
  std::string s;
  for (size_t c : cols) {
    if (!s.empty()) s += ", ";
    s += m.fields[c].def->name + " = ";
    const Value& v = row[c];
    s += m.fields[c].type == StorageType::kUuid && !v.is_null() ? "\"" + schema::FormatUuid(v.bytes_value()) + "\""
                                                                 : v.ToString();
  }
  return s;
}

std::string ColumnNames(const ModelInfo& m, const std::vector<size_t>& cols) {
  std::string s;
  for (size_t c : cols) {
    if (!s.empty()) s += ",";
    s += m.fields[c].def->name;
  }
  return s;
}

namespace {


Status AppendColumns(std::string* out, const ModelInfo& m, const std::vector<size_t>& cols,
                     const std::vector<schema::KeyColumn>& key, const Row& row) {
  std::vector<Value> vals;
  vals.reserve(cols.size());
  for (size_t c : cols) vals.push_back(row[c]);
  return schema::AppendKeyColumns(out, vals, key).Annotate("model " + m.name());
}

bool AnyNull(const std::vector<size_t>& cols, const Row& row) {
  return std::any_of(cols.begin(), cols.end(), [&](size_t c) { return row[c].is_null(); });
}

const IndexInfo* FindIndexByColumns(const ModelInfo& m, const std::vector<size_t>& cols) {
  for (const IndexInfo& ix : m.indexes) {
    if (ix.building) continue;
    if (ix.columns.size() >= cols.size() && std::equal(cols.begin(), cols.end(), ix.columns.begin())) return &ix;
  }
  return nullptr;
}

}  // namespace

// ============================================================== Transaction

Transaction::Transaction(Database* db, std::shared_ptr<const Catalog> catalog, std::unique_ptr<mvcc::WriteTxn> txn)
    : db_(db), catalog_(std::move(catalog)), txn_(std::move(txn)) {}

Transaction::~Transaction() {
  if (!done_) Rollback();
  Leave();
}


Status Transaction::Enter(const ModelInfo& m) {
  if (gates_.count(m.entity)) return Status::OK();
  std::shared_ptr<std::shared_mutex> gate = db_->Gate(m.entity);
  // Transactions enter gates in whatever order they touch models, so two of
  // them may hold the same pair in opposite orders. That cannot deadlock:
  // shared holders never wait for each other, and a migration takes its
  // gates exclusively all or nothing (LockAll), never holding one while it
  // waits. Try first, so the usual uncontended entry is one atomic step and
  // a lock-order checker sees only the waits that a migration causes.
  if (!gate->try_lock_shared()) {
    if (would_wait_ != nullptr) {
      *would_wait_ = true;
      return Status::Busy("a migration is rewriting the rows of " + m.name());
    }
    gate->lock_shared();
  }
  gates_.emplace(m.entity, std::move(gate));
  return Status::OK();
}

void Transaction::Leave() {
  for (auto& [entity, gate] : gates_) gate->unlock_shared();
  gates_.clear();
}

Status Transaction::CheckOpen() const {
  if (done_) return Status::InvalidArgument("transaction already finished");
  if (!failed_.ok()) {
    return failed_.Annotate("transaction aborted by an earlier error (roll it back)");
  }
  return Status::OK();
}

Result<mvcc::CommitVersion> Transaction::Commit() {
  ASSIGN_OR_RETURN(uint64_t change_bytes, PrepareCommit());
  Result<mvcc::CommitVersion> v = txn_->Commit();  // waits for the flush itself
  Leave();
  if (v.ok()) db_->changes_->Published(v->value(), change_bytes);
  return v;
}

Result<uint64_t> Transaction::PrepareCommit() {
  RETURN_IF_ERROR(CheckOpen());
  done_ = true;
  uint64_t change_bytes = 0;
  if (!changes_.empty()) {
    std::vector<std::string> parts = changes_.Finish(std::chrono::duration_cast<std::chrono::microseconds>(
                                                         std::chrono::system_clock::now().time_since_epoch())
                                                         .count());
    for (uint32_t i = 0; i < parts.size(); ++i) {
      std::string suffix;
      schema::AppendU32Key(&suffix, i);
      change_bytes += parts[i].size();
      if (Status st = txn_->PutStamped(ChangePrefix(), std::move(suffix), std::move(parts[i])); !st.ok()) {
        Leave();
        return st;
      }
    }
  }
  return change_bytes;
}

Result<mvcc::Appended> Transaction::AppendCommit(uint64_t* change_bytes) {
  ASSIGN_OR_RETURN(*change_bytes, PrepareCommit());
  Result<mvcc::Appended> a = txn_->Append();  // the store's flusher makes it durable
  if (!a.ok()) Leave();
  return a;
}

Status Transaction::FinishCommit(const mvcc::Appended& a, uint64_t change_bytes) {
  Status st = db_->store_->AwaitDurable(a);
  Leave();
  if (st.ok()) db_->changes_->Published(a.version.value(), change_bytes);
  return st;
}

// ============================================================ PendingCommit

PendingCommit::~PendingCommit() {
  if (!finished_) (void)Finish();
}

bool PendingCommit::Settled() const { return txn_->db_->store().Settled(appended_); }

Status PendingCommit::Finish() {
  if (finished_) return Status::InvalidArgument("pending commit already finished");
  finished_ = true;
  return txn_->FinishCommit(appended_, change_bytes_);
}

void Transaction::Rollback() {
  done_ = true;
  txn_->Rollback();
  Leave();
}

Result<const ModelInfo*> Transaction::Model(std::string_view name) const {
  const ModelInfo* m = catalog_->FindModel(name);
  if (m == nullptr) {
    return Status::InvalidArgument("unknown model \"" + std::string(name) + "\" (schema version " +
                                   std::to_string(catalog_->version()) + ")");
  }
  return m;
}

Result<Value> Transaction::Coerce(const ModelInfo& m, size_t pos, const Value& v) const {
  const FieldInfo& f = m.fields[pos];
  using K = Value::Kind;
  auto bad = [&](std::string_view why = {}) {
    return Status::InvalidArgument(m.name() + "." + f.def->name + ": expected " +
                                   std::string(f.type == StorageType::kEnum
                                                   ? catalog_->schema().enum_type(f.def->enum_type).name
                                                   : schema::StorageTypeName(f.type)) +
                                   ", got " + v.ToString() + (why.empty() ? "" : " (" + std::string(why) + ")"));
  };
  if (v.is_null()) return v;
  switch (f.type) {
    case StorageType::kBoolean:
      if (v.kind() == K::kBool) return v;
      return bad();
    case StorageType::kInt:
      if (v.kind() == K::kInt32) return v;
      if (v.kind() == K::kInt64) {
        if (v.int64_value() < INT32_MIN || v.int64_value() > INT32_MAX) return bad("out of the 32-bit range");
        return Value::Int32(static_cast<int32_t>(v.int64_value()));
      }
      return bad();
    case StorageType::kBigInt:
    case StorageType::kDateTime:
      if (v.kind() == K::kInt64) return v;
      if (v.kind() == K::kInt32) return Value::Int64(v.int32_value());
      return bad();
    case StorageType::kFloat:
      if (v.kind() == K::kDouble) return v;
      if (v.kind() == K::kInt32) return Value::Double(v.int32_value());
      if (v.kind() == K::kInt64) return Value::Double(static_cast<double>(v.int64_value()));
      return bad();
    case StorageType::kDecimal:
      if (v.kind() == K::kDecimal) return v;
      if (v.kind() == K::kInt32) return Value::FromDecimal(schema::Decimal::FromInt64(v.int32_value()));
      if (v.kind() == K::kInt64) return Value::FromDecimal(schema::Decimal::FromInt64(v.int64_value()));
      if (v.kind() == K::kString) {
        Result<schema::Decimal> d = schema::Decimal::Parse(v.string_value());
        if (!d.ok()) return bad(d.status().message());
        return Value::FromDecimal(std::move(d).value());
      }
      return bad();
    case StorageType::kString:
    case StorageType::kJson:
      if (v.kind() == K::kString) return v;
      return bad();
    case StorageType::kEnum: {
      if (v.kind() != K::kString) return bad();
      const schema::Enum& e = catalog_->schema().enum_type(f.def->enum_type);
      // Stored by the value's database name (@map), as the planner matches them.
      for (const schema::EnumValue& ev : e.values) {
        if (ev.name == v.string_value()) return Value::String(ev.db_name);
      }
      return bad("not a value of enum " + e.name);
    }
    case StorageType::kBytes:
      if (v.kind() == K::kBytes) return v;
      return bad();
    case StorageType::kUuid:
      if (v.kind() == K::kBytes && v.bytes_value().size() == 16) return v;
      if (v.kind() == K::kString) {
        std::optional<std::string> b = schema::ParseUuid(v.string_value());
        if (!b) return bad("not a UUID");
        return Value::Bytes(std::move(*b));
      }
      return bad();
  }
  return bad();
}

Status Transaction::Assign(const ModelInfo& m, const Fields& values, Row* row, std::vector<bool>* given) {
  row->assign(m.fields.size(), Value::Null());
  given->assign(m.fields.size(), false);
  for (const auto& [name, v] : values) {
    std::optional<size_t> pos = m.FindField(name);
    if (!pos) {
      const schema::Field* f = m.def->FindField(name);
      if (f != nullptr && f->is_relation()) {
        return Status::InvalidArgument(m.name() + "." + name + " is a relation field: set its foreign key fields");
      }
      return Status::InvalidArgument("model " + m.name() + " has no field \"" + name + "\"");
    }
    ASSIGN_OR_RETURN((*row)[*pos], Coerce(m, *pos, v));
    (*given)[*pos] = true;
  }
  return Status::OK();
}

Status Transaction::FillDefaults(const ModelInfo& m, Row* row, const std::vector<bool>& given) {
  using schema::DefaultKind;
  for (size_t i = 0; i < m.fields.size(); ++i) {
    const FieldInfo& f = m.fields[i];
    const schema::DefaultValue& d = f.def->default_value;
    if (given[i]) {
      // An explicit value in an autoincrement column (an import, a copy)
      // moves the sequence past it, so the next generated value is free.
      const Value& v = (*row)[i];
      if (d.kind == DefaultKind::kAutoincrement && !v.is_null()) {
        RETURN_IF_ERROR(db_->AdvanceSequence(m, i, v.kind() == Value::Kind::kInt32 ? v.int32_value() : v.int64_value()));
      }
      continue;
    }
    Value& v = (*row)[i];
    switch (d.kind) {
      case DefaultKind::kNone:
        if (f.def->updated_at) v = Value::Int64(NowMicros());
        break;
      case DefaultKind::kConstant:
        v = m.defaults[i];
        break;
      case DefaultKind::kAutoincrement: {
        ASSIGN_OR_RETURN(int64_t n, db_->NextSequence(m, i));
        if (f.type == StorageType::kInt) {
          if (n > INT32_MAX) return Status::InvalidArgument(m.name() + "." + f.def->name + ": autoincrement passed the Int range");
          v = Value::Int32(static_cast<int32_t>(n));
        } else {
          v = Value::Int64(n);
        }
        break;
      }
      case DefaultKind::kUuid: {
        std::string b = NewUuidBytes(d.version == 7 ? 7 : 4);
        v = f.type == StorageType::kUuid ? Value::Bytes(std::move(b)) : Value::String(schema::FormatUuid(b));
        break;
      }
      case DefaultKind::kCuid:
        v = Value::String(NewCuid(d.version == 2 ? 2 : 1));
        break;
      case DefaultKind::kNow:
        v = Value::Int64(NowMicros());
        break;
    }
  }
  return Status::OK();
}

Status Transaction::CheckRequired(const ModelInfo& m, const Row& row) const {
  for (size_t i = 0; i < m.fields.size(); ++i) {
    if (!m.fields[i].nullable && row[i].is_null()) {
      return Status::InvalidArgument(m.name() + "." + m.fields[i].def->name +
                                     " is required: no value was given and it has no default");
    }
  }
  return Status::OK();
}

Result<std::string> Transaction::PrimaryKeyBytes(const ModelInfo& m, const Row& row) const {
  std::string pk;
  RETURN_IF_ERROR(AppendColumns(&pk, m, m.pk, m.pk_key, row));
  return pk;
}

Result<std::optional<std::string>> Transaction::LocateRow(const ModelInfo& m, std::string_view pk) {
  if (!m.cluster) return std::optional<std::string>(SpacePrefix(kRowSpace, m.entity).append(pk));
  std::string row_key;
  Status st = txn_->Get(SpacePrefix(kLocatorSpace, m.entity).append(pk), &row_key);
  if (st.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(st);
  return std::optional<std::string>(std::move(row_key));
}

Result<std::string> Transaction::RowKey(const ModelInfo& m, std::string_view pk, const Row* row) {
  if (!m.cluster) return SpacePrefix(kRowSpace, m.entity).append(pk);
  const ModelInfo& parent = catalog_->models()[m.cluster->parent];
  Row parent_pk_values(parent.fields.size());
  for (size_t i = 0; i < parent.pk.size(); ++i) parent_pk_values[parent.pk[i]] = (*row)[m.cluster->fk[i]];
  ASSIGN_OR_RETURN(std::string parent_pk, PrimaryKeyBytes(parent, parent_pk_values));
  ASSIGN_OR_RETURN(std::optional<std::string> parent_key, LocateRow(parent, parent_pk));
  std::string probe;
  Status st = parent_key ? txn_->Get(*parent_key, &probe) : Status::NotFound("");
  if (st.IsNotFound()) {
    return Status::InvalidArgument("Foreign key constraint failed on " + m.name() + "(" +
                                   ColumnNames(m, m.cluster->fk) + "): no " + parent.name() + " with " +
                                   Describe(parent, parent.pk, parent_pk_values));
  }
  RETURN_IF_ERROR(st);
  txn_->ValidateRead(*parent_key);
  std::string key = std::move(*parent_key);
  schema::AppendU32Key(&key, m.entity);
  key.append(pk);
  return key;
}

Result<Row> Transaction::DecodeRow(const ModelInfo& m, std::string_view record) {
  ASSIGN_OR_RETURN(uint32_t version, schema::RecordSchemaVersion(record));
  Row row;
  if (version == catalog_->version()) {
    ASSIGN_OR_RETURN(schema::RecordView view, schema::RecordView::Open(record, *m.layout));
    RETURN_IF_ERROR(view.ReadAll(&row));
    return row;
  }
  // Written under another schema version: read it with that version's
  // layout, then map fields by persistent id.
  auto [it, fresh] = mappings_.try_emplace(std::make_pair(m.entity, version));
  OldLayout& old = it->second;
  if (fresh) {
    Result<std::shared_ptr<const Catalog>> c = db_->CatalogVersion(version);
    const ModelInfo* om = c.ok() ? (*c)->FindEntity(m.entity) : nullptr;
    if (om == nullptr) {
      mappings_.erase(it);
      if (!c.ok()) return c.status();
      return Status::Corruption("a row of " + m.name() + " names schema version " + std::to_string(version) +
                                ", which has no such model");
    }
    Result<schema::LayoutMapping> map = schema::LayoutMapping::Make(*om->layout, *m.layout, m.defaults);
    if (!map.ok()) {
      mappings_.erase(it);
      return map.status();
    }
    old.catalog = std::move(c).value();
    old.layout = &*om->layout;
    old.map.emplace(std::move(map).value());
  }
  ASSIGN_OR_RETURN(schema::RecordView view, schema::RecordView::Open(record, *old.layout));
  RETURN_IF_ERROR(old.map->ReadAll(view, &row));
  return row;
}

Result<std::optional<Row>> Transaction::GetRow(const ModelInfo& m, std::string_view pk, std::string* row_key) {
  ASSIGN_OR_RETURN(std::optional<std::string> key, LocateRow(m, pk));
  if (!key) return std::optional<Row>();
  std::string record;
  Status st = txn_->Get(*key, &record);
  if (st.IsNotFound()) return std::optional<Row>();
  RETURN_IF_ERROR(st);
  Result<Row> row = DecodeRow(m, record);
  if (!row.ok()) return row.status().Annotate("row of " + m.name());
  if (row_key != nullptr) *row_key = std::move(*key);
  return std::optional<Row>(std::move(row).value());
}

Result<std::string> Transaction::IndexKey(const ModelInfo& m, const IndexInfo& ix, const Row& row,
                                          std::string_view pk) const {
  std::string key = SpacePrefix(kIndexSpace, ix.id);
  RETURN_IF_ERROR(AppendColumns(&key, m, ix.columns, ix.key, row));
  // A unique index's key is its columns alone, unless one is null (nulls
  // never collide); other indexes always add the primary key.
  if (ix.kind != IndexInfo::Kind::kUnique || AnyNull(ix.columns, row)) key.append(pk);
  return key;
}

Result<std::optional<std::string>> Transaction::ResolveWhere(const ModelInfo& m, const Fields& where) {
  Row row;
  std::vector<bool> given;
  RETURN_IF_ERROR(Assign(m, where, &row, &given));
  std::vector<size_t> named;
  for (size_t i = 0; i < given.size(); ++i) {
    if (given[i]) named.push_back(i);
  }
  auto same_set = [&](const std::vector<size_t>& cols) {
    std::vector<size_t> a = cols;
    std::sort(a.begin(), a.end());
    return a == named;
  };
  if (same_set(m.pk)) {
    if (AnyNull(m.pk, row)) return std::optional<std::string>();
    ASSIGN_OR_RETURN(std::string pk, PrimaryKeyBytes(m, row));
    return std::optional<std::string>(std::move(pk));
  }
  for (const IndexInfo& ix : m.indexes) {
    if (ix.kind != IndexInfo::Kind::kUnique || !same_set(ix.columns)) continue;
    if (ix.building) return Status::Busy("unique index " + ix.name + " is still being built by a migration");
    if (AnyNull(ix.columns, row)) return std::optional<std::string>();
    ASSIGN_OR_RETURN(std::string key, IndexKey(m, ix, row, {}));
    std::string pk;
    Status st = txn_->Get(key, &pk);
    if (st.IsNotFound()) return std::optional<std::string>();
    RETURN_IF_ERROR(st);
    return std::optional<std::string>(std::move(pk));
  }
  std::string names;
  for (size_t i : named) names += (names.empty() ? "" : ",") + m.fields[i].def->name;
  return Status::InvalidArgument("where " + m.name() + "(" + names +
                                 ") names neither the primary key nor a unique constraint");
}

Status Transaction::CheckUnique(const ModelInfo& m, const IndexInfo& ix, const Row& row, std::string_view pk,
                                std::string_view old_pk) {
  if (AnyNull(ix.columns, row)) return Status::OK();
  ASSIGN_OR_RETURN(std::string key, IndexKey(m, ix, row, pk));
  std::string holder;
  Status st = txn_->Get(key, &holder);
  if (st.IsNotFound()) return Status::OK();
  RETURN_IF_ERROR(st);
  if (holder == pk || holder == old_pk) return Status::OK();  // the row itself
  return Status::InvalidArgument("Unique constraint failed on " + ix.name + ": another " + m.name() + " has " +
                                 Describe(m, ix.columns, row));
}

Status Transaction::CheckForeignKeys(const ModelInfo& m, const Row& row, const Row* before) {
  for (const schema::Relation& r : catalog_->schema().relations) {
    if (r.from.model != m.def->index || r.fk_fields.empty() || r.kind == schema::RelationKind::kManyToMany) continue;
    if (m.cluster && m.cluster->relation == r.index) continue;  // RowKey found the parent
    std::vector<size_t> fk;
    for (schema::FieldIndex f : r.fk_fields) fk.push_back(static_cast<size_t>(m.field_position[f.value()]));
    if (AnyNull(fk, row)) continue;  // an optional relation left unset
    const ModelInfo& parent = catalog_->model(r.to.model);
    if (&parent == &m) {
      // A self-relation: a row may reference itself (checked after the
      // write, as SQL does), but not its own old key that this update
      // moves away from.
      std::vector<size_t> own;
      for (schema::FieldIndex f : r.referenced_fields) own.push_back(static_cast<size_t>(m.field_position[f.value()]));
      auto all_equal = [&](const Row& a, const std::vector<size_t>& ac, const Row& b, const std::vector<size_t>& bc) {
        for (size_t j = 0; j < ac.size(); ++j) {
          if (schema::Compare(a[ac[j]], b[bc[j]]) != 0) return false;
        }
        return true;
      };
      if (all_equal(row, fk, row, own)) continue;
      if (before != nullptr && !all_equal(row, own, *before, own) && all_equal(row, fk, *before, own)) {
        return Status::InvalidArgument("Foreign key constraint failed on " + m.name() + "(" + ColumnNames(m, fk) +
                                       "): no " + m.name() + " with " + Describe(m, own, *before) +
                                       " (this row's old key, which the update changes)");
      }
    }
    if (before != nullptr &&
        std::all_of(fk.begin(), fk.end(), [&](size_t c) { return schema::Compare(row[c], (*before)[c]) == 0; })) {
      continue;
    }
    Row target(parent.fields.size());
    std::vector<size_t> ref;
    for (size_t j = 0; j < fk.size(); ++j) {
      size_t p = static_cast<size_t>(parent.field_position[r.referenced_fields[j].value()]);
      target[p] = row[fk[j]];
      ref.push_back(p);
    }
    std::optional<std::string> found_key;
    std::vector<size_t> sorted_ref = ref, sorted_pk = parent.pk;
    std::sort(sorted_ref.begin(), sorted_ref.end());
    std::sort(sorted_pk.begin(), sorted_pk.end());
    if (sorted_ref == sorted_pk) {
      ASSIGN_OR_RETURN(std::string ppk, PrimaryKeyBytes(parent, target));
      ASSIGN_OR_RETURN(std::optional<std::string> key, LocateRow(parent, ppk));
      std::string probe;
      if (key && txn_->Get(*key, &probe).ok()) found_key = std::move(key);
    } else {
      const IndexInfo* ix = nullptr;
      for (const IndexInfo& x : parent.indexes) {
        std::vector<size_t> cols = x.columns;
        std::sort(cols.begin(), cols.end());
        if (x.kind == IndexInfo::Kind::kUnique && cols == sorted_ref) ix = &x;
      }
      if (ix == nullptr) {
        return Status::InvalidArgument("relation " + r.name + " references fields of " + parent.name() +
                                       " that are neither its primary key nor unique");
      }
      ASSIGN_OR_RETURN(std::string key, IndexKey(parent, *ix, target, {}));
      std::string probe;
      if (txn_->Get(key, &probe).ok()) found_key = std::move(key);
    }
    if (!found_key) {
      return Status::InvalidArgument("Foreign key constraint failed on " + m.name() + "(" + ColumnNames(m, fk) +
                                     "): no " + parent.name() + " with " + Describe(parent, ref, target));
    }
    txn_->ValidateRead(*found_key);
  }
  return Status::OK();
}

Status Transaction::WriteRow(const ModelInfo& m, const Row& row, std::string_view pk, const std::string& row_key,
                             std::string* record_out) {
  RETURN_IF_ERROR(Enter(m));
  std::string record;
  Status st = schema::EncodeRecord(*m.layout, row, &record);
  if (!st.ok()) return st.Annotate("model " + m.name());
  RETURN_IF_ERROR(txn_->Put(row_key, record));
  if (m.cluster) RETURN_IF_ERROR(txn_->Put(SpacePrefix(kLocatorSpace, m.entity).append(pk), row_key));
  if (record_out != nullptr) *record_out = std::move(record);
  return Status::OK();
}

Status Transaction::RecordChange(const ModelInfo& m, ChangeOp op, const Row* before, std::string_view new_record) {
  if (!db_->options_.changes.capture) return Status::OK();
  std::string old_record;
  if (before != nullptr) {
    Status st = schema::EncodeRecord(*m.layout, *before, &old_record);
    if (!st.ok()) return st.Annotate("model " + m.name());
  }
  changes_.Add(catalog_->version(), op, m.entity, old_record, new_record);
  return Status::OK();
}

Status Transaction::WriteIndexes(const ModelInfo& m, const Row* before, const Row* after, std::string_view old_pk,
                                 std::string_view new_pk) {
  for (const IndexInfo& ix : m.indexes) {
    std::string old_key, new_key;  // empty: no entry
    if (before != nullptr) {
      ASSIGN_OR_RETURN(old_key, IndexKey(m, ix, *before, old_pk));
    }
    if (after != nullptr) {
      ASSIGN_OR_RETURN(new_key, IndexKey(m, ix, *after, new_pk));
    }
    if (!old_key.empty() && old_key == new_key && old_pk == new_pk) continue;
    if (!old_key.empty()) RETURN_IF_ERROR(txn_->Delete(old_key));
    if (!new_key.empty()) RETURN_IF_ERROR(txn_->Put(new_key, new_pk));
  }
  return Status::OK();
}

Result<std::vector<std::string>> Transaction::Children(const ModelInfo& parent, const Row& parent_row,
                                                       const std::string& parent_key, const schema::Relation& rel) {
  const ModelInfo& child = catalog_->model(rel.from.model);
  std::vector<std::string> pks;
  std::string prefix;
  bool clustered = child.cluster && child.cluster->relation == rel.index;
  if (clustered) {
    prefix = parent_key;
    schema::AppendU32Key(&prefix, child.entity);
  } else {
    std::vector<size_t> fk;
    for (schema::FieldIndex f : rel.fk_fields) fk.push_back(static_cast<size_t>(child.field_position[f.value()]));
    std::vector<Value> vals;
    for (size_t j = 0; j < fk.size(); ++j) {
      vals.push_back(parent_row[static_cast<size_t>(parent.field_position[rel.referenced_fields[j].value()])]);
    }
    for (const Value& v : vals) {
      if (v.is_null()) return pks;  // a null key is referenced by nothing
    }
    const IndexInfo* ix = FindIndexByColumns(child, fk);
    if (ix == nullptr) {
      // Only while a migration builds the index: read every child row.
      using Rows = std::vector<std::pair<std::string, Row>>;
      ASSIGN_OR_RETURN(Rows rows, AllRows(child));
      for (auto& [pk, row] : rows) {
        bool match = true;
        for (size_t j = 0; j < fk.size(); ++j) match = match && schema::Compare(row[fk[j]], vals[j]) == 0;
        if (match) pks.push_back(pk);
      }
      return pks;
    }
    prefix = SpacePrefix(kIndexSpace, ix->id);
    std::vector<schema::KeyColumn> cols(ix->key.begin(), ix->key.begin() + static_cast<std::ptrdiff_t>(fk.size()));
    RETURN_IF_ERROR(schema::AppendKeyColumns(&prefix, vals, cols));
  }
  std::string end = PrefixEnd(prefix);
  // A row inserted into this range concurrently must fail one of us.
  txn_->ValidateRange(prefix, end.empty() ? std::nullopt : std::optional<std::string>(end));
  btree::CursorOptions o;
  o.lower_bound = prefix;
  if (!end.empty()) o.upper_bound = end;
  auto it = txn_->NewIterator(o);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (clustered) {
      // Keys under the parent's are its children's rows and their own
      // clustered descendants: a child's is exactly prefix + pk.
      std::string_view rest = it->key().substr(prefix.size());
      std::string_view pk = rest;
      std::vector<Value> ignored;
      if (Status st = schema::DecodeKeyColumns(&rest, child.pk_key, &ignored); !st.ok()) {
        return st.Annotate("row key of " + child.name());  // built only on failure
      }
      if (!rest.empty()) continue;
      pks.emplace_back(pk);
    } else {
      pks.emplace_back(it->value());
    }
  }
  RETURN_IF_ERROR(it->status());
  return pks;
}

Fields Transaction::ToFields(const ModelInfo& m, const Row& row) const {
  Fields out;
  for (size_t i = 0; i < m.fields.size(); ++i) {
    const FieldInfo& f = m.fields[i];
    const Value& v = row[i];
    Value& o = out[f.def->name];
    o = v;
    if (v.is_null()) continue;
    if (f.type == StorageType::kUuid) o = Value::String(schema::FormatUuid(v.bytes_value()));
    if (f.type == StorageType::kEnum) {
      for (const schema::EnumValue& ev : catalog_->schema().enum_type(f.def->enum_type).values) {
        if (ev.db_name == v.string_value()) o = Value::String(ev.name);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- Insert

Result<Fields> Transaction::Insert(std::string_view model, const Fields& values) {
  return Run([&]() -> Result<Fields> {
    ASSIGN_OR_RETURN(const ModelInfo* mp, Model(model));
    const ModelInfo& m = *mp;
    Row row;
    std::vector<bool> given;
    RETURN_IF_ERROR(Assign(m, values, &row, &given));
    ASSIGN_OR_RETURN(row, InsertRow(m, std::move(row), given));
    return ToFields(m, row);
  });
}

Result<Row> Transaction::InsertRow(const ModelInfo& m, Row row, const std::vector<bool>& given) {
  RETURN_IF_ERROR(FillDefaults(m, &row, given));
  RETURN_IF_ERROR(CheckRequired(m, row));
  ASSIGN_OR_RETURN(std::string pk, PrimaryKeyBytes(m, row));
  ASSIGN_OR_RETURN(std::optional<Row> dup, GetRow(m, pk, nullptr));
  if (dup) {
    return Status::InvalidArgument("Unique constraint failed on " + m.name() + "(" + ColumnNames(m, m.pk) +
                                   "): a row with " + Describe(m, m.pk, row) + " exists");
  }
  for (const IndexInfo& ix : m.indexes) {
    if (ix.kind == IndexInfo::Kind::kUnique) RETURN_IF_ERROR(CheckUnique(m, ix, row, pk, pk));
  }
  RETURN_IF_ERROR(CheckForeignKeys(m, row, nullptr));
  ASSIGN_OR_RETURN(std::string key, RowKey(m, pk, &row));
  std::string record;
  RETURN_IF_ERROR(WriteRow(m, row, pk, key, &record));
  RETURN_IF_ERROR(WriteIndexes(m, nullptr, &row, {}, pk));
  RETURN_IF_ERROR(RecordChange(m, ChangeOp::kCreate, nullptr, record));
  return row;
}

// ---------------------------------------------------------------- Reads

Result<std::optional<Fields>> Transaction::FindUnique(std::string_view model, const Fields& where) {
  RETURN_IF_ERROR(CheckOpen());
  ASSIGN_OR_RETURN(const ModelInfo* m, Model(model));
  ASSIGN_OR_RETURN(std::optional<std::string> pk, ResolveWhere(*m, where));
  if (!pk) return std::optional<Fields>();
  ASSIGN_OR_RETURN(std::optional<Row> row, GetRow(*m, *pk, nullptr));
  if (!row) return std::optional<Fields>();
  return std::optional<Fields>(ToFields(*m, *row));
}

Result<std::vector<Fields>> Transaction::Scan(std::string_view model, const ScanSpec& spec) {
  RETURN_IF_ERROR(CheckOpen());
  ASSIGN_OR_RETURN(const ModelInfo* mp, Model(model));
  const ModelInfo& m = *mp;
  const std::vector<size_t>* cols = &m.pk;
  const std::vector<schema::KeyColumn>* key = &m.pk_key;
  std::string prefix;
  enum { kRows, kLocators, kIndex } source;
  if (spec.index.empty()) {
    source = m.cluster ? kLocators : kRows;
    prefix = SpacePrefix(m.cluster ? kLocatorSpace : kRowSpace, m.entity);
  } else {
    const IndexInfo* found = nullptr;
    for (const IndexInfo& ix : m.indexes) {
      if (ColumnNames(m, ix.columns) == spec.index) found = &ix;
    }
    if (found == nullptr) {
      return Status::InvalidArgument("model " + m.name() + " has no index on (" + spec.index + ")");
    }
    if (found->building) return Status::Busy("index " + found->name + " is still being built by a migration");
    source = kIndex;
    cols = &found->columns;
    key = &found->key;
    prefix = SpacePrefix(kIndexSpace, found->id);
  }
  auto bound = [&](const std::vector<Value>& vals) -> Result<std::string> {
    if (vals.size() > cols->size()) {
      return Status::InvalidArgument("scan bound of " + std::to_string(vals.size()) + " values for " +
                                     std::to_string(cols->size()) + " key columns");
    }
    std::vector<Value> coerced;
    for (size_t i = 0; i < vals.size(); ++i) {
      ASSIGN_OR_RETURN(coerced.emplace_back(), Coerce(m, (*cols)[i], vals[i]));
    }
    std::string b = prefix;
    std::vector<schema::KeyColumn> kc(key->begin(), key->begin() + static_cast<std::ptrdiff_t>(vals.size()));
    RETURN_IF_ERROR(schema::AppendKeyColumns(&b, coerced, kc));
    return b;
  };
  btree::CursorOptions o;
  o.lower_bound = prefix;
  o.upper_bound = PrefixEnd(prefix);
  if (spec.from) {
    ASSIGN_OR_RETURN(o.lower_bound, bound(*spec.from));
  }
  if (spec.to) {
    ASSIGN_OR_RETURN(std::string hi, bound(*spec.to));
    o.upper_bound = PrefixEnd(hi);
  }
  std::vector<Fields> out;
  auto it = txn_->NewIterator(o);
  for (spec.reverse ? it->SeekToLast() : it->SeekToFirst(); it->Valid() && out.size() < spec.limit;
       spec.reverse ? it->Prev() : it->Next()) {
    std::optional<Row> row;
    if (source == kRows) {
      // The model's range also holds the rows clustered under its rows.
      std::string_view rest = it->key().substr(prefix.size());
      std::vector<Value> ignored;
      if (Status st = schema::DecodeKeyColumns(&rest, m.pk_key, &ignored); !st.ok()) {
        return st.Annotate("row key of " + m.name());  // built only on failure
      }
      if (!rest.empty()) continue;
      Result<Row> r = DecodeRow(m, it->value());
      if (!r.ok()) return r.status().Annotate("row of " + m.name());
      row = std::move(r).value();
    } else {
      std::string pk = source == kLocators ? std::string(it->key().substr(prefix.size())) : std::string(it->value());
      ASSIGN_OR_RETURN(row, GetRow(m, pk, nullptr));
      if (!row) return Status::Corruption(std::string(source == kIndex ? "index" : "locator") + " entry of " + m.name() + " names a missing row");
    }
    out.push_back(ToFields(m, *row));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace ormdb::engine
