#include "engine/txn_storage.h"

#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "engine/keyspace.h"
#include "engine/row_text.h"
#include "query/parser.h"
#include "query/result.h"
#include "schema/key_codec.h"

namespace ormdb::engine {

using query::Row;
using query::Visit;

std::span<const query::IndexDesc> TxnStorage::Indexes(schema::ModelIndex mi) const {
  return txn_->catalog_->model(mi).query_indexes;
}

const query::ModelColumns& TxnStorage::ColumnsOf(schema::ModelIndex mi) const {
  return txn_->catalog_->model(mi).columns;
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

// Moves a forward iterator to the first key >= target. Rows stored together
// (a parent's clustered children, the next parent's range) usually begin a
// few entries on, so stepping beats a seek from the root; a longer way is
// one seek.
void SeekForward(mvcc::TxnIterator* it, std::string_view target) {
  constexpr int kMaxSteps = 8;
  if (it->Valid() && it->key() <= target) {
    for (int i = 0; i < kMaxSteps && it->Valid(); ++i) {
      if (it->key() >= target) return;
      it->Next();
    }
    if (!it->Valid()) return;  // ran off the end: nothing at or after target
  }
  if (!it->Valid() || it->key() < target) {
    it->Seek(target);
    return;
  }
}

// In a range of rows (a model's own, or its rows under one parent), the
// entry after each row's key are the rows clustered under it. True when the
// iterator is on a row of `m` (its key is the range's `prefix_size` bytes
// and a primary key); otherwise it is on a descendant, and the iterator moves
// past that row's descendants (forward) or back to the row itself (reverse).
Result<bool> AtRowOrPassDescendant(mvcc::TxnIterator* it, size_t prefix_size, const ModelInfo& m, bool reverse,
                                   std::vector<schema::Value>* scratch) {
  std::string_view k = it->key();
  std::string_view rest = k.substr(prefix_size);
  scratch->clear();
  if (Status st = schema::DecodeKeyColumns(&rest, m.pk_key, scratch); !st.ok()) {
    return st.Annotate("row key of " + m.name());  // built only on failure
  }
  if (rest.empty()) return true;
  const std::string own(k.substr(0, k.size() - rest.size()));
  if (!reverse) {
    SeekForward(it, PrefixEnd(own));
  } else {
    it->SeekForPrev(own);
  }
  return false;
}

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
  bool unique = true;
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
    unique = ix.kind == IndexInfo::Kind::kUnique;
  }
  const std::string space_end = PrefixEnd(prefix);
  std::unique_ptr<mvcc::TxnIterator> it;  // made when a range needs one
  std::string row_key, record;

  // A range naming one whole key of a unique index (or the primary key) is
  // a lookup: no cursor.
  auto lookup = [&](size_t ri, const query::KeyRange& r) -> Result<Visit> {
    ASSIGN_OR_RETURN(std::string k, BoundKey(prefix, *r.lo, *key, m));
    std::optional<Row> row;
    if (source == kRows) {
      Status st = txn_->txn_->Get(k, &record);
      if (st.IsNotFound()) return Visit::kContinue;
      RETURN_IF_ERROR(st);
      Result<Row> decoded = txn_->DecodeRow(m, record);
      if (!decoded.ok()) return decoded.status().Annotate("row of " + m.name());
      row = std::move(decoded).value();
      row_key = std::move(k);
    } else {
      std::string pk;
      if (source == kLocators) {
        pk = k.substr(prefix.size());
      } else {
        Status st = txn_->txn_->Get(k, &pk);
        if (st.IsNotFound()) return Visit::kContinue;
        RETURN_IF_ERROR(st);
      }
      ASSIGN_OR_RETURN(row, txn_->GetRow(m, pk, &row_key));
      if (!row) {
        if (source == kLocators) return Visit::kContinue;
        return Status::Corruption("an index entry of " + m.name() + " names a missing row");
      }
    }
    return visit(ri, row_key, *row);
  };
  auto is_lookup = [&](const query::KeyRange& r) {
    if (!unique || !r.lo || !r.hi || !r.lo->inclusive || !r.hi->inclusive) return false;
    if (r.lo->values.size() != key->size() || r.hi->values.size() != key->size()) return false;
    for (size_t i = 0; i < key->size(); ++i) {
      // A unique index holds rows with a null column under longer keys.
      if (r.lo->values[i].is_null() || schema::Compare(r.lo->values[i], r.hi->values[i]) != 0) return false;
    }
    return true;
  };

  // The model's own range also holds the rows clustered under its rows,
  // right after each row: they are skipped by seeking past them.
  const bool skip_descendants = source == kRows && m.has_clustered_children;
  std::vector<schema::Value> pk_values;
  for (size_t ri = 0; ri < ranges.size(); ++ri) {
    const query::KeyRange& r = ranges[ri];
    if (is_lookup(r)) {
      ASSIGN_OR_RETURN(Visit v, lookup(ri, r));
      if (v == Visit::kStop) return Status::OK();
      continue;
    }
    std::string lo = prefix, hi = space_end;  // [lo, hi)
    if (r.lo) {
      ASSIGN_OR_RETURN(lo, BoundKey(prefix, *r.lo, *key, m));
      if (!r.lo->inclusive) lo = PrefixEnd(lo);
    }
    if (r.hi) {
      ASSIGN_OR_RETURN(hi, BoundKey(prefix, *r.hi, *key, m));
      if (r.hi->inclusive) hi = PrefixEnd(hi);
    }
    const bool fresh = !it;
    if (fresh) {
      btree::CursorOptions o;
      o.lower_bound = prefix;
      o.upper_bound = space_end;
      it = txn_->txn_->NewIterator(o);
    }
    if (!reverse) {
      // Ranges come in ascending order: the cursor is already near.
      fresh ? it->Seek(lo) : SeekForward(it.get(), lo);
    } else {
      it->SeekForPrev(hi);
      if (it->Valid() && it->key() >= hi) it->Prev();
    }
    while (it->Valid()) {
      std::string_view k = it->key();
      if (!reverse && k >= hi) break;
      if (reverse && k < lo) break;
      Row row;
      if (source == kRows) {
        ASSIGN_OR_RETURN(bool is_row, AtRowOrPassDescendant(it.get(), prefix.size(), m, reverse, &pk_values));
        if (!is_row) continue;
        Result<Row> decoded = txn_->DecodeRow(m, it->value());
        if (!decoded.ok()) return decoded.status().Annotate("row of " + m.name());
        row = std::move(decoded).value();
        row_key.assign(k);
      } else {
        const std::string pk(source == kLocators ? k.substr(prefix.size()) : it->value());
        ASSIGN_OR_RETURN(std::optional<Row> found, txn_->GetRow(m, pk, &row_key));
        if (!found) {
          return Status::Corruption(std::string(source == kIndex ? "an index" : "a locator") + " entry of " +
                                    m.name() + " names a missing row");
        }
        row = std::move(*found);
      }
      ASSIGN_OR_RETURN(Visit v, visit(ri, row_key, row));
      if (v == Visit::kStop) return Status::OK();
      if (v == Visit::kNextRange) break;
      if (skip_descendants && !reverse) {
        SeekForward(it.get(), PrefixEnd(it->key()));  // the row's key (the visitor may have taken row_key)
      } else {
        reverse ? it->Prev() : it->Next();
      }
    }
    RETURN_IF_ERROR(it->status());
  }
  return Status::OK();
}

template <typename OnRow>
Status TxnStorage::ForEachClustered(const ModelInfo& m, std::span<const std::string> parent_keys, bool reverse,
                                    OnRow on_row) {
  RETURN_IF_ERROR(txn_->CheckOpen());
  btree::CursorOptions o;
  o.lower_bound = std::string(1, kRowSpace);
  o.upper_bound = std::string(1, static_cast<char>(kRowSpace + 1));
  auto it = txn_->txn_->NewIterator(o);
  std::vector<schema::Value> pk_values;
  for (size_t pi = 0; pi < parent_keys.size(); ++pi) {
    std::string prefix = parent_keys[pi];
    schema::AppendU32Key(&prefix, m.entity);
    const std::string end = PrefixEnd(prefix);
    if (!reverse) {
      // Parents come in key order, and each one's children follow it.
      pi == 0 ? it->Seek(prefix) : SeekForward(it.get(), prefix);
    } else {
      it->SeekForPrev(end);
      if (it->Valid() && it->key() >= end) it->Prev();
    }
    while (it->Valid()) {
      std::string_view k = it->key();
      if (!reverse && k >= end) break;
      if (reverse && k < prefix) break;
      // Under the parent: this model's rows and, right after each, its own
      // clustered descendants, which are skipped by seeking past them.
      ASSIGN_OR_RETURN(bool is_row, AtRowOrPassDescendant(it.get(), prefix.size(), m, reverse, &pk_values));
      if (!is_row) continue;
      ASSIGN_OR_RETURN(Visit v, on_row(pi, k, it->value()));
      if (v == Visit::kStop) return it->status();
      if (v == Visit::kNextRange) break;
      if (m.has_clustered_children && !reverse) {
        SeekForward(it.get(), PrefixEnd(it->key()));
      } else {
        reverse ? it->Prev() : it->Next();
      }
    }
    RETURN_IF_ERROR(it->status());
  }
  return Status::OK();
}

Status TxnStorage::ScanClustered(schema::ModelIndex child, std::span<const std::string> parent_keys, bool reverse,
                                 const query::RowVisitor& visit) {
  const ModelInfo& m = txn_->catalog_->model(child);
  return ForEachClustered(m, parent_keys, reverse,
                          [&](size_t pi, std::string_view key, std::string_view record) -> Result<Visit> {
                            Result<Row> row = txn_->DecodeRow(m, record);
                            if (!row.ok()) return row.status().Annotate("row of " + m.name());
                            std::string row_key(key);
                            return visit(pi, row_key, *row);
                          });
}

namespace {

// A record read in place: columns copied out as stored when it is in the
// current layout, else decoded (once) through the transaction.
class StoredRecord final : public query::StoredRow {
 public:
  using Decode = std::function<Result<Row>(std::string_view)>;
  StoredRecord(const ModelInfo& m, uint32_t current_version, Decode decode)
      : m_(m), current_version_(current_version), decode_(std::move(decode)) {}

  Status Reset(std::string_view record) {
    record_ = record;
    decoded_.reset();
    view_.reset();
    ASSIGN_OR_RETURN(uint32_t version, schema::RecordSchemaVersion(record));
    if (version == current_version_) {
      Result<schema::RecordView> view = schema::RecordView::Open(record, *m_.layout);
      if (!view.ok()) return view.status().Annotate("row of " + m_.name());
      view_.emplace(std::move(view).value());
    }
    return Status::OK();
  }

  bool AppendStored(size_t c, query::ColumnBuilder* b) const override {
    if (!view_) return false;
    if (view_->IsNull(c)) {
      b->AppendNull();
      return true;
    }
    const schema::StorageType t = m_.layout->field(c).type;
    if (t == schema::StorageType::kEnum || t == schema::StorageType::kDecimal) return false;
    b->AppendStored(m_.layout->is_fixed(c) ? view_->GetFixed(c) : view_->GetVariable(c));
    return true;
  }

  Result<schema::Value> Get(size_t c) const override {
    if (view_) return view_->Get(c);
    if (!decoded_) {
      Result<Row> row = decode_(record_);
      if (!row.ok()) return row.status().Annotate("row of " + m_.name());
      decoded_ = std::move(row).value();
    }
    return (*decoded_)[c];
  }

 private:
  const ModelInfo& m_;
  const uint32_t current_version_;
  const Decode decode_;
  std::string_view record_;
  std::optional<schema::RecordView> view_;
  mutable std::optional<Row> decoded_;
};

}  // namespace

Status TxnStorage::ScanClusteredStored(schema::ModelIndex child, std::span<const std::string> parent_keys,
                                       const query::StoredRowVisitor& visit) {
  const ModelInfo& m = txn_->catalog_->model(child);
  StoredRecord row(m, txn_->catalog_->version(), [&](std::string_view record) { return txn_->DecodeRow(m, record); });
  return ForEachClustered(m, parent_keys, /*reverse=*/false,
                          [&](size_t pi, std::string_view, std::string_view record) -> Result<Visit> {
                            RETURN_IF_ERROR(row.Reset(record));
                            return visit(pi, row);
                          });
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
  // A request of the wrong kind is refused before it runs: it does not
  // abort the transaction.
  RETURN_IF_ERROR(query::CheckAccepted(request, options));
  TxnStorage storage(this);
  would_wait_ = options.would_wait;
  Result<query::QueryResult> r = query::Execute(storage, request, options);
  would_wait_ = nullptr;
  // A failed write leaves the transaction aborted (the Storage's writes
  // mark it); a failed read does not.
  if (!r.ok() && !query::IsRead(request.op) && failed_.ok()) failed_ = r.status();
  if (r.ok()) r->version = txn_->snapshot_version().value();
  return r;
}

namespace {

// A conflict means a commit after our snapshot was logged first; it becomes
// visible a moment later (once applied). Retrying before then would read the
// same snapshot and conflict again, so wait until a newer commit is visible.
void AwaitNewerCommit(mvcc::Store& store, mvcc::CommitVersion snapshot) {
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + milliseconds(100);
  while (store.last_committed() <= snapshot && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(microseconds(20));
  }
}

constexpr int kMaxConflictRetries = 100;

// Before retrying a conflict: waits for a newer commit, unless the caller
// must not wait (ExecuteOptions::would_wait: it is told, and runs the
// request again elsewhere). True when the retry may go ahead.
bool WaitToRetry(mvcc::Store& store, mvcc::CommitVersion snapshot, const query::ExecuteOptions& options) {
  if (options.would_wait != nullptr) {
    *options.would_wait = true;
    return false;
  }
  AwaitNewerCommit(store, snapshot);
  return true;
}

}  // namespace

Result<query::QueryResult> Transaction::Execute(const json::Value& request, const query::ExecuteOptions& options) {
  RETURN_IF_ERROR(CheckOpen());
  ASSIGN_OR_RETURN(query::Request req, query::ParseRequest(request, catalog().schema()));
  return Execute(req, options);
}

Result<query::QueryResult> Database::Execute(std::string_view json_request, const query::ExecuteOptions& options) {
  ASSIGN_OR_RETURN(json::Value v, json::Parse(json_request));
  return Execute(v, options);
}

Result<query::QueryResult> Database::Execute(const json::Value& v, const query::ExecuteOptions& options,
                                             std::unique_ptr<PendingCommit>* deferred) {
  // Reads run in a read-only transaction (no lock, no registration). The
  // request's kind is known once it is parsed against the transaction's
  // catalog: a write then starts over in a read-write transaction (unless
  // only reads are accepted: Execute refuses it before it runs).
  bool read_only = options.accept != query::ExecuteOptions::Accept::kWrites;
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Transaction> txn = Begin(read_only);
    ASSIGN_OR_RETURN(query::Request req, query::ParseRequest(v, txn->catalog().schema()));
    if (read_only && !query::IsRead(req.op) && options.accept != query::ExecuteOptions::Accept::kReads) {
      read_only = false;
      --attempt;  // not a conflict
      continue;
    }
    Result<query::QueryResult> r = txn->Execute(req, options);
    if (!r.ok()) return r.status();
    if (query::IsRead(req.op)) {
      txn->Rollback();
      return r;
    }
    const mvcc::CommitVersion snapshot = txn->snapshot_version();
    Status failed;
    if (deferred != nullptr) {
      uint64_t change_bytes = 0;
      Result<mvcc::Appended> appended = txn->AppendCommit(&change_bytes);
      if (appended.ok()) {
        r->version = appended->version.value();
        deferred->reset(new PendingCommit(std::move(txn), *appended, change_bytes));
        return r;
      }
      failed = appended.status();
    } else {
      Result<mvcc::CommitVersion> committed = txn->Commit();
      if (committed.ok()) {
        r->version = committed->value();
        return r;
      }
      failed = committed.status();
    }
    if (!failed.IsConflict() || attempt >= kMaxConflictRetries) return failed;
    if (!WaitToRetry(*store_, snapshot, options)) return failed;
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
    const mvcc::CommitVersion snapshot = txn->snapshot_version();
    Result<mvcc::CommitVersion> committed = txn->Commit();
    if (committed.ok()) {
      for (query::QueryResult& r : out) r.version = committed->value();
      return out;
    }
    if (!committed.status().IsConflict() || attempt >= kMaxConflictRetries) return committed.status();
    if (!WaitToRetry(*store_, snapshot, options)) return committed.status();
  }
}

}  // namespace ormdb::engine
