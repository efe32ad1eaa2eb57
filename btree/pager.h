// The pager owns the data file: its two meta pages, the buffer cache, the
// free space and the commit of a new root. Committed pages are immutable, so
// the cache hands out shared, read-only page references without locks held
// across use; a new root becomes visible by one meta page write.
//
// Commit order (why this order): new pages and the free list go to free
// space first and are synced, then the meta page of the other slot names the
// new root and is synced. A crash before the meta write leaves the previous
// root, whose pages this commit never touched, in charge.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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
};

constexpr uint32_t kFormatVersion = 1;
constexpr char kMagic[8] = {'o', 'r', 'm', 'D', 'B', 'p', 'g', '\0'};

struct PagerStats {
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t pages_written = 0;
  uint64_t commits = 0;
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

  // --- Snapshots: a pinned generation keeps every page its root reaches. ---
  // Pins the newest committed state and returns it.
  MetaState Pin();
  void Unpin(Generation gen);

  // --- The commit being built (one writer at a time; the caller serializes). ---
  PageId Allocate();
  void Free(PageId id);
  // Writes `dirty` pages (sealed here) and the free list, then the meta page
  // naming `next`. On failure nothing the previous root reaches was touched,
  // and the pager stays at the previous state. A failed sync or meta write
  // leaves the outcome on disk unknown, so the pager then refuses further
  // commits until the file is reopened (it then reads one whole state).
  Status Commit(MetaState next, std::vector<std::pair<PageId, MutablePage>> dirty);
  void Abort();

  // Every free page, and the pages holding the free list (for integrity checks).
  std::vector<uint64_t> FreePages() const;
  std::vector<PageId> FreeListPages() const;

 private:
  Pager(std::string path, std::unique_ptr<File> file, uint32_t page_size, const PagerOptions& options);
  Status Load();
  Status LoadFreeList(const MetaState& meta, std::vector<uint64_t>* free_pages, std::vector<PageId>* chain);
  Status WriteMeta(const MetaState& meta);
  Status InitializeNewFile();
  void EncodeMeta(const MetaState& m, char* page) const;
  static Status DecodeMeta(const char* page, uint32_t page_size, PageId slot, const std::string& path,
                           MetaState* out);
  Result<MutablePage> ReadFromFile(PageId id, PageType expected);

  const std::string path_;
  std::unique_ptr<File> file_;
  const uint32_t page_size_;
  const PagerOptions options_;
  PageCache cache_;

  mutable std::mutex mu_;  // guards meta_, pins_, free_ and freelist_chain_
  MetaState meta_;
  std::map<Generation, int> pins_;
  FreeSpace free_;
  std::vector<PageId> freelist_chain_;  // pages holding the current meta's free list
  bool failed_ = false;                 // a sync failed; commits are refused until reopen
  Status failure_;

  std::atomic<uint64_t> pages_written_{0};
  std::atomic<uint64_t> commits_{0};
};

}  // namespace ormdb::btree
