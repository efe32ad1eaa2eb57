// The pager owns the data file: its two meta pages, the buffer cache, the
// free space and the publication of new roots. Published pages are immutable,
// so the cache hands out shared, read-only page references without locks held
// across use. A new root becomes visible to readers when it is published
// (in memory) and durable when a checkpoint writes it and then one meta page.
//
// Write order (why this order): new pages and the free list go to free space
// first and are synced, then the meta page of the slot not holding the newest
// durable state names the new root and is synced. A crash before the meta
// write leaves the previous durable root, whose pages were never touched, in
// charge.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "btree/freelist.h"
#include "btree/page.h"
#include "btree/page_cache.h"
#include "util/file.h"
#include "util/status.h"

namespace ormdb::btree {

struct PagerOptions {
  uint32_t page_size = kDefaultPageSizeBytes;  // for a new file; an existing file keeps its own
  size_t cache_bytes = size_t{256} << 20;
  bool direct_io = true;          // O_DIRECT when the file system and page size allow it
  bool sync = true;               // fdatasync at each commit (off: a process crash is safe, an OS crash is not)
  bool create_if_missing = true;
  FileOpener opener = OpenFile;   // tests inject faults here
};

// The state a meta page records.
struct MetaState {
  Generation generation;
  PageId root = kNoPage;        // kNoPage: the tree is empty
  uint64_t page_count = kFirstDataPage;
  PageId freelist_head = kNoPage;
  uint64_t entries = 0;         // keys in the tree
  uint64_t wal_position = 0;    // the log position this root covers (used by the WAL layer)
  uint64_t user_version = 0;    // opaque to the pager (the MVCC layer's commit version)
  uint64_t database_id = 0;     // random at creation; ties the log and other files to this file
};

constexpr uint32_t kFormatVersion = 1;
constexpr char kMagic[8] = {'o', 'r', 'm', 'D', 'B', 'p', 'g', '\0'};

struct PagerStats {
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t pages_written = 0;
  uint64_t commits = 0;
  // Pages read in ReadAhead batches (the one a scan needed and those after
  // it); cache_misses counts the pages read one at a time.
  uint64_t pages_read_ahead = 0;
};

class Pager {
 public:
  static Result<std::unique_ptr<Pager>> Open(const std::string& path, const PagerOptions& options);
  ~Pager();

  const std::string& path() const { return path_; }
  uint32_t page_size() const { return page_size_; }
  bool direct_io() const { return file_->direct_io(); }
  MetaState meta() const;
  PagerStats stats() const;

  // Reads a committed page through the cache, verified (checksum, number, type
  // and, for nodes, the node layout) before it is returned.
  Result<PageRef> Read(PageId id, PageType expected);
  // Whether a page is in the cache (no hit or miss is counted).
  bool Cached(PageId id) const { return cache_.Contains(id); }
  // Reads the pages of `ids` that are not cached in one batch and caches
  // them: a scan about to need them waits for one read instead of one per
  // page. Each must be reachable from a pinned state (so its contents are
  // fixed). A page that fails to read or verify is left out: the Read that
  // needs it reports the error.
  void ReadAhead(std::span<const PageId> ids, PageType expected);

  // --- Snapshots: a pinned generation keeps every page its root reaches. ---
  // Pins the newest committed state and returns it.
  MetaState Pin();
  void Unpin(Generation gen);

  // --- The commit being built (one writer at a time; the caller serializes). ---
  PageId Allocate();
  void Free(PageId id);
  void Abort();

  // Makes `next` (its root reaching the `dirty` pages) the newest state that
  // readers pin, without writing anything: the pages stay pinned in the cache
  // until a checkpoint writes them. The layer above makes such a state
  // durable by its own log (the WAL) until then.
  // Fails only when the pager refuses writes after a failed sync.
  Status Publish(MetaState next, std::vector<std::pair<PageId, MutablePage>> dirty);

  // The first, long part of a checkpoint, which may run while a write
  // transaction is open: writes the published pages that the newest root
  // reaches, but those already in *written (from an earlier round), adds
  // them to *written, syncs, and returns how many it wrote. They lie in
  // space the durable root does not reach, and the newest state stays
  // pinned while they are written, so no page among them is freed and
  // reused (and written anew) before this write of it is done. Checkpoint
  // then writes only what was published since.
  Result<size_t> WriteAhead(std::vector<std::pair<PageId, PageRef>>* written);

  // Writes every published page still reachable from the newest root (but
  // those of `written`, from WriteAhead, which are that very page still),
  // and the free list, to free space; syncs; then writes the meta page into
  // the slot not holding the newest durable one, and syncs. On failure
  // before the meta write nothing the durable root reaches was touched and
  // the published state stays as it was. A failed sync or meta write leaves
  // the outcome on disk unknown, so the pager then refuses further writes
  // until reopened (the file then holds one whole state). No write
  // transaction may be open. Returns the state it wrote (or the durable
  // one, when nothing was new).
  Result<MetaState> Checkpoint(const std::vector<std::pair<PageId, PageRef>>& written = {});

  // Writes `dirty` durably as Checkpoint does and publishes `next` only once
  // that succeeded: on failure readers never saw it and the pager is at the
  // previous state.
  Status Commit(MetaState next, std::vector<std::pair<PageId, MutablePage>> dirty);

  // The newest state written to the file.
  Generation durable_generation() const;
  // Pages published but not yet written (pinned in the cache).
  size_t unwritten_pages() const;

  // Every free page, and the pages holding the free list (for integrity checks).
  std::vector<uint64_t> FreePages() const;
  std::vector<PageId> FreeListPages() const;

 private:
  Pager(std::string path, std::unique_ptr<File> file, uint32_t page_size, const PagerOptions& options);
  Status Load();
  Status LoadFreeList(const MetaState& meta, std::vector<uint64_t>* free_pages, std::vector<PageId>* chain);
  Status WriteMeta(const MetaState& meta, int slot);
  // Pages no snapshot and no durable root can reach become reusable.
  void ReleaseFreedPages();
  static Status CreateFile(const std::string& path, const PagerOptions& options);
  void EncodeMeta(const MetaState& m, int slot, char* page) const;
  // Writes `pages`, the free list and the meta page naming `next`; see Checkpoint.
  Status WriteDurable(MetaState& next, const std::vector<std::pair<PageId, PageRef>>& pages,
                      std::unique_lock<std::mutex>& lock);
  static Status DecodeMeta(const char* page, uint32_t page_size, PageId slot, const std::string& path,
                           MetaState* out);
  Result<MutablePage> ReadFromFile(PageId id, PageType expected);
  std::vector<std::pair<PageId, PageRef>> LiveUnwrittenLocked() const;  // mu_ held
  void PinLocked(Generation gen);                                       // mu_ held

  const std::string path_;
  std::unique_ptr<File> file_;
  std::unique_ptr<File> write_file_;  // buffered, for commits without fsync over an O_DIRECT file_
  File& writer() { return write_file_ ? *write_file_ : *file_; }
  const uint32_t page_size_;
  const PagerOptions options_;
  PageCache cache_;

  mutable std::mutex mu_;  // guards meta_, pins_, free_ and freelist_chain_
  MetaState meta_;
  // Pinned generations (ascending) and their snapshot counts: few, mostly
  // the newest, so a sorted vector (no node allocated per snapshot).
  std::vector<std::pair<Generation, int>> pins_;
  FreeSpace free_;
  std::vector<PageId> freelist_chain_;  // pages holding the durable meta's free list
  int durable_slot_ = 0;                // which meta page holds the newest durable state
  Generation durable_generation_;
  std::unordered_map<PageId, PageRef> unwritten_;  // published, not yet in the file
  bool failed_ = false;                 // a sync or meta write failed; refused until reopen
  Status failure_;

  std::atomic<uint64_t> pages_written_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> pages_read_ahead_{0};
};

}  // namespace ormdb::btree
