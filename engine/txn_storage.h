// The query layer's Storage (query/storage.h) over an engine Transaction:
// index and clustered scans through the transaction's merged iterator (so a
// request sees the transaction's own writes), rows decoded from records of
// any schema version, and writes through the transaction's constraint
// checks.
#pragma once

#include <map>
#include <vector>

#include "engine/database.h"
#include "query/storage.h"

namespace ormdb::engine {

class TxnStorage final : public query::Storage {
 public:
  explicit TxnStorage(Transaction* txn) : txn_(txn) {}

  const schema::Schema& schema() const override { return txn_->catalog_->schema(); }
  std::span<const query::IndexDesc> Indexes(schema::ModelIndex m) const override;
  const query::ModelColumns& ColumnsOf(schema::ModelIndex m) const override;
  bool ClusteredUnder(schema::ModelIndex child, schema::RelationIndex r) const override;
  Status Scan(schema::ModelIndex m, int index, std::span<const query::KeyRange> ranges, bool reverse,
              const query::RowVisitor& visit) override;
  Status ScanClustered(schema::ModelIndex child, std::span<const std::string> parent_keys, bool reverse,
                       const query::RowVisitor& visit) override;
  Status ScanClusteredStored(schema::ModelIndex child, std::span<const std::string> parent_keys,
                             const query::StoredRowVisitor& visit) override;
  uint64_t PagesRead() const override;

  Result<query::Row> Insert(schema::ModelIndex m, query::Row values, std::vector<bool> given) override;
  Result<query::Row> Update(schema::ModelIndex m, const query::Row& pk, query::Row changes,
                            std::vector<bool> given) override;
  Result<bool> Delete(schema::ModelIndex m, const query::Row& pk) override;

 private:
  // The loop of both clustered scans: on_row(parent, key, record) for each
  // row of `child` under each parent.
  template <typename OnRow>
  Status ForEachClustered(const ModelInfo& m, std::span<const std::string> parent_keys, bool reverse, OnRow on_row);
  Status CheckTypes(const ModelInfo& m, const query::Row& values, const std::vector<bool>& given) const;

  Transaction* txn_;
};

}  // namespace ormdb::engine
