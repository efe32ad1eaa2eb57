#include "engine/database.h"

#include <thread>

#include "engine/keyspace.h"
#include "mvcc/write_txn.h"

namespace ormdb::engine {

namespace {

// Autoincrement values are reserved durably in blocks of this many.
constexpr int64_t kSequenceBlock = 1024;

std::string SequenceKey(uint32_t entity, uint32_t field) {
  std::string k{kCatalogSpace, 'S'};
  schema::AppendU32Key(&k, entity);
  schema::AppendU32Key(&k, field);
  return k;
}

}  // namespace

// ================================================================= Database

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const std::string& dir, const DatabaseOptions& options) {
  std::unique_ptr<Database> db(new Database());
  db->options_ = options;
  ASSIGN_OR_RETURN(db->store_, mvcc::Store::Open(dir, options.store));
  // Before anything commits (an interrupted migration finishes below); its
  // thread starts once the database is ready.
  db->changes_ = std::make_unique<ChangeLog>(db.get(), db->store_.get(), options.changes);
  RETURN_IF_ERROR(db->LoadCatalogs());
  RETURN_IF_ERROR(db->ResumeMigration());
  RETURN_IF_ERROR(db->changes_->Start());
  return db;
}

Status Database::LoadCatalogs() {
  auto read = store_->BeginRead();
  std::string lo{kCatalogSpace, kCatalogVersionTag};
  auto cursor = read->NewCursor(btree::CursorOptions{lo, PrefixEnd(lo)});
  std::lock_guard lock(mu_);
  current_ = Catalog::Empty();
  current_installed_at_ = 0;  // every snapshot from now on sees what is stored
  versions_[0] = current_;
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    Result<std::shared_ptr<const Catalog>> c = Catalog::Decode(cursor->value());
    if (!c.ok()) return c.status().Annotate("loading the catalog");
    versions_[(*c)->version()] = *c;
    current_ = *c;
  }
  return cursor->status();
}

std::shared_ptr<const Catalog> Database::catalog() const {
  std::lock_guard lock(mu_);
  return current_;
}

Result<std::unique_ptr<Subscription>> Database::Subscribe(const json::Value& spec) {
  return changes_->Subscribe(spec);
}

Result<std::shared_ptr<const Catalog>> Database::CatalogVersion(uint32_t version) const {
  std::lock_guard lock(mu_);
  auto it = versions_.find(version);
  if (it == versions_.end()) {
    return Status::Corruption("a row names schema version " + std::to_string(version) +
                              ", which the catalog does not hold");
  }
  return it->second;
}

bool Database::SnapshotHolds(mvcc::WriteTxn& txn, const Catalog& c) {
  std::string ignored;
  const bool has_own = c.version() == 0 || txn.Get(CatalogKey(kCatalogVersionTag, c.version()), &ignored).ok();
  const bool has_next = txn.Get(CatalogKey(kCatalogVersionTag, c.version() + 1), &ignored).ok();
  return has_own && !has_next;
}

std::unique_ptr<Transaction> Database::Begin(bool read_only) {
  if (read_only) {
    // Without reading the catalog keys: the current catalog is the one the
    // snapshot sees if it was stored at or before the snapshot and no
    // install ran during any of this. An install counts itself started
    // before it commits and finished after it makes its catalog current;
    // so if none was running at the first read below and none started by
    // the last, no newer catalog was committed before the snapshot (it
    // would be current already), and the one read is current.
    const uint64_t finished = installs_finished_.load();
    const uint64_t started = installs_started_.load();
    if (started == finished) {
      auto txn = store_->BeginReadOnly();
      std::shared_ptr<const Catalog> c;
      uint64_t installed_at;
      {
        std::lock_guard lock(mu_);
        c = current_;
        installed_at = current_installed_at_;
      }
      if (installs_started_.load() == started && installed_at <= txn->snapshot_version().value()) {
        assert(SnapshotHolds(*txn, *c) && "a read-only transaction got a catalog its snapshot does not hold");
        return std::unique_ptr<Transaction>(new Transaction(this, std::move(c), std::move(txn)));
      }
    }
    // An install is under way: check the catalog keys as a writer does.
  }
  for (;;) {
    // The catalog must be the one the snapshot sees: a migration commits a
    // new version before it makes it current, so between the two a snapshot
    // can hold a newer version than catalog() returns (or, read in the
    // other order, an older one). Such a transaction would not maintain
    // what the newer version added; take both again until they agree.
    auto txn = read_only ? store_->BeginReadOnly() : store_->BeginWrite(options_.isolation);
    std::shared_ptr<const Catalog> c = catalog();
    if (!SnapshotHolds(*txn, *c)) {
      txn->Rollback();
      std::this_thread::yield();
      continue;
    }
    // A schema change committed later makes this transaction's commit fail.
    if (!read_only) txn->ValidateRead(CatalogKey(kCatalogVersionTag, c->version() + 1));
    return std::unique_ptr<Transaction>(new Transaction(this, std::move(c), std::move(txn)));
  }
}

Result<std::shared_ptr<const Catalog>> Database::InstallSchema(std::string file_name, std::string text) {
  RETURN_IF_ERROR(Migrate(std::move(file_name), std::move(text)).status());
  return catalog();
}

Result<std::shared_ptr<const Catalog>> Database::Install(std::shared_ptr<const Catalog> next,
                                                         const std::string& record) {
  InstallWindow window(this);
  auto txn = store_->BeginWrite();
  RETURN_IF_ERROR(txn->Put(CatalogKey(kCatalogVersionTag, next->version()), next->Encode()));
  if (!record.empty()) RETURN_IF_ERROR(txn->Put(CatalogKey(kMigrationRecordTag, next->version()), record));
  ASSIGN_OR_RETURN(mvcc::CommitVersion at, txn->Commit());
  std::lock_guard lock(mu_);
  versions_[next->version()] = next;
  current_ = next;
  current_installed_at_ = at.value();
  return next;
}

Result<int64_t> Database::NextSequence(const ModelInfo& m, size_t field) {
  const uint32_t fid = m.fields[field].id;
  std::lock_guard lock(mu_);
  auto key = std::make_pair(m.entity, fid);
  auto it = sequences_.find(key);
  // Values are handed out from a block reserved durably in advance, so a
  // restart never repeats one (it skips the rest of the block, as
  // PostgreSQL's cached sequences do).
  const std::string skey = SequenceKey(m.entity, fid);
  int64_t last = it == sequences_.end() ? -1 : it->second;
  std::string reserved_bytes;
  for (int attempt = 0;; ++attempt) {
    auto read = store_->BeginRead();
    Status st = read->Get(skey, &reserved_bytes);
    if (!st.ok() && !st.IsNotFound()) return st;
    int64_t reserved = st.IsNotFound() ? 0 : static_cast<int64_t>(coding::DecodeFixed64(reserved_bytes.data()));
    if (st.ok() && reserved_bytes.size() != 8) return Status::Corruption("sequence of " + m.name() + " malformed");
    if (last < 0) last = reserved;  // first use since open: continue after the reserved block
    if (last < reserved) {
      sequences_[key] = last + 1;
      return last + 1;
    }
    auto txn = store_->BeginWrite();
    std::string next;
    coding::PutFixed64(&next, static_cast<uint64_t>(reserved + kSequenceBlock));
    RETURN_IF_ERROR(txn->Put(skey, next));
    Result<mvcc::CommitVersion> done = txn->Commit();
    if (done.ok()) continue;
    if (!done.status().IsConflict() || attempt > 100) return done.status();
  }
}

Status Database::AdvanceSequence(const ModelInfo& m, size_t field, int64_t used) {
  const uint32_t fid = m.fields[field].id;
  std::lock_guard lock(mu_);
  auto key = std::make_pair(m.entity, fid);
  auto it = sequences_.find(key);
  if (it != sequences_.end() && it->second >= used) return Status::OK();
  const std::string skey = SequenceKey(m.entity, fid);
  for (int attempt = 0;; ++attempt) {
    auto txn = store_->BeginWrite();
    std::string reserved_bytes;
    Status st = txn->Get(skey, &reserved_bytes);
    if (!st.ok() && !st.IsNotFound()) return st;
    if (st.ok() && reserved_bytes.size() != 8) return Status::Corruption("sequence of " + m.name() + " malformed");
    const int64_t reserved = st.IsNotFound() ? 0 : static_cast<int64_t>(coding::DecodeFixed64(reserved_bytes.data()));
    if (reserved > used) {
      // Values up to `reserved` may have been handed out before a restart:
      // continue after the block, as NextSequence would.
      if (it == sequences_.end()) sequences_[key] = reserved;
      else it->second = std::max(it->second, used);
      return Status::OK();
    }
    // Reserved a block past the value, as NextSequence does: explicit ids
    // arrive in runs (an import, a migration copying rows), and a durable
    // commit per row made copying 20,000 rows take seconds.
    std::string next;
    const int64_t block_end = used > INT64_MAX - kSequenceBlock ? INT64_MAX : used + kSequenceBlock;
    coding::PutFixed64(&next, static_cast<uint64_t>(block_end));
    RETURN_IF_ERROR(txn->Put(skey, next));
    Result<mvcc::CommitVersion> done = txn->Commit();
    if (done.ok()) {
      sequences_[key] = used;
      return Status::OK();
    }
    if (!done.status().IsConflict() || attempt > 100) return done.status();
  }
}

std::shared_ptr<std::shared_mutex> Database::Gate(uint32_t entity) {
  std::lock_guard lock(mu_);
  auto& g = gates_[entity];
  if (!g) g = std::make_shared<std::shared_mutex>();
  return g;
}

}  // namespace ormdb::engine
