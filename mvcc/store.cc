#include "mvcc/store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>

#include "util/coding.h"
#include "util/thread_name.h"
#include "wal/log_reader.h"

namespace ormdb::mvcc {
namespace {

constexpr char kTreeFile[] = "tree.odb";
constexpr char kLogDir[] = "wal";
constexpr uint64_t kRecoveryRecordsPerGeneration = 1000;

// Whether two sorted key lists share a key; returns it.
const std::string* FirstCommon(const std::vector<std::string>& sorted, const auto& keys) {
  for (const auto& k : keys) {
    if (std::binary_search(sorted.begin(), sorted.end(), k)) return &*std::lower_bound(sorted.begin(), sorted.end(), k);
  }
  return nullptr;
}

}  // namespace

Store::Store(std::string dir, const StoreOptions& options) : dir_(std::move(dir)), options_(options) {}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  if (!FileExists(dir)) {
    RETURN_IF_ERROR(CreateDirectories(dir));
    RETURN_IF_ERROR(SyncDirectory(DirectoryOf(dir)));  // the new directory's own entry
  }
  std::unique_ptr<Store> s(new Store(dir, options));
  btree::TreeOptions tree_options = options.tree;
  // The log makes commits durable; the tree file is written at checkpoints.
  ASSIGN_OR_RETURN(s->tree_, btree::Tree::Open(dir + "/" + kTreeFile, tree_options));
  RETURN_IF_ERROR(s->Recover());
  if (options.background_checkpoints) s->checkpointer_ = std::thread([p = s.get()] {
      NameThisThread("ormdb-checkpt");
      p->CheckpointLoop();
    });
  return s;
}

Status Store::Recover() {
  const btree::MetaState meta = tree_->pager().meta();
  const std::string log_dir = dir_ + "/" + kLogDir;
  ASSIGN_OR_RETURN(auto reader, wal::LogReader::Open(log_dir, meta.database_id, wal::Lsn(meta.wal_position),
                                                     options_.log.opener));
  CommitVersion last(meta.user_version);
  std::unique_ptr<btree::WriteTxn> txn;
  uint64_t in_txn = 0;
  wal::LogRecord rec;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
    if (!more) break;
    std::string where = log_dir + ": record at position " + rec.lsn.ToString();
    if (rec.version <= last.value()) {
      return Status::Corruption(where + ": commit version " + std::to_string(rec.version) + " does not follow " +
                                last.ToString());
    }
    if (!txn) txn = tree_->BeginWrite();
    RETURN_IF_ERROR(wal::DecodeWriteSet(rec.payload, where, [&](const wal::WriteOp& op) {
      return op.is_delete ? txn->Delete(op.key) : txn->Put(op.key, op.value);
    }));
    last = CommitVersion(rec.version);
    txn->set_user_version(rec.version);
    txn->set_wal_position(rec.end.value());
    ++recovered_records_;
    if (++in_txn == kRecoveryRecordsPerGeneration) {
      RETURN_IF_ERROR(txn->Publish());
      txn.reset();
      in_txn = 0;
      // Bound the memory replay holds: write what it built so far.
      if (tree_->pager().unwritten_pages() * tree_->pager().page_size() >= options_.checkpoint_unwritten_bytes) {
        RETURN_IF_ERROR(tree_->Checkpoint().status());
      }
    }
  }
  if (txn) RETURN_IF_ERROR(txn->Publish());
  txn.reset();
  if (recovered_records_ > 0) RETURN_IF_ERROR(tree_->Checkpoint().status());
  last_assigned_ = last;
  applied_ = last.value();
  wal::LogOptions log_options = options_.log;
  // The thread that completes a flush applies the whole group to the tree
  // before any of its committers wakes up.
  log_options.on_durable = [this](wal::Lsn) {
    if (!ApplyDurable(CommitVersion(std::numeric_limits<uint64_t>::max())).ok()) return Fail();  // failure_ says why
    std::lock_guard lock(commit_mu_);
    PruneLocked();  // else a stream of successful commits would grow the window forever
  };
  ASSIGN_OR_RETURN(log_, wal::LogWriter::Open(log_dir, meta.database_id, reader->end(), log_options));
  last_checkpoint_lsn_ = tree_->pager().meta().wal_position;
  return log_->RemoveSegmentsBefore(wal::Lsn(last_checkpoint_lsn_.load()));
}

Store::~Store() {
  {
    std::lock_guard lock(flush_mu_);
    flusher_stop_ = true;
  }
  flush_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  {
    std::lock_guard lock(checkpoint_wait_mu_);
    stop_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  // Open may have failed before the log was open: nothing to checkpoint then.
  if (!options_.checkpoint_on_close || log_ == nullptr) return;
  Status st = Checkpoint();
  if (!st.ok()) std::fprintf(stderr, "ormdb: final checkpoint failed: %s\n", st.ToString().c_str());
}

std::unique_ptr<ReadTxn> Store::BeginRead() { return std::unique_ptr<ReadTxn>(new ReadTxn(tree_->GetSnapshot())); }

std::unique_ptr<WriteTxn> Store::BeginWrite(Isolation isolation) {
  // The snapshot is taken and registered together, so validation never
  // forgets a commit this transaction has not seen.
  std::lock_guard lock(commit_mu_);
  btree::Snapshot snap = tree_->GetSnapshot();
  writers_.insert(CommitVersion(snap.meta().user_version));
  return std::unique_ptr<WriteTxn>(new WriteTxn(this, std::move(snap), isolation, /*read_only=*/false));
}

std::unique_ptr<WriteTxn> Store::BeginReadOnly() {
  return std::unique_ptr<WriteTxn>(
      new WriteTxn(this, tree_->GetSnapshot(), Isolation::kSnapshot, /*read_only=*/true));
}

void Store::Unregister(CommitVersion snapshot) {
  std::lock_guard lock(commit_mu_);
  auto it = writers_.find(snapshot);
  if (it != writers_.end()) writers_.erase(it);
  PruneLocked();
}

void Store::PruneLocked() {
  // Commits every open writer (and every future one) has seen need no checking.
  CommitVersion horizon(applied_.load());
  if (!writers_.empty()) horizon = std::min(horizon, *writers_.begin());
  while (!recent_.empty() && recent_.front().version <= horizon) recent_.pop_front();
}

Result<CommitVersion> Store::Commit(WriteTxn& t) {
  ASSIGN_OR_RETURN(Appended a, Append(t));
  RETURN_IF_ERROR(AwaitDurable(a));
  return a.version;
}

Result<Appended> Store::Append(WriteTxn& t) {
  if (t.writes_.empty() && t.stamped_.empty()) {
    // Read-only: nothing to log. (Serializable read-only transactions are
    // consistent with their snapshot by construction.)
    Unregister(t.snapshot_);
    return Appended{t.snapshot_, wal::Lsn(), /*logged=*/false};
  }
  wal::WriteSetEncoder enc;
  std::vector<std::string> keys;
  keys.reserve(t.writes_.size());
  for (const auto& [k, v] : t.writes_) {
    if (v) {
      enc.Put(k, *v);
    } else {
      enc.Delete(k);
    }
    keys.push_back(k);
  }
  // Stamped keys get their version under the lock; their places in the
  // payload are kept to patch it there.
  std::vector<size_t> stamp_at;
  for (const WriteTxn::Stamped& st : t.stamped_) {
    std::string key = st.prefix;
    key.append(8, '\0');
    key += st.suffix;
    stamp_at.push_back(enc.Put(key, st.value) + st.prefix.size());
  }
  for (size_t& at : stamp_at) at += enc.header_bytes();
  std::string payload = enc.Finish();

  CommitVersion version;
  wal::Lsn end;
  {
    std::unique_lock lock(commit_mu_);
    Status conflict;
    for (auto it = recent_.rbegin(); it != recent_.rend() && it->version > t.snapshot_; ++it) {
      const std::string* k = FirstCommon(it->keys, keys);
      const char* what = "wrote";
      if (k == nullptr && (!t.read_keys_.empty() || !t.read_ranges_.empty())) {
        k = FirstCommon(it->keys, t.read_keys_);
        what = "read";
        if (k == nullptr) {
          for (const ScannedRange& r : t.read_ranges_) {
            auto lo = std::lower_bound(it->keys.begin(), it->keys.end(), r.lo);
            if (lo != it->keys.end() && (!r.hi || *lo <= *r.hi)) {
              k = &*lo;
              what = "scanned";
              break;
            }
          }
        }
      }
      if (k != nullptr) {
        conflict = Status::Conflict(std::string("transaction ") + what + " key \"" + *k +
                                    "\", which commit " + it->version.ToString() +
                                    " changed after its snapshot " + t.snapshot_.ToString() + "; retry it");
        break;
      }
    }
    if (conflict.ok() && !failure_.ok()) conflict = failure_;
    if (!conflict.ok()) {
      lock.unlock();
      Unregister(t.snapshot_);
      if (conflict.IsConflict()) conflicts_.fetch_add(1, std::memory_order_relaxed);
      return conflict;
    }
    version = last_assigned_.Next();
    char stamp[8];
    coding::EncodeFixed64BE(stamp, version.value());
    for (size_t at : stamp_at) std::memcpy(payload.data() + at, stamp, 8);
    Result<wal::Lsn> appended = log_->Append(wal::RecordType::kCommit, version.value(), payload);
    if (!appended.ok()) {
      lock.unlock();
      Unregister(t.snapshot_);
      return appended.status();
    }
    end = *appended;
    last_assigned_ = version;
    recent_.push_back(Committed{version, std::move(keys)});
    ToApply a{version, end, {}};
    for (auto& [k, v] : t.writes_) a.writes.emplace(k, std::move(v));
    for (WriteTxn::Stamped& st : t.stamped_) {
      std::string key = std::move(st.prefix);
      key.append(stamp, 8);
      key += st.suffix;
      a.writes.emplace(std::move(key), std::move(st.value));
    }
    to_apply_.push_back(std::move(a));
    auto it = writers_.find(t.snapshot_);
    if (it != writers_.end()) writers_.erase(it);
  }
  return Appended{version, end, /*logged=*/true};
}

Status Store::AwaitDurable(const Appended& a) {
  if (!a.logged) return Status::OK();
  if (applied_.load() < a.version.value()) {
    if (Status st = log_->Sync(a.end); !st.ok()) {
      Fail();
      return st;
    }
    // Done by the flush's on_durable unless that failed.
    if (Status st = ApplyDurable(a.version); !st.ok()) {
      Fail();
      return st;
    }
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  if (CheckpointDue()) checkpoint_cv_.notify_one();
  return Status::OK();
}

void Store::FlushSoon(wal::Lsn end) {
  {
    std::lock_guard lock(flush_mu_);
    if (end.value() <= flush_wanted_) return;  // a flush that covers it is asked for already
    flush_wanted_ = end.value();
    if (!flusher_.joinable()) flusher_ = std::thread([this] {
      NameThisThread("ormdb-flusher");
      FlusherLoop();
    });
  }
  flush_cv_.notify_one();
}

void Store::FlusherLoop() {
  std::unique_lock lock(flush_mu_);
  uint64_t done = 0;
  while (!flusher_stop_) {
    if (flush_wanted_ <= done) {
      flush_cv_.wait(lock);
      continue;
    }
    const uint64_t target = flush_wanted_;
    lock.unlock();
    // The flush's on_durable applies the group and tells the listeners.
    Status st = log_->Sync(wal::Lsn(target));
    if (st.ok()) st = ApplyDurable(CommitVersion(std::numeric_limits<uint64_t>::max()));
    if (!st.ok()) Fail();
    lock.lock();
    done = target;
  }
}

void Store::Fail() {
  if (failed_.exchange(true)) return;
  NotifyApplied();
}

uint64_t Store::AddAppliedListener(std::function<void()> fn) {
  std::lock_guard lock(listeners_mu_);
  listeners_.emplace_back(next_listener_, std::move(fn));
  have_listeners_.store(true);
  return next_listener_++;
}

void Store::RemoveAppliedListener(uint64_t handle) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [handle](const auto& l) { return l.first == handle; });
  have_listeners_.store(!listeners_.empty());
}

void Store::NotifyApplied() {
  if (!have_listeners_.load()) return;
  std::lock_guard lock(listeners_mu_);
  for (auto& [handle, fn] : listeners_) fn();
}

Status Store::ApplyDurable(CommitVersion upto) {
  if (applied_.load() >= upto.value()) return Status::OK();
  std::lock_guard apply_lock(apply_mu_);
  if (applied_.load() >= upto.value()) return Status::OK();
  const wal::Lsn durable = log_->durable();
  std::vector<ToApply> group;
  {
    std::lock_guard lock(commit_mu_);
    if (!failure_.ok()) return failure_;
    while (!to_apply_.empty() && to_apply_.front().end <= durable) {
      group.push_back(std::move(to_apply_.front()));
      to_apply_.pop_front();
    }
  }
  // One copy-on-write generation for the whole group of durable commits.
  auto txn = tree_->BeginWrite();
  Status st;
  for (const ToApply& a : group) {
    for (const auto& [k, v] : a.writes) {
      st = v ? txn->Put(k, *v) : txn->Delete(k);
      if (!st.ok()) break;
    }
    if (!st.ok()) break;
  }
  if (st.ok() && !group.empty()) {
    txn->set_user_version(group.back().version.value());
    txn->set_wal_position(group.back().end.value());
    st = txn->Publish();
  }
  if (!st.ok()) {
    // The commits are durable in the log but cannot be made visible: stop,
    // and let a reopen replay them.
    std::lock_guard lock(commit_mu_);
    failure_ = st.Annotate("applying logged commits to the tree (reopen the database)");
    return failure_;
  }
  if (!group.empty()) {
    applied_.store(group.back().version.value());
    apply_groups_.fetch_add(1, std::memory_order_relaxed);
    NotifyApplied();
  }
  return Status::OK();
}

Status Store::Checkpoint() {
  std::lock_guard lock(checkpoint_mu_);
  ASSIGN_OR_RETURN(btree::MetaState written, tree_->Checkpoint());
  wal::Lsn covered(written.wal_position);
  RETURN_IF_ERROR(log_->RemoveSegmentsBefore(covered));
  last_checkpoint_lsn_ = covered.value();
  checkpoints_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

void Store::CheckpointLoop() {
  auto last = std::chrono::steady_clock::now();
  std::unique_lock lock(checkpoint_wait_mu_);
  while (!stop_) {
    checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (stop_) break;
    uint64_t pending = log_->end().value() - last_checkpoint_lsn_.load();
    auto now = std::chrono::steady_clock::now();
    bool due = CheckpointDue() ||
               (pending > 0 && now - last >= std::chrono::milliseconds(options_.checkpoint_interval_ms));
    if (!due) continue;
    lock.unlock();
    Status st = Checkpoint();
    if (!st.ok()) std::fprintf(stderr, "ormdb: background checkpoint failed: %s\n", st.ToString().c_str());
    last = now;
    lock.lock();
  }
}

bool Store::CheckpointDue() const {
  return log_->end().value() - last_checkpoint_lsn_.load() >= options_.checkpoint_log_bytes ||
         tree_->pager().unwritten_pages() * tree_->pager().page_size() >= options_.checkpoint_unwritten_bytes;
}

CommitVersion Store::last_committed() const { return CommitVersion(applied_.load()); }

StoreStats Store::stats() const {
  StoreStats s;
  s.commits = commits_.load();
  s.conflicts = conflicts_.load();
  s.apply_groups = apply_groups_.load();
  s.checkpoints = checkpoints_.load();
  s.log = log_->stats();
  s.recovered_records = recovered_records_;
  {
    std::lock_guard lock(commit_mu_);
    s.conflict_window = recent_.size();
  }
  return s;
}

}  // namespace ormdb::mvcc
