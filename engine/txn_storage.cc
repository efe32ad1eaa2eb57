#include "engine/txn_storage.h"

#include "engine/keyspace.h"
#include "engine/row_text.h"
#include "query/parser.h"
#include "schema/key_codec.h"

namespace ormdb::engine {

using query::Row;
using query::Visit;

std::span<const query::IndexDesc> TxnStorage::Indexes(schema::ModelIndex mi) const {
  return txn_->catalog_->model(mi).query_indexes;
}

bool TxnStorage::ClusteredUnder(schema::ModelIndex child, schema::RelationIndex r) const {
  const ModelInfo& m = txn_->catalog_->model(child);
  return m.cluster && m.cluster->relation == r;
}

uint64_t TxnStorage::PagesRead() const {
  btree::PagerStats s = txn_->db_->store().tree().pager().stats();
  return s.cache_hits + s.cache_misses;
}

namespace {

// The bytes of a key bound: the prefix, then the bound's columns.
Result<std::string> BoundKey(const std::string& prefix, const query::KeyBound& b,
                             const std::vector<schema::KeyColumn>& key, const ModelInfo& m) {
  if (b.values.size() > key.size()) {
    return Status::InvalidArgument("a key bound of " + std::to_string(b.values.size()) + " values for " +
                                   std::to_string(key.size()) + " key columns of " + m.name());
  }
  std::string out = prefix;
  std::span<const schema::KeyColumn> cols(key.data(), b.values.size());
  Status st = schema::AppendKeyColumns(&out, b.values, cols);
  if (!st.ok()) return st.Annotate("key bound of " + m.name());
  return out;
}

}  // namespace

Status TxnStorage::Scan(schema::ModelIndex mi, int index, std::span<const query::KeyRange> ranges, bool reverse,
                        const query::RowVisitor& visit) {
  RETURN_IF_ERROR(txn_->CheckOpen());
  const ModelInfo& m = txn_->catalog_->model(mi);
  enum { kRows, kLocators, kIndex } source;
  std::string prefix;
  const std::vector<schema::KeyColumn>* key = &m.pk_key;
  if (index == query::IndexDesc::kPrimaryKey) {
    source = m.cluster ? kLocators : kRows;
    prefix = SpacePrefix(m.cluster ? kLocatorSpace : kRowSpace, m.entity);
  } else {
    if (index < 0 || static_cast<size_t>(index) >= m.indexes.size()) {
      return Status::InvalidArgument("model " + m.name() + " has no index " + std::to_string(index));
    }
    const IndexInfo& ix = m.indexes[static_cast<size_t>(index)];
    source = kIndex;
    prefix = SpacePrefix(kIndexSpace, ix.id);
    key = &ix.key;
  }
  const std::string space_end = PrefixEnd(prefix);
  btree::CursorOptions o;
  o.lower_bound = prefix;
  o.upper_bound = space_end;
  auto it = txn_->txn_->NewIterator(o);
  std::string row_key, record;
  // Each entry as a row; false when the entry is not a row of the model
  // (a clustered descendant in the model's own range).
  auto row_of = [&](Row* row) -> Result<bool> {
    if (source == kRows) {
      std::string_view rest = it->key().substr(prefix.size());
      std::vector<schema::Value> ignored;
      RETURN_IF_ERROR(schema::DecodeKeyColumns(&rest, m.pk_key, &ignored).Annotate("row key of " + m.name()));
      if (!rest.empty()) return false;
      Result<Row> r = txn_->DecodeRow(m, it->value());
      if (!r.ok()) return r.status().Annotate("row of " + m.name());
      *row = std::move(r).value();
      row_key.assign(it->key());
      return true;
    }
    std::string pk;
    if (source == kLocators) {
      pk.assign(it->key().substr(prefix.size()));
    } else {
      pk.assign(it->value());
    }
    ASSIGN_OR_RETURN(std::optional<Row> r, txn_->GetRow(m, pk, &row_key));
    if (!r) {
      return Status::Corruption(std::string(source == kIndex ? "an index" : "a locator") + " entry of " + m.name() +
                                " names a missing row");
    }
    *row = std::move(*r);
    return true;
  };
  for (size_t ri = 0; ri < ranges.size(); ++ri) {
    const query::KeyRange& r = ranges[ri];
    std::string lo = prefix, hi = space_end;  // [lo, hi)
    if (r.lo) {
      ASSIGN_OR_RETURN(lo, BoundKey(prefix, *r.lo, *key, m));
      if (!r.lo->inclusive) lo = PrefixEnd(lo);
    }
    if (r.hi) {
      ASSIGN_OR_RETURN(hi, BoundKey(prefix, *r.hi, *key, m));
      if (r.hi->inclusive) hi = PrefixEnd(hi);
    }
    if (!reverse) {
      it->Seek(lo);
    } else {
      it->SeekForPrev(hi);
      if (it->Valid() && it->key() >= hi) it->Prev();
    }
    for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
      if (!reverse && it->key() >= hi) break;
      if (reverse && it->key() < lo) break;
      Row row;
      ASSIGN_OR_RETURN(bool is_row, row_of(&row));
      if (!is_row) continue;
      ASSIGN_OR_RETURN(Visit v, visit(ri, row_key, row));
      if (v == Visit::kStop) return it->status();
      if (v == Visit::kNextRange) break;
    }
    RETURN_IF_ERROR(it->status());
  }
  return Status::OK();
}

Status TxnStorage::ScanClustered(schema::ModelIndex child, std::span<const std::string> parent_keys, bool reverse,
                                 const query::RowVisitor& visit) {
  RETURN_IF_ERROR(txn_->CheckOpen());
  const ModelInfo& m = txn_->catalog_->model(child);
  btree::CursorOptions o;
  o.lower_bound = std::string(1, kRowSpace);
  o.upper_bound = std::string(1, static_cast<char>(kRowSpace + 1));
  auto it = txn_->txn_->NewIterator(o);
  for (size_t pi = 0; pi < parent_keys.size(); ++pi) {
    std::string prefix = parent_keys[pi];
    schema::AppendU32Key(&prefix, m.entity);
    const std::string end = PrefixEnd(prefix);
    if (!reverse) {
      it->Seek(prefix);
    } else {
      it->SeekForPrev(end);
      if (it->Valid() && it->key() >= end) it->Prev();
    }
    for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
      if (!reverse && it->key() >= end) break;
      if (reverse && it->key() < prefix) break;
      // Under the parent: this model's rows and, below each, its own
      // clustered descendants, whose keys go on after the row's.
      std::string_view rest = it->key().substr(prefix.size());
      std::vector<schema::Value> ignored;
      RETURN_IF_ERROR(schema::DecodeKeyColumns(&rest, m.pk_key, &ignored).Annotate("row key of " + m.name()));
      if (!rest.empty()) continue;
      Result<Row> row = txn_->DecodeRow(m, it->value());
      if (!row.ok()) return row.status().Annotate("row of " + m.name());
      ASSIGN_OR_RETURN(Visit v, visit(pi, it->key(), *row));
      if (v == Visit::kStop) return it->status();
      if (v == Visit::kNextRange) break;
    }
    RETURN_IF_ERROR(it->status());
  }
  return Status::OK();
}

Status TxnStorage::CheckTypes(const ModelInfo& m, const Row& values, const std::vector<bool>& given) const {
  if (values.size() != m.fields.size() || given.size() != m.fields.size()) {
    return Status::InvalidArgument("a row of " + m.name() + " has " + std::to_string(values.size()) +
                                   " values for " + std::to_string(m.fields.size()) + " fields");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!given[i]) continue;
    Status st = schema::CheckValueType(values[i], m.fields[i].type);
    if (!st.ok()) return st.Annotate(m.name() + "." + m.fields[i].def->name);
  }
  return Status::OK();
}

Result<Row> TxnStorage::Insert(schema::ModelIndex mi, Row values, std::vector<bool> given) {
  return txn_->Run([&]() -> Result<Row> {
    const ModelInfo& m = txn_->catalog_->model(mi);
    RETURN_IF_ERROR(CheckTypes(m, values, given));
    return txn_->InsertRow(m, std::move(values), given);
  });
}

Result<Row> TxnStorage::Update(schema::ModelIndex mi, const Row& pk_row, Row changes, std::vector<bool> given) {
  return txn_->Run([&]() -> Result<Row> {
    const ModelInfo& m = txn_->catalog_->model(mi);
    RETURN_IF_ERROR(CheckTypes(m, changes, given));
    ASSIGN_OR_RETURN(std::string pk, txn_->PrimaryKeyBytes(m, pk_row));
    return txn_->UpdateRow(m, pk, std::move(changes), std::move(given), 0);
  });
}

Result<bool> TxnStorage::Delete(schema::ModelIndex mi, const Row& pk_row) {
  return txn_->Run([&]() -> Result<bool> {
    const ModelInfo& m = txn_->catalog_->model(mi);
    ASSIGN_OR_RETURN(std::string pk, txn_->PrimaryKeyBytes(m, pk_row));
    ASSIGN_OR_RETURN(std::optional<Row> row, txn_->GetRow(m, pk, nullptr));
    if (!row) return false;
    RETURN_IF_ERROR(txn_->DeleteRow(m, pk, 0));
    return true;
  });
}

// ================================================================ requests

Result<query::QueryResult> Transaction::Execute(const query::Request& request, const query::ExecuteOptions& options) {
  RETURN_IF_ERROR(CheckOpen());
  TxnStorage storage(this);
  Result<query::QueryResult> r = query::Execute(storage, request, options);
  // A failed write leaves the transaction aborted (the Storage's writes
  // mark it); a failed read does not.
  if (!r.ok() && !query::IsRead(request.op) && failed_.ok()) failed_ = r.status();
  if (r.ok()) r->version = txn_->snapshot_version().value();
  return r;
}

Result<query::QueryResult> Database::Execute(std::string_view json_request, const query::ExecuteOptions& options) {
  ASSIGN_OR_RETURN(json::Value v, json::Parse(json_request));
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Transaction> txn = Begin();
    ASSIGN_OR_RETURN(query::Request req, query::ParseRequest(v, txn->catalog().schema()));
    Result<query::QueryResult> r = txn->Execute(req, options);
    if (!r.ok()) return r.status();
    if (query::IsRead(req.op)) {
      txn->Rollback();
      return r;
    }
    Result<mvcc::CommitVersion> committed = txn->Commit();
    if (committed.ok()) {
      r->version = committed->value();
      return r;
    }
    if (!committed.status().IsConflict() || attempt >= 16) return committed.status();
  }
}

Result<std::vector<query::QueryResult>> Database::ExecuteBatch(const std::vector<std::string>& json_requests,
                                                               const query::ExecuteOptions& options) {
  std::vector<json::Value> parsed;
  for (size_t i = 0; i < json_requests.size(); ++i) {
    Result<json::Value> v = json::Parse(json_requests[i]);
    if (!v.ok()) return v.status().Annotate("request " + std::to_string(i));
    parsed.push_back(std::move(v).value());
  }
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Transaction> txn = Begin();
    std::vector<query::QueryResult> out;
    bool writes = false;
    for (size_t i = 0; i < parsed.size(); ++i) {
      Result<query::Request> req = query::ParseRequest(parsed[i], txn->catalog().schema());
      if (!req.ok()) return req.status().Annotate("request " + std::to_string(i));
      writes = writes || !query::IsRead(req->op);
      Result<query::QueryResult> r = txn->Execute(*req, options);
      if (!r.ok()) return r.status().Annotate("request " + std::to_string(i));
      out.push_back(std::move(r).value());
    }
    if (!writes) {
      txn->Rollback();
      return out;
    }
    Result<mvcc::CommitVersion> committed = txn->Commit();
    if (committed.ok()) {
      for (query::QueryResult& r : out) r.version = committed->value();
      return out;
    }
    if (!committed.status().IsConflict() || attempt >= 16) return committed.status();
  }
}

}  // namespace ormdb::engine
