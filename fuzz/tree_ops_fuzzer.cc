// Model-based fuzzing of the B+tree. The input is a program of tree
// operations (puts, deletes, gets, bounded cursor walks, commits, publishes,
// checkpoints, aborts, reopens, snapshots held across commits) applied both
// to a Tree with 512-byte pages and to std::map models; any disagreement, any
// unexpected error Status and any integrity-check failure aborts with a
// message. Three models: the open transaction's view, what readers see (the
// newest committed or published state) and what the file holds (the newest
// committed or checkpointed state, which a reopen must find).
//
// Input layout: one configuration byte, then operations until the input
// ends. Each operation is an opcode byte (taken modulo kOpCount) followed by
// its arguments; a missing byte reads as 0, so every input is a program.
//
//   key    b < 0x80: a literal key of b bytes (a key to write is cut to the
//                     key limit; reads, bounds and seeks may use longer ones)
//          0x80-0xBF: an existing key of the model in use, chosen by
//                     ((b & 0x3F) << 8 | next byte) modulo its size
//          0xC0-0xFF: a neighbour of an existing key (index byte, then
//                     b & 1 ? drop the last byte : append the next byte)
//   value  b < 0xC0: b literal bytes; else a generated value of
//          (b & 0x3F) * 64 + next byte bytes, patterned by a seed byte, so
//          short inputs reach multi-page overflow chains
//
// One operation commits or checkpoints with a write budget
// (util/fault_file.h), so the write fails part-way with torn writes: readers
// must keep the previous state, and a reopen must find either the previous
// durable state or the one being written (a meta page torn after its last
// changed byte is whole), never a mixture.
//
// Tiny pages make splits, merges, separator shortening, overflow chains and
// root changes happen within a few operations.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/scratch_dir.h"
#include "btree/check.h"
#include "btree/tree.h"
#include "util/fault_file.h"

namespace ormdb::btree {
namespace {

using Model = std::map<std::string, std::string>;

constexpr uint32_t kPageSizeBytes = 512;
// Bounds on one input's work, so every input finishes well within the timeout.
constexpr size_t kMaxEntries = 3000;
constexpr size_t kMaxRunSteps = 4 * kMaxEntries;
// Full read-backs and integrity checks per input (reopens and checks beyond
// this only compare entry counts); the one at the end always runs.
constexpr int kMaxFullVerifies = 32;
// Failed writes whose outcome a reopen must accept, per open.
constexpr size_t kMaxUnknownOutcomes = 4;

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out.size() > 200 ? out.substr(0, 200) + "...(" + std::to_string(s.size()) + " bytes)" : out;
}

// TREE_OPS_TRACE=1 prints each operation as it runs (to read a reproducer).
const bool kTrace = std::getenv("TREE_OPS_TRACE") != nullptr;

// The op being run, for failure messages.
int g_op_index = 0;
const char* g_op_name = "setup";

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "tree_ops_fuzzer: op %d (%s): %s\n", g_op_index, g_op_name, what.c_str());
  std::fflush(stderr);
  std::abort();
}

void CheckOk(const Status& st, const char* what) {
  if (!st.ok()) Fail(std::string(what) + ": " + st.ToString());
}

// The data file, in this process's scratch directory.
const std::string& DataPath() {
  static const std::string path = ormdb::fuzz::ScratchDir("tree-ops") + "/tree.odb";
  return path;
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t Byte() { return p_ == end_ ? 0 : *p_++; }
  std::string Bytes(size_t n) {
    n = std::min(n, static_cast<size_t>(end_ - p_));
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

std::string PatternValue(size_t n, uint8_t seed) {
  std::string v(n, '\0');
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<char>(seed + i * 31 + (i >> 8));
  return v;
}

// Walks a model the way Cursor walks a tree: positions are keys, so the model
// may change between steps (a write transaction's cursor finds its place
// again by key), and bounds are [lower, upper).
class ModelCursor {
 public:
  ModelCursor() = default;
  ModelCursor(const Model* model, CursorOptions options) : m_(model), o_(std::move(options)) {}

  void Seek(std::string k) {
    if (o_.lower_bound && k < *o_.lower_bound) k = *o_.lower_bound;
    Forward(m_->lower_bound(k));
  }
  void SeekForPrev(const std::string& k) {
    if (o_.upper_bound && k >= *o_.upper_bound) {
      Backward(m_->lower_bound(*o_.upper_bound));
    } else {
      Backward(m_->upper_bound(k));
    }
  }
  void SeekToFirst() {
    if (o_.lower_bound) {
      Seek(*o_.lower_bound);
    } else {
      Forward(m_->begin());
    }
  }
  void SeekToLast() {
    if (o_.upper_bound) {
      SeekForPrev(*o_.upper_bound);
    } else {
      Backward(m_->end());
    }
  }
  void Next() {
    if (valid_) Forward(m_->upper_bound(key_));
  }
  void Prev() {
    if (valid_) Backward(m_->lower_bound(key_));
  }

  bool valid() const { return valid_; }
  const std::string& key() const { return key_; }
  const std::string& value() const { return m_->at(key_); }
  const Model& model() const { return *m_; }

 private:
  void Forward(Model::const_iterator it) {
    valid_ = it != m_->end() && (!o_.upper_bound || it->first < *o_.upper_bound);
    if (valid_) key_ = it->first;
  }
  // The entry before `it`.
  void Backward(Model::const_iterator it) {
    valid_ = it != m_->begin();
    if (!valid_) return;
    --it;
    valid_ = !o_.lower_bound || it->first >= *o_.lower_bound;
    if (valid_) key_ = it->first;
  }

  const Model* m_ = nullptr;
  CursorOptions o_;
  bool valid_ = false;
  std::string key_;
};

// A cursor and the model walk it must agree with.
struct CursorPair {
  std::unique_ptr<Cursor> cursor;
  ModelCursor model;
};

void CompareCursor(const CursorPair& c, const char* what) {
  const Cursor& cur = *c.cursor;
  if (cur.Valid() != c.model.valid()) {
    Fail(std::string(what) + ": cursor is " + (cur.Valid() ? "valid at " + Printable(cur.key()) : "not valid") +
         ", model " + (c.model.valid() ? "is at " + Printable(c.model.key()) : "has no entry") +
         (cur.status().ok() ? "" : " (cursor status " + cur.status().ToString() + ")"));
  }
  if (!cur.Valid()) {
    CheckOk(cur.status(), what);
    return;
  }
  if (cur.key() != c.model.key()) {
    Fail(std::string(what) + ": cursor at " + Printable(cur.key()) + ", model at " + Printable(c.model.key()));
  }
  if (cur.value() != c.model.value()) {
    Fail(std::string(what) + ": value of " + Printable(cur.key()) + " is " + Printable(cur.value()) + ", model has " +
         Printable(c.model.value()));
  }
}

// A snapshot held across later commits, with the contents it must keep.
struct HeldSnapshot {
  Snapshot snap;                       // may be released while `cursor` lives on
  std::shared_ptr<const Model> model;  // null: nothing held
  CursorPair cursor;
};

class Harness {
 public:
  explicit Harness(uint8_t config)
      : small_cache_((config & 1) != 0), commit_at_end_((config & 2) != 0), reopen_at_end_((config & 4) != 0) {}

  void Run(Input& in) {
    ::unlink(DataPath().c_str());
    Open(kPageSizeBytes, small_cache_);
    for (g_op_index = 0; !in.empty(); ++g_op_index) {
      Step(in);
      if (kTrace) {
        std::fprintf(stderr, "op %d %s: %zu pending, %zu committed\n", g_op_index, g_op_name,
                     txn_ != nullptr ? pending_.size() : committed_.size(), committed_.size());
      }
    }
    g_op_name = "end of input";
    if (txn_ != nullptr) {
      if (commit_at_end_) {
        Commit();
      } else {
        Abort();
      }
    }
    // What is durable shows only after a reopen (config bit 2: always).
    if (!unknown_outcomes_.empty() || reopen_at_end_) Reopen(0);
    DropReaders();
    VerifyCommitted("end of input", true);
    tree_.reset();
    ::unlink(DataPath().c_str());
  }

 private:
  enum Op : uint8_t {
    kPut,
    kPutRun,
    kDelete,
    kDeleteRun,
    kGet,
    kScan,
    kCursorStep,
    kCommit,
    kAbort,
    kReopen,
    kHoldSnapshot,
    kSnapshotGet,
    kReleaseSnapshot,
    kCheck,
    kPutTooLong,
    kTornWrite,
    kPublish,
    kCheckpoint,
    kOpCount
  };

  void Step(Input& in) {
    switch (in.Byte() % kOpCount) {
      case kPut: {
        g_op_name = "put";
        WriteTxn& txn = Txn();
        std::string key = ReadKey(in, pending_);
        std::string value = ReadValue(in);
        Put(txn, key, value);
        break;
      }
      case kPutRun: PutRun(in); break;
      case kDelete: {
        g_op_name = "delete";
        WriteTxn& txn = Txn();
        Delete(txn, ReadKey(in, pending_));
        break;
      }
      case kDeleteRun: DeleteRun(in); break;
      case kGet: {
        g_op_name = "get";
        if (in.Byte() & 1) {
          WriteTxn& txn = Txn();
          std::string key = ReadKey(in, pending_, kReadKey);
          std::string value;
          CompareGet(txn.Get(key, &value), key, value, pending_);
        } else {
          std::string key = ReadKey(in, committed_, kReadKey);
          std::string value;
          CompareGet(tree_->GetSnapshot().Get(key, &value), key, value, committed_);
        }
        break;
      }
      case kScan: {
        g_op_name = "scan";
        uint8_t flags = in.Byte();
        CursorPair c;
        if (flags & 1) {
          Txn();
          c = NewCursor(in, flags, &pending_, [&](CursorOptions o) { return txn_->NewCursor(std::move(o)); });
        } else {
          Snapshot snap = tree_->GetSnapshot();
          c = NewCursor(in, flags, &committed_, [&](CursorOptions o) { return snap.NewCursor(std::move(o)); });
        }
        Walk(in, c);
        break;
      }
      case kCursorStep: CursorStep(in); break;
      case kCommit:
        g_op_name = "commit";
        Txn();  // an empty transaction commits too
        Commit();
        break;
      case kTornWrite: {
        // Flag bit 0: a checkpoint (publishing the open transaction first),
        // else a commit.
        uint8_t flags = in.Byte();
        int64_t budget = int64_t{in.Byte()} * 64;
        if (unknown_outcomes_.size() >= kMaxUnknownOutcomes) break;
        if (flags & 1) {
          g_op_name = "torn checkpoint";
          if (txn_ != nullptr) Publish();
          faults_->write_budget_bytes.store(budget);
          Checkpoint();
        } else {
          g_op_name = "torn commit";
          Txn();
          faults_->write_budget_bytes.store(budget);
          Commit();
        }
        faults_->write_budget_bytes.store(-1);
        break;
      }
      case kPublish:
        g_op_name = "publish";
        Txn();
        Publish();
        break;
      case kCheckpoint:
        g_op_name = "checkpoint";
        // Tree::Checkpoint waits for the open transaction to finish.
        if (txn_ == nullptr) Checkpoint();
        break;
      case kAbort:
        g_op_name = "abort";
        if (txn_ != nullptr) Abort();
        break;
      case kReopen: Reopen(in.Byte()); break;
      case kHoldSnapshot: {
        g_op_name = "hold snapshot";
        HeldSnapshot& h = held_[in.Byte() & 1];
        h.cursor = CursorPair{};
        h.snap = tree_->GetSnapshot();
        h.model = std::make_shared<const Model>(committed_);
        if (h.snap.entries() != committed_.size()) Fail("snapshot counts " + std::to_string(h.snap.entries()));
        break;
      }
      case kSnapshotGet: {
        g_op_name = "snapshot get";
        HeldSnapshot& h = held_[in.Byte() & 1];
        if (!h.snap.valid()) break;
        std::string key = ReadKey(in, *h.model, kReadKey);
        std::string value;
        CompareGet(h.snap.Get(key, &value), key, value, *h.model);
        break;
      }
      case kReleaseSnapshot: {
        g_op_name = "release snapshot";
        uint8_t b = in.Byte();
        HeldSnapshot& h = held_[b & 1];
        // Without its handle the cursor alone keeps the snapshot pinned.
        h.snap = Snapshot();
        if (b & 2) h.cursor = CursorPair{};
        if (h.cursor.cursor == nullptr) h.model.reset();
        break;
      }
      case kCheck:
        g_op_name = "check";
        if (txn_ == nullptr) VerifyCommitted("check");
        break;
      case kPutTooLong: {
        // Refused with InvalidArgument, and the transaction goes on.
        g_op_name = "put too long";
        WriteTxn& txn = Txn();
        std::string key = ReadKey(in, pending_, kReadKey);
        key.resize(max_key_ + 1 + in.Byte() % 8, 'k');
        Status st = txn.Put(key, ReadValue(in));
        if (!st.IsInvalidArgument()) Fail("put of a " + std::to_string(key.size()) + "-byte key: " + st.ToString());
        CheckCount(txn);
        break;
      }
      default:
        break;
    }
  }

  // ----------------------------------------------------------- the tree

  void Open(uint32_t page_size_option, bool small_cache) {
    TreeOptions opts;
    opts.page_size = page_size_option;
    opts.cache_bytes = small_cache ? 0 : size_t{1} << 20;  // 0: the cache's minimum, so pages get evicted
    opts.sync = false;
    opts.direct_io = false;
    opts.opener = FaultInjectingOpener(faults_);
    auto opened = Tree::Open(DataPath(), opts);
    CheckOk(opened.status(), "open");
    tree_ = std::move(opened).value();
    if (tree_->limits().page_size != kPageSizeBytes) {
      Fail("opened with page size " + std::to_string(tree_->limits().page_size));
    }
    max_key_ = tree_->limits().max_key_bytes;
  }

  void Reopen(uint8_t flags) {
    g_op_name = "reopen";
    // Flag bit 0: commit the open transaction, bit 3: publish it, else abort.
    if (txn_ != nullptr) {
      if (flags & 1) {
        Commit();
      } else if (flags & 8) {
        Publish();
      } else {
        Abort();
      }
    }
    g_op_name = "reopen";
    DropReaders();
    tree_.reset();
    // An existing file keeps its own page size whatever the options ask for.
    Open((flags & 2) ? 4096 : kPageSizeBytes, (flags & 4) != 0);
    // Published states that no checkpoint wrote are gone; a failed write may
    // have left its state.
    committed_ = durable_;
    if (!unknown_outcomes_.empty()) {
      Model found = ReadAll();
      if (found != durable_) {
        bool known = false;
        for (const Model& m : unknown_outcomes_) known = known || found == m;
        if (!known) {
          Fail("after reopen the tree holds " + std::to_string(found.size()) +
               " entries matching neither the last durable state nor one a failed write was writing");
        }
        committed_ = durable_ = std::move(found);
      }
      unknown_outcomes_.clear();
    }
    VerifyCommitted("after reopen");
  }

  WriteTxn& Txn() {
    if (txn_ == nullptr) {
      txn_ = tree_->BeginWrite();
      pending_ = committed_;
    }
    return *txn_;
  }

  // A commit makes everything readers see durable (earlier published states
  // too); a publish only shows the transaction's state to readers.
  void Commit() {
    txn_cursor_ = CursorPair{};
    Status st = txn_->Commit();
    txn_.reset();
    if (!st.ok()) {
      WriteFailed(st, "commit", std::move(pending_));
    } else {
      committed_ = std::move(pending_);
      Durable();
    }
    pending_.clear();
    if (tree_->GetSnapshot().entries() != committed_.size()) {
      Fail("after commit the tree counts " + std::to_string(tree_->GetSnapshot().entries()) + " entries, model " +
           std::to_string(committed_.size()));
    }
  }

  void Publish() {
    txn_cursor_ = CursorPair{};
    Status st = txn_->Publish();
    txn_.reset();
    if (!st.ok()) {
      // Refused only while an earlier failed write keeps the disk state unknown.
      if (unknown_outcomes_.empty()) Fail("publish: " + st.ToString());
    } else {
      committed_ = std::move(pending_);
    }
    pending_.clear();
  }

  void Checkpoint() {
    Status st = tree_->Checkpoint().status();
    if (!st.ok()) {
      WriteFailed(st, "checkpoint", committed_);
    } else {
      Durable();
    }
  }

  // A write succeeded, so no earlier one left its meta page: a failure there
  // would have stopped the pager from writing until reopened.
  void Durable() {
    durable_ = committed_;
    unknown_outcomes_.clear();
  }

  // Writes fail only when injected: either this write failed part-way, or an
  // earlier failure left the outcome on disk unknown and the pager refuses to
  // write until reopened. Readers keep the previous state either way.
  void WriteFailed(const Status& st, const char* what, Model attempted) {
    bool injected = faults_->write_budget_bytes.load() >= 0;
    if (!injected && unknown_outcomes_.empty()) Fail(std::string(what) + ": " + st.ToString());
    if (injected) unknown_outcomes_.push_back(std::move(attempted));
    CheckOk(CheckIntegrity(*tree_).status(), "integrity check after a failed write");
  }

  void Abort() {
    txn_cursor_ = CursorPair{};
    txn_->Abort();
    txn_.reset();
    pending_.clear();
  }

  // Snapshots and cursors must not outlive the tree.
  void DropReaders() {
    txn_cursor_ = CursorPair{};
    for (HeldSnapshot& h : held_) h = HeldSnapshot{};
  }

  Model ReadAll() {
    Model m;
    auto c = tree_->GetSnapshot().NewCursor();
    for (c->SeekToFirst(); c->Valid(); c->Next()) m.emplace(c->key(), c->value());
    CheckOk(c->status(), "reading the tree");
    return m;
  }

  // The committed contents, read back whole in both directions, and the
  // integrity check (no write transaction may be open).
  void VerifyCommitted(const char* what, bool always = false) {
    Snapshot snap = tree_->GetSnapshot();
    if (snap.entries() != committed_.size()) {
      Fail(std::string(what) + ": tree counts " + std::to_string(snap.entries()) + " entries, model " +
           std::to_string(committed_.size()));
    }
    if (!always && ++full_verifies_ > kMaxFullVerifies) return;
    CursorPair c{snap.NewCursor(), ModelCursor(&committed_, {})};
    c.cursor->SeekToFirst();
    c.model.SeekToFirst();
    for (CompareCursor(c, what); c.model.valid(); CompareCursor(c, what)) {
      c.cursor->Next();
      c.model.Next();
    }
    c.cursor->SeekToLast();
    c.model.SeekToLast();
    for (CompareCursor(c, what); c.model.valid(); CompareCursor(c, what)) {
      c.cursor->Prev();
      c.model.Prev();
    }
    c = CursorPair{};
    auto report = CheckIntegrity(*tree_);
    CheckOk(report.status(), "integrity check");
    if (report->entries != committed_.size()) {
      Fail("integrity check counts " + std::to_string(report->entries) + " entries, model " +
           std::to_string(committed_.size()));
    }
  }

  // ------------------------------------------------------------- writes

  void Put(WriteTxn& txn, const std::string& key, const std::string& value) {
    CheckOk(txn.Put(key, value), "put");
    pending_[key] = value;
    CheckCount(txn);
  }

  void Delete(WriteTxn& txn, const std::string& key) {
    bool existed = false;
    CheckOk(txn.Delete(key, &existed), "delete");
    bool model_existed = pending_.erase(key) == 1;
    if (existed != model_existed) {
      Fail("delete of " + Printable(key) + " says existed=" + std::to_string(existed) + ", model " +
           std::to_string(model_existed));
    }
    CheckCount(txn);
  }

  void CheckCount(const WriteTxn& txn) {
    if (txn.entries() != pending_.size()) {
      Fail("transaction counts " + std::to_string(txn.entries()) + " entries, model " +
           std::to_string(pending_.size()));
    }
  }

  // Keys base + a big-endian counter, ascending or descending: builds deep
  // trees from short inputs and exercises the append split policy.
  void PutRun(Input& in) {
    g_op_name = "put run";
    WriteTxn& txn = Txn();
    std::string base = ReadKey(in, pending_);
    if (base.size() + 2 > max_key_) base.resize(max_key_ - 2);
    uint8_t flags = in.Byte();
    int count = in.Byte() % 64 + 1;
    uint16_t start = static_cast<uint16_t>(in.Byte() << 8 | in.Byte());
    uint16_t stride = static_cast<uint16_t>(in.Byte() % 16 + 1);
    size_t value_len = (flags >> 1) & 0x7F;
    for (int i = 0; i < count && pending_.size() < kMaxEntries; ++i) {
      int n = (flags & 1) ? count - 1 - i : i;
      uint16_t k = static_cast<uint16_t>(start + n * stride);
      std::string key = base;
      key.push_back(static_cast<char>(k >> 8));
      key.push_back(static_cast<char>(k & 0xFF));
      Put(txn, key, PatternValue(value_len, static_cast<uint8_t>(n)));
    }
  }

  // Deletes up to `count` keys from a start key on, either by key from the
  // model or walking a transaction cursor that deletes as it goes.
  void DeleteRun(Input& in) {
    g_op_name = "delete run";
    WriteTxn& txn = Txn();
    uint8_t flags = in.Byte();
    std::string from = ReadKey(in, pending_, kReadKey);
    size_t count = in.Byte() + 1;
    if (flags & 1) {
      CursorPair c{txn.NewCursor(), ModelCursor(&pending_, {})};
      bool backward = (flags & 2) != 0;
      if (backward) {
        c.cursor->SeekForPrev(from);
        c.model.SeekForPrev(from);
      } else {
        c.cursor->Seek(from);
        c.model.Seek(from);
      }
      for (size_t i = 0; i < count; ++i) {
        CompareCursor(c, "delete run cursor");
        if (!c.model.valid()) break;
        Delete(txn, std::string(c.cursor->key()));
        if (backward) {
          c.cursor->Prev();
          c.model.Prev();
        } else {
          c.cursor->Next();
          c.model.Next();
        }
      }
      return;
    }
    std::vector<std::string> keys;
    for (auto it = pending_.lower_bound(from); it != pending_.end() && keys.size() < count; ++it) {
      keys.push_back(it->first);
    }
    for (const std::string& k : keys) Delete(txn, k);
  }

  // -------------------------------------------------------------- reads

  void CompareGet(const Status& st, const std::string& key, const std::string& value, const Model& model) {
    auto it = model.find(key);
    if (it == model.end()) {
      if (!st.IsNotFound()) Fail("get of absent " + Printable(key) + " returned " + st.ToString());
      return;
    }
    CheckOk(st, ("get of " + Printable(key)).c_str());
    if (value != it->second) {
      Fail("get of " + Printable(key) + " returned " + Printable(value) + ", model has " + Printable(it->second));
    }
  }

  // A new cursor with bounds and a starting position from the input
  // (flags bit 1: lower bound, bit 2: upper bound, bits 3-4: how to position).
  template <typename Make>
  CursorPair NewCursor(Input& in, uint8_t flags, const Model* model, Make make) {
    CursorOptions o;
    if (flags & 2) o.lower_bound = ReadKey(in, *model, kReadKey);
    if (flags & 4) o.upper_bound = ReadKey(in, *model, kReadKey);
    CursorPair c{make(o), ModelCursor(model, o)};
    switch ((flags >> 3) & 3) {
      case 0:
        c.cursor->SeekToFirst();
        c.model.SeekToFirst();
        break;
      case 1:
        c.cursor->SeekToLast();
        c.model.SeekToLast();
        break;
      case 2: {
        std::string k = ReadKey(in, *model, kReadKey);
        c.cursor->Seek(k);
        c.model.Seek(k);
        break;
      }
      default: {
        std::string k = ReadKey(in, *model, kReadKey);
        c.cursor->SeekForPrev(k);
        c.model.SeekForPrev(k);
        break;
      }
    }
    CompareCursor(c, "position");
    return c;
  }

  // Steps a cursor: a count byte, then a direction pattern byte (bit i % 8
  // set: Prev). A count of 0 runs to the end in the pattern's first direction.
  void Walk(Input& in, CursorPair& c) {
    size_t steps = in.Byte();
    uint8_t dirs = in.Byte();
    bool run = steps == 0;
    if (run) steps = kMaxRunSteps;
    for (size_t i = 0; i < steps; ++i) {
      bool prev = run ? (dirs & 1) : ((dirs >> (i % 8)) & 1);
      if (prev) {
        c.cursor->Prev();
        c.model.Prev();
      } else {
        c.cursor->Next();
        c.model.Next();
      }
      CompareCursor(c, prev ? "prev" : "next");
      if (run && !c.model.valid()) break;
    }
  }

  // Cursors that live across other operations: the write transaction's (which
  // must find its place again after the transaction's own writes) and one per
  // held snapshot (which must not notice later commits).
  void CursorStep(Input& in) {
    g_op_name = "cursor step";
    uint8_t b = in.Byte();
    CursorPair* c;
    if (b & 1) {
      Txn();
      c = &txn_cursor_;
      if (c->cursor == nullptr || (b & 2)) {
        *c = NewCursor(in, in.Byte(), &pending_, [&](CursorOptions o) { return txn_->NewCursor(std::move(o)); });
        return;
      }
    } else {
      HeldSnapshot& h = held_[(b >> 1) & 1];
      c = &h.cursor;
      if (c->cursor == nullptr || (b & 4)) {
        if (!h.snap.valid()) {
          h.snap = tree_->GetSnapshot();
          h.model = std::make_shared<const Model>(committed_);
        }
        Snapshot snap = h.snap;
        *c = NewCursor(in, in.Byte(), h.model.get(), [&](CursorOptions o) { return snap.NewCursor(std::move(o)); });
        return;
      }
    }
    Walk(in, *c);
  }

  // ------------------------------------------------------- input decoding

  // Keys for reads may exceed the key limit (they are then never found);
  // keys for writes are cut to it.
  static constexpr bool kReadKey = true;
  std::string ReadKey(Input& in, const Model& model, bool for_read = false) {
    uint8_t b = in.Byte();
    std::string key;
    if (b < 0x80 || model.empty()) {
      key = in.Bytes(b & 0x7F);
    } else {
      size_t index = (size_t{b & 0x3Fu} << 8 | in.Byte()) % model.size();
      auto it = model.begin();
      std::advance(it, index);
      key = it->first;
      if (b >= 0xC0) {
        if (b & 1) {
          if (!key.empty()) key.pop_back();
        } else {
          key.push_back(static_cast<char>(in.Byte()));
        }
      }
    }
    if (!for_read && key.size() > max_key_) key.resize(max_key_);
    return key;
  }

  std::string ReadValue(Input& in) {
    uint8_t b = in.Byte();
    if (b < 0xC0) return in.Bytes(b);
    size_t n = size_t{b & 0x3Fu} * 64 + in.Byte();
    return PatternValue(n, in.Byte());
  }

  const bool small_cache_;
  const bool commit_at_end_;
  const bool reopen_at_end_;
  size_t max_key_ = 0;
  int full_verifies_ = 0;
  std::shared_ptr<FaultPlan> faults_ = std::make_shared<FaultPlan>();
  // States that failed writes since the last open were writing (a reopen may
  // find one of them instead of durable_).
  std::vector<Model> unknown_outcomes_;
  std::unique_ptr<Tree> tree_;
  std::unique_ptr<WriteTxn> txn_;
  Model committed_;  // what readers see
  Model durable_;    // what the file holds
  Model pending_;    // the open transaction's view
  CursorPair txn_cursor_;
  HeldSnapshot held_[2];
};

}  // namespace
}  // namespace ormdb::btree

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ormdb::btree::Input in(data + 1, size - 1);
  ormdb::btree::Harness harness(data[0]);
  harness.Run(in);
  return 0;
}
