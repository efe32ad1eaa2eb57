#include "mvcc/store.h"

namespace ormdb::mvcc {

WriteTxn::WriteTxn(Store* store, btree::Snapshot snap, Isolation isolation, bool read_only)
    : store_(store),
      snap_(std::move(snap)),
      isolation_(isolation),
      snapshot_(CommitVersion(snap_.meta().user_version)),
      read_only_(read_only) {}

namespace {
Status ReadOnly() { return Status::InvalidArgument("a read-only transaction cannot write"); }
}  // namespace

WriteTxn::~WriteTxn() { Rollback(); }

bool WriteTxn::serializable() const { return isolation_ == Isolation::kSerializable && !read_only_; }

void WriteTxn::ValidateRead(std::string_view key) {
  if (!read_only_) read_keys_.emplace(key);
}

void WriteTxn::ValidateRange(std::string lo, std::optional<std::string> hi) {
  if (!read_only_) read_ranges_.push_back(ScannedRange{std::move(lo), std::move(hi)});
}

Status WriteTxn::Get(std::string_view key, std::string* value) {
  if (done_) return Status::InvalidArgument("transaction already finished");
  auto it = writes_.find(key);
  if (it != writes_.end()) {
    if (!it->second) return Status::NotFound("key not found");
    *value = *it->second;
    return Status::OK();
  }
  if (serializable()) read_keys_.emplace(key);
  return snap_.Get(key, value);
}

Status WriteTxn::Put(std::string_view key, std::string_view value) {
  if (done_) return Status::InvalidArgument("transaction already finished");
  if (read_only_) return ReadOnly();
  const auto& limits = store_->tree().limits();
  if (key.size() > limits.max_key_bytes) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) + " bytes exceeds the limit of " +
                                   std::to_string(limits.max_key_bytes) + " bytes");
  }
  if (value.size() > btree::kMaxValueBytes) {
    return Status::InvalidArgument("value of " + std::to_string(value.size()) + " bytes exceeds the limit of " +
                                   std::to_string(btree::kMaxValueBytes) + " bytes");
  }
  writes_.insert_or_assign(std::string(key), std::string(value));
  ++writes_version_;
  return Status::OK();
}

Status WriteTxn::PutStamped(std::string prefix, std::string suffix, std::string value) {
  if (done_) return Status::InvalidArgument("transaction already finished");
  if (read_only_) return ReadOnly();
  const size_t key_bytes = prefix.size() + 8 + suffix.size();
  if (key_bytes > store_->tree().limits().max_key_bytes || value.size() > btree::kMaxValueBytes) {
    return Status::InvalidArgument("stamped entry of " + std::to_string(key_bytes) + " key bytes and " +
                                   std::to_string(value.size()) + " value bytes exceeds the limits");
  }
  stamped_.push_back(Stamped{std::move(prefix), std::move(suffix), std::move(value)});
  return Status::OK();
}

Status WriteTxn::Delete(std::string_view key) {
  if (done_) return Status::InvalidArgument("transaction already finished");
  if (read_only_) return ReadOnly();
  if (key.size() > store_->tree().limits().max_key_bytes) return Status::OK();  // cannot exist
  writes_.insert_or_assign(std::string(key), std::nullopt);
  ++writes_version_;
  return Status::OK();
}

std::unique_ptr<TxnIterator> WriteTxn::NewIterator(btree::CursorOptions options) {
  return std::unique_ptr<TxnIterator>(new TxnIterator(this, std::move(options)));
}

Result<CommitVersion> WriteTxn::Commit() {
  if (done_) return Status::InvalidArgument("transaction already finished");
  done_ = true;
  if (read_only_) return snapshot_;  // nothing written, nothing to check
  return store_->Commit(*this);
}

Result<Appended> WriteTxn::Append() {
  if (done_) return Status::InvalidArgument("transaction already finished");
  done_ = true;
  if (read_only_) return Appended{snapshot_, wal::Lsn(), /*logged=*/false};
  ASSIGN_OR_RETURN(Appended a, store_->Append(*this));
  if (a.logged) store_->FlushSoon(a.end);
  return a;
}

void WriteTxn::Rollback() {
  if (done_) return;
  done_ = true;
  if (!read_only_) store_->Unregister(snapshot_);
}

}  // namespace ormdb::mvcc
