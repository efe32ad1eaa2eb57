// The copy-on-write B+tree: one ordered keyspace of byte-string keys.
//
// A Snapshot pins a committed root; it reads that root unchanged however many
// commits follow. A WriteTxn (one at a time) copies each page it changes to a
// new page number, so the committed root stays intact until Commit publishes
// the new one; Abort (or destruction) drops the copies.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "btree/cursor.h"
#include "btree/node.h"
#include "btree/page_source.h"
#include "btree/pager.h"

namespace ormdb::btree {

using TreeOptions = PagerOptions;

class Tree;

class Snapshot {
 public:
  Snapshot() = default;
  bool valid() const { return state_ != nullptr; }
  Status Get(std::string_view key, std::string* value) const;
  std::unique_ptr<Cursor> NewCursor(CursorOptions options = {}) const;
  const MetaState& meta() const;
  Generation generation() const { return meta().generation; }
  uint64_t entries() const { return meta().entries; }
  // The snapshot's pages, for readers that walk the tree themselves.
  PageSource* source() const;

 private:
  friend class Tree;
  struct State;
  std::shared_ptr<State> state_;
};

class WriteTxn final : public PageSource {
 public:
  ~WriteTxn() override;
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  // Keys are at most limits().max_key_bytes; values at most kMaxValueBytes
  // (large ones go to overflow pages).
  Status Put(std::string_view key, std::string_view value);
  // OK whether or not the key existed; *existed says which. An error other
  // than InvalidArgument (an I/O error, corruption) aborts the transaction.
  Status Delete(std::string_view key, bool* existed = nullptr);
  Status Get(std::string_view key, std::string* value);
  // Sees this transaction's writes, also those made while it is open.
  std::unique_ptr<Cursor> NewCursor(CursorOptions options = {});

  // Fields of the meta page owned by the layers above.
  void set_wal_position(uint64_t pos) { meta_.wal_position = pos; touched_ = true; }
  void set_user_version(uint64_t v) { meta_.user_version = v; touched_ = true; }

  // Writes the new pages and publishes the new root. After an error the
  // transaction is over and the committed state is what it was before.
  Status Commit();
  // Publishes the new root to readers without writing it: a later
  // Tree::Checkpoint (or Commit) makes it durable. For layers that make the
  // change durable by their own log first.
  Status Publish();
  void Abort();

  uint64_t entries() const { return meta_.entries; }
  // Set by a successful Commit.
  Generation committed_generation() const { return committed_; }

  // PageSource
  Result<PageRef> Fetch(PageId id, PageType type) override;
  PageId root() const override { return meta_.root; }
  uint32_t page_size() const override { return limits_.page_size; }
  uint64_t version() const override { return version_; }

 private:
  friend class Tree;
  WriteTxn(Tree* tree, std::unique_lock<std::mutex> lock);

  struct Splice;  // what a subtree change hands its parent
  Status PutImpl(std::string_view key, std::string_view value);
  Status DeleteImpl(std::string_view key, bool* existed);
  struct NewValue;
  // The transaction's own copy of page `id` (copied on first write).
  // `current`, when given, is page `id` as Fetch returned it, which saves
  // reading it again.
  Result<std::pair<PageId, char*>> Writable(PageId id, PageType type, const PageRef& current = nullptr);
  Result<std::pair<PageId, char*>> NewPage();
  void FreePage(PageId id);
  std::vector<std::pair<PageId, MutablePage>> TakeDirtyPages();
  Result<PageId> WriteOverflow(std::string_view value);
  Status FreeOverflow(const LeafValue& v);

  // `page`: the node when the caller already fetched it (else fetched here).
  Status Insert(PageId id, PageType type, std::string_view key, const NewValue& nv, Splice* out,
                PageRef page = nullptr);
  Status Remove(PageId id, PageType type, std::string_view key, Splice* out);
  Status BuildOrSplit(PageId id, char* page, bool leaf, uint8_t level, PageId leftmost,
                      std::vector<NodeEntry>& entries, size_t insert_pos, Splice* out);
  Status MergeChildren(PageId parent_id, char* parent, int child_index, Splice* out);
  bool Underfull(const char* page) const;

  Pager* pager_;
  NodeLimits limits_;
  std::unique_lock<std::mutex> writer_lock_;
  MetaState meta_;
  bool touched_ = false;
  bool done_ = false;
  uint64_t version_ = 0;
  Generation committed_;
  std::unordered_map<PageId, MutablePage> dirty_;
  // Scratch copies of nodes being rebuilt (entries point into them).
  MutablePage scratch_[3];
  std::vector<NodeEntry> entries_;
};

class Tree {
 public:
  static Result<std::unique_ptr<Tree>> Open(const std::string& path, const TreeOptions& options);

  Snapshot GetSnapshot();
  // Waits until no other write transaction is open.
  std::unique_ptr<WriteTxn> BeginWrite();

  // Writes every published state to the file. Readers are not blocked;
  // writers only for the end of it (Pager::WriteAhead writes the bulk of
  // the pages while they go on). Returns the state written.
  Result<MetaState> Checkpoint();

  Pager& pager() { return *pager_; }
  const NodeLimits& limits() const { return limits_; }

 private:
  explicit Tree(std::unique_ptr<Pager> pager);
  std::unique_ptr<Pager> pager_;
  NodeLimits limits_;
  std::mutex writer_mu_;  // held by the open WriteTxn for its whole life
};

}  // namespace ormdb::btree
