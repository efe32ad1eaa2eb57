// The dataset generator and the ormDB and LMDB adapters. Each adapter keeps
// its hot loops free of allocation (a reused value buffer, a reused LMDB read
// transaction and cursor) so the numbers are the engines', not the harness's.
#include "bench/kv_engines.h"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "btree/check.h"
#include "btree/tree.h"
#include "util/coding.h"

namespace ormdb::bench {

// ------------------------------------------------------------------ Dataset

Dataset::Dataset(size_t loaded, size_t insert_pool, size_t lookups)
    : loaded_(loaded), total_(loaded + insert_pool), keys_(total_ * kKeyBytes), values_(total_ * kValueBytes) {
  SplitMix64 key_rng{kKeySeed};
  for (size_t i = 0; i < total_; ++i) {
    char* k = keys_.data() + i * kKeyBytes;
    coding::EncodeFixed64(k, key_rng.Next());
    coding::EncodeFixed64(k + 8, key_rng.Next());

    SplitMix64 value_rng{coding::DecodeFixed64(k) ^ kValueSeedMix};
    char* v = values_.data() + i * kValueBytes;
    for (size_t off = 0; off < kValueBytes; off += 8) {
      char word[8];
      coding::EncodeFixed64(word, value_rng.Next());
      std::memcpy(v + off, word, std::min<size_t>(8, kValueBytes - off));
    }
  }
  SplitMix64 lookup_rng{kLookupSeed};
  lookups_.resize(lookups);
  for (auto& idx : lookups_) idx = static_cast<uint32_t>(lookup_rng.Next() % loaded_);
}

namespace {

Status SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open " + path);
  Status st;
  if (::fdatasync(fd) != 0) st = Status::FromErrno(errno, "fdatasync " + path);
  ::close(fd);
  return st;
}

std::string FileSizeMiB(const std::string& path) {
  std::error_code ec;
  auto bytes = std::filesystem::file_size(path, ec);
  if (ec) return "?";
  return std::to_string(bytes >> 20) + " MiB";
}

// -------------------------------------------------------------------- ormDB

class OrmdbEngine final : public KvEngine {
 public:
  explicit OrmdbEngine(EngineConfig config) : config_(std::move(config)), path_(config_.dir + "/tree.odb") {}

  Status Open() {
    tree_.reset();
    btree::TreeOptions options;
    options.sync = config_.sync;
    options.cache_bytes = config_.cache_bytes;
    options.direct_io = config_.direct_io;
    auto tree = btree::Tree::Open(path_, options);
    if (!tree.ok()) return tree.status().Annotate("opening the ormDB tree");
    tree_ = std::move(tree).value();
    return Status::OK();
  }

  const char* name() const override { return "ormDB"; }

  std::string Describe() override {
    btree::Pager& pager = tree_->pager();
    std::string out = "page_size=" + std::to_string(pager.page_size()) +
                      " cache_bytes=" + std::to_string(config_.cache_bytes >> 20) + "MiB" +
                      " direct_io=" + (pager.direct_io() ? "on" : "off") + " sync=" + (config_.sync ? "on" : "off");
    auto report = btree::CheckIntegrity(*tree_);
    if (report.ok()) {
      out += "; depth=" + std::to_string(report->depth) + " branch_pages=" + std::to_string(report->branch_pages) +
             " leaf_pages=" + std::to_string(report->leaf_pages) + " free_pages=" + std::to_string(report->free_pages) +
             " entries=" + std::to_string(report->entries);
    } else {
      out += "; integrity check FAILED: " + report.status().ToString();
    }
    out += " file=" + FileSizeMiB(path_);
    return out;
  }

  Status InsertBatch(const Dataset& data, size_t first, size_t count) override {
    std::unique_ptr<btree::WriteTxn> txn = tree_->BeginWrite();
    for (size_t i = first; i < first + count; ++i) RETURN_IF_ERROR(txn->Put(data.key(i), data.value(i)));
    return txn->Commit();
  }

  Status GetBatch(const Dataset& data, const uint32_t* idx, size_t n, uint64_t* bytes) override {
    btree::Snapshot snap = tree_->GetSnapshot();
    for (size_t i = 0; i < n; ++i) {
      RETURN_IF_ERROR(snap.Get(data.key(idx[i]), &value_));
      *bytes += value_.size();
    }
    return Status::OK();
  }

  Status Get(std::string_view key, std::string* value) override { return tree_->GetSnapshot().Get(key, value); }

  Status Scan(ScanTally* tally) override {
    btree::Snapshot snap = tree_->GetSnapshot();
    std::unique_ptr<btree::Cursor> c = snap.NewCursor();
    for (c->SeekToFirst(); c->Valid(); c->Next()) {
      ++tally->entries;
      tally->touched +=
          static_cast<unsigned char>(c->key()[0]) + static_cast<unsigned char>(c->value()[0]) + c->value().size();
    }
    return c->status();
  }

  Status Hash(ScanHash* hash) override {
    btree::Snapshot snap = tree_->GetSnapshot();
    std::unique_ptr<btree::Cursor> c = snap.NewCursor();
    for (c->SeekToFirst(); c->Valid(); c->Next()) hash->Add(c->key(), c->value());
    return c->status();
  }

  // The tree takes `sync` at open, so a switch reopens it; a full scan then
  // refills the buffer cache so the next workload starts as warm as LMDB's.
  Status SetSync(bool sync) override {
    if (sync != config_.sync) {
      config_.sync = sync;
      RETURN_IF_ERROR(Open());
      ScanHash warm;
      RETURN_IF_ERROR(Hash(&warm));
    }
    return Flush();
  }

  Status Flush() override { return SyncFile(path_); }

 private:
  EngineConfig config_;
  const std::string path_;
  std::unique_ptr<btree::Tree> tree_;
  std::string value_;
};

// --------------------------------------------------------------------- LMDB

Status LmdbError(int rc, std::string_view what) {
  std::string msg = "lmdb: " + std::string(what) + ": " + mdb_strerror(rc);
  return rc == MDB_NOTFOUND ? Status::NotFound(std::move(msg)) : Status::IOError(std::move(msg));
}

#define LMDB_TRY(call, what)                     \
  do {                                           \
    int _rc = (call);                            \
    if (_rc != 0) return LmdbError(_rc, (what)); \
  } while (0)

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view View(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

class LmdbEngine final : public KvEngine {
 public:
  explicit LmdbEngine(EngineConfig config) : config_(std::move(config)) {}

  ~LmdbEngine() override {
    if (read_cursor_ != nullptr) mdb_cursor_close(read_cursor_);
    if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);
    if (env_ != nullptr) mdb_env_close(env_);
  }

  // The default environment (no MDB_WRITEMAP, readahead on) plus MDB_NOSYNC
  // while sync is off; one unnamed database; a read transaction and a read
  // cursor kept for reuse through mdb_txn_reset/mdb_txn_renew.
  Status Open() {
    LMDB_TRY(mdb_env_create(&env_), "mdb_env_create");
    LMDB_TRY(mdb_env_set_mapsize(env_, config_.map_bytes), "mdb_env_set_mapsize");
    LMDB_TRY(mdb_env_open(env_, config_.dir.c_str(), config_.sync ? 0 : MDB_NOSYNC, 0644), "mdb_env_open");
    MDB_txn* txn;
    LMDB_TRY(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
    int rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return LmdbError(rc, "mdb_dbi_open");
    }
    LMDB_TRY(mdb_txn_commit(txn), "mdb_txn_commit");
    LMDB_TRY(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &read_txn_), "mdb_txn_begin(read)");
    LMDB_TRY(mdb_cursor_open(read_txn_, dbi_, &read_cursor_), "mdb_cursor_open");
    mdb_txn_reset(read_txn_);
    return Status::OK();
  }

  const char* name() const override { return "LMDB"; }

  std::string Describe() override {
    MDB_stat st;
    MDB_envinfo info;
    std::string out = std::string(MDB_VERSION_STRING) + " flags=" + (config_.sync ? "0" : "MDB_NOSYNC") +
                      " mapsize=" + std::to_string(config_.map_bytes >> 20) + "MiB";
    if (mdb_env_stat(env_, &st) == 0 && mdb_env_info(env_, &info) == 0) {
      out += "; page_size=" + std::to_string(st.ms_psize) + " depth=" + std::to_string(st.ms_depth) +
             " branch_pages=" + std::to_string(st.ms_branch_pages) + " leaf_pages=" + std::to_string(st.ms_leaf_pages) +
             " overflow_pages=" + std::to_string(st.ms_overflow_pages) + " entries=" + std::to_string(st.ms_entries) +
             " last_pgno=" + std::to_string(info.me_last_pgno);
    }
    out += " file=" + FileSizeMiB(config_.dir + "/data.mdb");
    return out;
  }

  Status InsertBatch(const Dataset& data, size_t first, size_t count) override {
    MDB_txn* txn;
    LMDB_TRY(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
    for (size_t i = first; i < first + count; ++i) {
      MDB_val k = Val(data.key(i));
      MDB_val v = Val(data.value(i));
      int rc = mdb_put(txn, dbi_, &k, &v, 0);
      if (rc != 0) {
        mdb_txn_abort(txn);
        return LmdbError(rc, "mdb_put");
      }
    }
    LMDB_TRY(mdb_txn_commit(txn), "mdb_txn_commit");
    return Status::OK();
  }

  Status GetBatch(const Dataset& data, const uint32_t* idx, size_t n, uint64_t* bytes) override {
    LMDB_TRY(mdb_txn_renew(read_txn_), "mdb_txn_renew");
    for (size_t i = 0; i < n; ++i) {
      MDB_val k = Val(data.key(idx[i]));
      MDB_val v;
      int rc = mdb_get(read_txn_, dbi_, &k, &v);
      if (rc != 0) {
        mdb_txn_reset(read_txn_);
        return LmdbError(rc, "mdb_get");
      }
      value_.assign(static_cast<const char*>(v.mv_data), v.mv_size);
      *bytes += value_.size();
    }
    mdb_txn_reset(read_txn_);
    return Status::OK();
  }

  Status Get(std::string_view key, std::string* value) override {
    LMDB_TRY(mdb_txn_renew(read_txn_), "mdb_txn_renew");
    MDB_val k = Val(key);
    MDB_val v;
    int rc = mdb_get(read_txn_, dbi_, &k, &v);
    if (rc == 0) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_reset(read_txn_);
    return rc == 0 ? Status::OK() : LmdbError(rc, "mdb_get");
  }

  Status Scan(ScanTally* tally) override {
    return ForEach([tally](std::string_view key, std::string_view value) {
      ++tally->entries;
      tally->touched += static_cast<unsigned char>(key[0]) + static_cast<unsigned char>(value[0]) + value.size();
    });
  }

  Status Hash(ScanHash* hash) override {
    return ForEach([hash](std::string_view key, std::string_view value) { hash->Add(key, value); });
  }

  Status SetSync(bool sync) override {
    if (sync != config_.sync) {
      config_.sync = sync;
      LMDB_TRY(mdb_env_set_flags(env_, MDB_NOSYNC, sync ? 0 : 1), "mdb_env_set_flags");
    }
    return Flush();
  }

  Status Flush() override {
    LMDB_TRY(mdb_env_sync(env_, 1), "mdb_env_sync");
    return Status::OK();
  }

 private:
  template <typename Fn>
  Status ForEach(Fn&& fn) {
    LMDB_TRY(mdb_txn_renew(read_txn_), "mdb_txn_renew");
    int rc = mdb_cursor_renew(read_txn_, read_cursor_);
    MDB_val k, v;
    if (rc == 0) rc = mdb_cursor_get(read_cursor_, &k, &v, MDB_FIRST);
    while (rc == 0) {
      fn(View(k), View(v));
      rc = mdb_cursor_get(read_cursor_, &k, &v, MDB_NEXT);
    }
    mdb_txn_reset(read_txn_);
    return rc == MDB_NOTFOUND ? Status::OK() : LmdbError(rc, "mdb_cursor_get");
  }

  EngineConfig config_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* read_txn_ = nullptr;
  MDB_cursor* read_cursor_ = nullptr;
  std::string value_;
};

Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) return Status::FromErrno(errno, "mkdir " + dir);
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<KvEngine>> OpenOrmdb(const EngineConfig& config) {
  RETURN_IF_ERROR(MakeDir(config.dir));
  auto engine = std::make_unique<OrmdbEngine>(config);
  RETURN_IF_ERROR(engine->Open());
  return std::unique_ptr<KvEngine>(std::move(engine));
}

Result<std::unique_ptr<KvEngine>> OpenLmdb(const EngineConfig& config) {
  RETURN_IF_ERROR(MakeDir(config.dir));
  auto engine = std::make_unique<LmdbEngine>(config);
  RETURN_IF_ERROR(engine->Open());
  return std::unique_ptr<KvEngine>(std::move(engine));
}

}  // namespace ormdb::bench
