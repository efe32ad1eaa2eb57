#include "btree/pager.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <random>

#include <unistd.h>

#include "btree/node.h"

namespace ormdb::btree {
namespace {

// Meta page body offsets (after the common header).
constexpr size_t kMetaMagic = 32;
constexpr size_t kMetaFormatVersion = 40;
constexpr size_t kMetaPageSize = 44;
constexpr size_t kMetaGeneration = 48;
constexpr size_t kMetaRoot = 56;
constexpr size_t kMetaPageCount = 64;
constexpr size_t kMetaFreeListHead = 72;
constexpr size_t kMetaEntries = 80;
constexpr size_t kMetaWalPosition = 88;
constexpr size_t kMetaUserVersion = 96;
constexpr size_t kMetaDatabaseId = 104;

// Enough to hold both meta pages at the largest page size.
constexpr size_t kProbeBytes = 2 * kMaxPageSizeBytes;

// 2^40 pages: far beyond any real file, and page_count * page size cannot overflow.
constexpr uint64_t kMaxPageCount = uint64_t{1} << 40;

bool ValidPageSize(uint32_t ps) {
  return ps >= kMinPageSizeBytes && ps <= kMaxPageSizeBytes && (ps & (ps - 1)) == 0;
}

}  // namespace

Pager::Pager(std::string path, std::unique_ptr<File> file, uint32_t page_size, const PagerOptions& options)
    : path_(std::move(path)),
      file_(std::move(file)),
      page_size_(page_size),
      options_(options),
      cache_(options.cache_bytes, page_size) {}

Pager::~Pager() = default;

Result<std::unique_ptr<Pager>> Pager::Open(const std::string& path, const PagerOptions& options) {
  if (!ValidPageSize(options.page_size)) {
    return Status::InvalidArgument("page size " + std::to_string(options.page_size) +
                                   " is not a power of two in [512, 65536]");
  }
  FileOptions fo;
  fo.create_if_missing = false;
  fo.direct_io = options.direct_io && options.page_size >= File::kDirectIoAlignment;
  if (!FileExists(path)) {
    if (!options.create_if_missing) return Status::NotFound(path + ": no such data file");
    RETURN_IF_ERROR(CreateFile(path, options));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, options.opener(path, fo));
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size == 0) return Status::Corruption(path + ": the file is empty, not an ormDB data file");

  AlignedBuffer probe = AllocateAligned(kProbeBytes);
  std::memset(probe.get(), 0, kProbeBytes);
  size_t probe_len = 0;
  RETURN_IF_ERROR(file->ReadAt(0, std::span<char>(probe.get(), kProbeBytes), &probe_len));

  // The page size is recorded in the meta pages. Try the size page 0 records
  // first, then every other size, since page 0 itself may be the damaged one.
  std::vector<uint32_t> sizes;
  if (probe_len >= kMetaPageSize + 4 && std::memcmp(probe.get() + kMetaMagic, kMagic, 8) == 0) {
    uint32_t recorded = coding::DecodeFixed32(probe.get() + kMetaPageSize);
    if (ValidPageSize(recorded)) sizes.push_back(recorded);
  }
  for (uint32_t ps = kMinPageSizeBytes; ps <= kMaxPageSizeBytes; ps *= 2) {
    if (sizes.empty() || ps != sizes.front()) sizes.push_back(ps);
  }
  // The magic sits at the same offset of page 0 whatever the page size, so a
  // file cut short inside its meta pages is still recognised as ours.
  bool magic_seen = probe_len >= kMetaMagic + 8 && std::memcmp(probe.get() + kMetaMagic, kMagic, 8) == 0;
  Status first_errs[2];
  uint32_t chosen_size = 0;
  int chosen_slot = 0;
  MetaState chosen_meta;
  for (size_t k = 0; k < sizes.size() && chosen_size == 0; ++k) {
    uint32_t ps = sizes[k];
    MetaState metas[2];
    Status errs[2];
    for (int slot = 0; slot < 2; ++slot) {
      const char* p = probe.get() + slot * ps;
      if (static_cast<size_t>(slot + 1) * ps > probe_len) {
        errs[slot] = Status::Corruption(path + ": meta page " + std::to_string(slot) +
                                        " lies beyond the end of the file");
        continue;
      }
      if (std::memcmp(p + kMetaMagic, kMagic, 8) == 0) magic_seen = true;
      errs[slot] = DecodeMeta(p, ps, PageId(slot), path, &metas[slot]);
      if (errs[slot].IsNotSupported()) return errs[slot];
    }
    if (k == 0) {
      first_errs[0] = errs[0];
      first_errs[1] = errs[1];
    }
    for (int slot = 0; slot < 2; ++slot) {
      if (errs[slot].ok() && (chosen_size == 0 || metas[slot].generation > chosen_meta.generation)) {
        chosen_meta = metas[slot];
        chosen_size = ps;
        chosen_slot = slot;
      }
    }
  }
  if (chosen_size == 0) {
    if (!magic_seen) {
      return Status::InvalidArgument(path + ": not an ormDB data file (no meta page carries the ormDB magic)");
    }
    return Status::Corruption(path + ": both meta pages are invalid: " + first_errs[0].message() + "; " +
                              first_errs[1].message());
  }
  // O_DIRECT needs 4 KiB units; a smaller page size reads through the page cache.
  if (chosen_size < File::kDirectIoAlignment && file->direct_io()) {
    fo.direct_io = false;
    file.reset();
    ASSIGN_OR_RETURN(file, options.opener(path, fo));
  } else if (chosen_size >= File::kDirectIoAlignment && options.direct_io && !fo.direct_io) {
    fo.direct_io = true;
    file.reset();
    ASSIGN_OR_RETURN(file, options.opener(path, fo));
  }
  std::unique_ptr<Pager> pager(new Pager(path, std::move(file), chosen_size, options));
  pager->meta_ = chosen_meta;
  pager->durable_slot_ = chosen_slot;
  pager->durable_generation_ = chosen_meta.generation;
  if (size / chosen_size < chosen_meta.page_count) {
    return Status::Corruption(path + ": file is " + std::to_string(size) + " bytes but generation " +
                              chosen_meta.generation.ToString() + " needs " +
                              std::to_string(chosen_meta.page_count) + " pages of " + std::to_string(chosen_size) +
                              " bytes (truncated?)");
  }
  if (!options.sync && pager->file_->direct_io()) {
    // Commits that promise no fsync hand their pages to the OS cache (the
    // promise of LMDB's MDB_NOSYNC: a process crash loses nothing) instead
    // of waiting for the device. Reads stay O_DIRECT; Linux writes dirty
    // cached pages back before a direct read of their range.
    FileOptions wo;
    wo.create_if_missing = false;
    ASSIGN_OR_RETURN(pager->write_file_, options.opener(path, wo));
  }
  RETURN_IF_ERROR(pager->Load());
  return pager;
}

Status Pager::CreateFile(const std::string& path, const PagerOptions& options) {
  // Built under a temporary name and renamed into place once both meta pages
  // are durable, so a crash during creation never leaves a half-made file
  // under the real name.
  const std::string tmp = path + ".creating";
  FileOptions fo;
  fo.direct_io = options.direct_io && options.page_size >= File::kDirectIoAlignment;
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, options.opener(tmp, fo));
  RETURN_IF_ERROR(file->Truncate(0));
  Pager pager(tmp, std::move(file), options.page_size, options);
  // Both slots hold the empty tree (generations 0 and 1), so the file never
  // depends on a single meta page, not even before its first commit.
  std::random_device rd;
  MetaState meta;
  meta.database_id = (uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(::getpid());
  RETURN_IF_ERROR(pager.WriteMeta(meta, 0));
  meta.generation = Generation(1);
  RETURN_IF_ERROR(pager.WriteMeta(meta, 1));
  RETURN_IF_ERROR(pager.file_->Sync());
  RETURN_IF_ERROR(RenameFile(tmp, path));
  return SyncDirectory(DirectoryOf(path));
}

Status Pager::Load() {
  std::vector<uint64_t> free_pages;
  RETURN_IF_ERROR(LoadFreeList(meta_, &free_pages, &freelist_chain_));
  free_.Reset(meta_.page_count, std::move(free_pages));
  return Status::OK();
}

Status Pager::LoadFreeList(const MetaState& meta, std::vector<uint64_t>* free_pages, std::vector<PageId>* chain) {
  chain->clear();
  free_pages->clear();
  if (meta.freelist_head == kNoPage) return Status::OK();
  std::string payload;
  PageId next = meta.freelist_head;
  while (next != kNoPage) {
    if (chain->size() >= meta.page_count) {
      return Status::Corruption(path_ + ": free list: chain longer than the file (a cycle?)");
    }
    if (next.value() < kFirstDataPage || next.value() >= meta.page_count) {
      return Status::Corruption(path_ + ": free list: page " + next.ToString() + " outside the file");
    }
    ASSIGN_OR_RETURN(MutablePage page, ReadFromFile(next, PageType::kFreeList));
    PageHeader h = ReadHeader(page.get());
    if (h.aux32 > page_size_ - kPageHeaderBytes) {
      return Status::Corruption(path_ + ": page " + next.ToString() + ": free list payload of " +
                                std::to_string(h.aux32) + " bytes does not fit the page");
    }
    payload.append(page.get() + kPageHeaderBytes, h.aux32);
    chain->push_back(next);
    next = PageId(h.aux64);
  }
  RETURN_IF_ERROR(FreeSpace::DecodeExtents(payload, meta.page_count, free_pages,
                                           path_ + ": generation " + meta.generation.ToString()));
  for (PageId p : *chain) {
    if (std::binary_search(free_pages->begin(), free_pages->end(), p.value())) {
      return Status::Corruption(path_ + ": free list: page " + p.ToString() + " holds the free list and is listed free");
    }
  }
  return Status::OK();
}

void Pager::EncodeMeta(const MetaState& m, int slot, char* page) const {
  std::memset(page, 0, page_size_);
  WriteHeader(page, PageId(slot), PageType::kMeta, 0, 0, 0, 0);
  std::memcpy(page + kMetaMagic, kMagic, 8);
  coding::EncodeFixed32(page + kMetaFormatVersion, kFormatVersion);
  coding::EncodeFixed32(page + kMetaPageSize, page_size_);
  coding::EncodeFixed64(page + kMetaGeneration, m.generation.value());
  coding::EncodeFixed64(page + kMetaRoot, m.root.value());
  coding::EncodeFixed64(page + kMetaPageCount, m.page_count);
  coding::EncodeFixed64(page + kMetaFreeListHead, m.freelist_head.value());
  coding::EncodeFixed64(page + kMetaEntries, m.entries);
  coding::EncodeFixed64(page + kMetaWalPosition, m.wal_position);
  coding::EncodeFixed64(page + kMetaUserVersion, m.user_version);
  coding::EncodeFixed64(page + kMetaDatabaseId, m.database_id);
}

Status Pager::DecodeMeta(const char* p, uint32_t page_size, PageId slot, const std::string& path,
                         MetaState* out) {
  std::string where = path + ": meta page " + slot.ToString();
  if (std::memcmp(p + kMetaMagic, kMagic, 8) != 0) return Status::Corruption(where + ": bad magic");
  uint32_t ps = coding::DecodeFixed32(p + kMetaPageSize);
  if (ps != page_size) {
    return Status::Corruption(where + ": records page size " + std::to_string(ps) + ", expected " +
                              std::to_string(page_size));
  }
  // The checksum first: a flipped bit in the version field is damage, not a newer file.
  RETURN_IF_ERROR(VerifyPage(p, page_size, slot, PageType::kMeta, path));
  uint32_t version = coding::DecodeFixed32(p + kMetaFormatVersion);
  if (version > kFormatVersion) {
    return Status::NotSupported(where + ": written by format version " + std::to_string(version) +
                                "; this build reads up to version " + std::to_string(kFormatVersion));
  }
  if (version == 0) return Status::Corruption(where + ": format version 0");
  MetaState m;
  m.generation = Generation(coding::DecodeFixed64(p + kMetaGeneration));
  m.root = PageId(coding::DecodeFixed64(p + kMetaRoot));
  m.page_count = coding::DecodeFixed64(p + kMetaPageCount);
  m.freelist_head = PageId(coding::DecodeFixed64(p + kMetaFreeListHead));
  m.entries = coding::DecodeFixed64(p + kMetaEntries);
  m.wal_position = coding::DecodeFixed64(p + kMetaWalPosition);
  m.user_version = coding::DecodeFixed64(p + kMetaUserVersion);
  m.database_id = coding::DecodeFixed64(p + kMetaDatabaseId);
  if (m.page_count < kFirstDataPage || m.page_count > kMaxPageCount || m.root.value() >= m.page_count ||
      m.freelist_head.value() >= m.page_count || (m.root != kNoPage && m.root.value() < kFirstDataPage) ||
      (m.freelist_head != kNoPage && m.freelist_head.value() < kFirstDataPage)) {
    return Status::Corruption(where + ": root " + m.root.ToString() + " / free list " + m.freelist_head.ToString() +
                              " outside the " + std::to_string(m.page_count) + " pages it records");
  }
  *out = m;
  return Status::OK();
}

Status Pager::WriteMeta(const MetaState& meta, int slot) {
  MutablePage page = AllocatePage(page_size_);
  EncodeMeta(meta, slot, page.get());
  SealPage(page.get(), page_size_);
  return writer().WriteAt(static_cast<uint64_t>(slot) * page_size_, std::span<const char>(page.get(), page_size_));
}

MetaState Pager::meta() const {
  std::lock_guard lock(mu_);
  return meta_;
}

PagerStats Pager::stats() const {
  return PagerStats{cache_.hits(), cache_.misses(), pages_written_.load(), commits_.load(), pages_read_ahead_.load()};
}

Result<MutablePage> Pager::ReadFromFile(PageId id, PageType expected) {
  MutablePage page = AllocatePage(page_size_);
  size_t got = 0;
  Status st = file_->ReadAt(id.value() * page_size_, std::span<char>(page.get(), page_size_), &got);
  if (!st.ok()) return st.Annotate("reading page " + id.ToString());
  if (got < page_size_) {
    return Status::Corruption(path_ + ": page " + id.ToString() + ": file ends after " + std::to_string(got) +
                              " of its " + std::to_string(page_size_) + " bytes (truncated?)");
  }
  RETURN_IF_ERROR(VerifyPage(page.get(), page_size_, id, expected, path_));
  if (PageTypeMatches(expected, kAnyNode)) {  // a leaf, a branch, or either
    RETURN_IF_ERROR(ValidateNode(page.get(), page_size_, path_ + ": page " + id.ToString()));
  }
  return page;
}

void Pager::ReadAhead(std::span<const PageId> ids, PageType expected) {
  uint64_t limit;
  {
    std::lock_guard lock(mu_);
    limit = std::max(meta_.page_count, free_.page_count());
  }
  std::vector<PageId> want;
  for (PageId id : ids) {
    if (id.value() >= kFirstDataPage && id.value() < limit && !cache_.Contains(id)) want.push_back(id);
  }
  if (want.empty()) return;
  std::vector<MutablePage> pages;
  std::vector<ReadRequest> reads;
  pages.reserve(want.size());
  reads.reserve(want.size());
  for (PageId id : want) {
    pages.push_back(AllocatePage(page_size_));
    reads.push_back(ReadRequest{id.value() * page_size_, std::span<char>(pages.back().get(), page_size_)});
  }
  if (!file_->ReadBatch(reads).ok()) return;
  for (size_t i = 0; i < want.size(); ++i) {
    if (reads[i].bytes_read < page_size_) continue;
    if (!VerifyPage(pages[i].get(), page_size_, want[i], expected, path_).ok()) continue;
    if (PageTypeMatches(expected, kAnyNode) &&
        !ValidateNode(pages[i].get(), page_size_, path_ + ": page " + want[i].ToString()).ok()) {
      continue;
    }
    cache_.InsertIfAbsent(want[i], PageRef(std::move(pages[i])));
    pages_read_ahead_.fetch_add(1, std::memory_order_relaxed);
  }
}

Result<PageRef> Pager::Read(PageId id, PageType expected) {
  if (PageRef p = cache_.Lookup(id)) {
    if (!PageTypeMatches(static_cast<PageType>(static_cast<uint8_t>(p.get()[kTypeOffset])), expected)) {
      return Status::Corruption(path_ + ": page " + id.ToString() + ": expected a " + PageTypeName(expected) +
                                " page, the cached page is a " +
                                PageTypeName(static_cast<PageType>(static_cast<uint8_t>(p.get()[kTypeOffset]))));
    }
    return p;
  }
  uint64_t limit;
  {
    std::lock_guard lock(mu_);
    limit = std::max(meta_.page_count, free_.page_count());
  }
  if (id.value() < kFirstDataPage || id.value() >= limit) {
    return Status::Corruption(path_ + ": reference to page " + id.ToString() + " outside the file's " +
                              std::to_string(limit) + " pages");
  }
  ASSIGN_OR_RETURN(MutablePage page, ReadFromFile(id, expected));
  PageRef ref = std::move(page);
  cache_.Insert(id, ref);
  return ref;
}

MetaState Pager::Pin() {
  std::lock_guard lock(mu_);
  PinLocked(meta_.generation);
  return meta_;
}

void Pager::PinLocked(Generation gen) {
  // Generations only grow, so a pin is almost always of the newest one:
  // counted at the back, without allocating once the vector has room.
  if (!pins_.empty() && pins_.back().first == gen) {
    ++pins_.back().second;
    return;
  }
  auto it = std::lower_bound(pins_.begin(), pins_.end(), gen,
                             [](const std::pair<Generation, int>& p, Generation g) { return p.first < g; });
  if (it != pins_.end() && it->first == gen) {
    ++it->second;
  } else {
    pins_.insert(it, {gen, 1});
  }
}

void Pager::Unpin(Generation gen) {
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(pins_.begin(), pins_.end(), gen,
                             [](const std::pair<Generation, int>& p, Generation g) { return p.first < g; });
  assert(it != pins_.end() && it->first == gen && "unpinning a generation that is not pinned");
  if (--it->second == 0) pins_.erase(it);
}

void Pager::ReleaseFreedPages() {
  // A page freed by generation G is reachable from older roots: reusable once
  // no pinned snapshot is older than G and the durable root is at least G
  // (the durable root is never newer than the published one).
  Generation oldest = durable_generation_;
  if (!pins_.empty()) oldest = std::min(oldest, pins_.begin()->first);
  for (uint64_t id : free_.Release(oldest)) {
    // A page published and freed again before any checkpoint wrote it: its
    // only copy is the pinned cache entry, which no reader can reach now.
    if (unwritten_.erase(PageId(id)) > 0) cache_.Erase(PageId(id));
  }
}

PageId Pager::Allocate() {
  std::lock_guard lock(mu_);
  if (free_.reusable_count() == 0) ReleaseFreedPages();
  return free_.Allocate();
}

void Pager::Free(PageId id) {
  std::lock_guard lock(mu_);
  free_.Free(id);
}

void Pager::Abort() {
  std::lock_guard lock(mu_);
  free_.Abort();
}

std::vector<uint64_t> Pager::FreePages() const {
  std::lock_guard lock(mu_);
  return free_.AllFree();
}

std::vector<PageId> Pager::FreeListPages() const {
  std::lock_guard lock(mu_);
  return freelist_chain_;
}

Status Pager::Publish(MetaState next, std::vector<std::pair<PageId, MutablePage>> dirty) {
  // Sealed now, while only this thread sees the pages; immutable from here on.
  for (auto& [id, page] : dirty) {
    assert(ReadHeader(page.get()).id == id);
    SealPage(page.get(), page_size_);
  }
  std::lock_guard lock(mu_);
  if (failed_) {
    // Nothing more may be built on a state whose presence on disk is unknown.
    free_.Abort();
    return failure_;
  }
  next.generation = meta_.generation.Next();
  next.page_count = free_.page_count();
  next.freelist_head = meta_.freelist_head;
  next.database_id = meta_.database_id;
  // Into the cache before the root is published, so no reader of the new root
  // finds a reused page number's old contents.
  for (auto& [id, page] : dirty) {
    PageRef ref(std::move(page));
    cache_.Insert(id, ref, /*pinned=*/true);
    unwritten_[id] = std::move(ref);
  }
  meta_ = next;
  free_.Commit(next.generation);
  commits_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

Status Pager::Commit(MetaState next, std::vector<std::pair<PageId, MutablePage>> dirty) {
  std::vector<std::pair<PageId, PageRef>> pages;
  pages.reserve(dirty.size());
  for (auto& [id, page] : dirty) {
    assert(ReadHeader(page.get()).id == id);
    SealPage(page.get(), page_size_);
    pages.emplace_back(id, PageRef(std::move(page)));
  }
  std::unique_lock lock(mu_);
  if (failed_) {
    free_.Abort();
    return failure_;
  }
  next.generation = meta_.generation.Next();
  next.database_id = meta_.database_id;
  // Pages published earlier and not yet written go along, so the durable
  // root is complete.
  size_t own = pages.size();
  std::vector<uint64_t> free_now = free_.AllFree();
  for (const auto& [id, page] : unwritten_) {
    if (!std::binary_search(free_now.begin(), free_now.end(), id.value())) pages.emplace_back(id, page);
  }
  RETURN_IF_ERROR(WriteDurable(next, pages, lock));
  for (size_t i = 0; i < pages.size(); ++i) {
    if (i < own) {
      cache_.Insert(pages[i].first, pages[i].second);
    } else {
      unwritten_.erase(pages[i].first);
      cache_.Unpin(pages[i].first);
    }
  }
  meta_ = next;
  commits_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

Generation Pager::durable_generation() const {
  std::lock_guard lock(mu_);
  return durable_generation_;
}

size_t Pager::unwritten_pages() const {
  std::lock_guard lock(mu_);
  return unwritten_.size();
}

namespace {

// The pages of `live` that `written` does not hold already: a page number is
// never reused while its page is unwritten, but the page itself is compared
// to be sure.
std::vector<std::pair<PageId, PageRef>> NotWrittenYet(std::vector<std::pair<PageId, PageRef>> live,
                                                      const std::vector<std::pair<PageId, PageRef>>& written) {
  std::unordered_map<PageId, const char*> done;
  done.reserve(written.size());
  for (const auto& [id, page] : written) done.emplace(id, page.get());
  std::erase_if(live, [&](const std::pair<PageId, PageRef>& p) {
    auto it = done.find(p.first);
    return it != done.end() && it->second == p.second.get();
  });
  return live;
}

}  // namespace

std::vector<std::pair<PageId, PageRef>> Pager::LiveUnwrittenLocked() const {
  // Published pages that the newest root still reaches; the rest were freed
  // again before being written and never need to be.
  std::vector<uint64_t> free_now = free_.AllFree();
  std::vector<std::pair<PageId, PageRef>> live;
  for (const auto& [id, page] : unwritten_) {
    if (!std::binary_search(free_now.begin(), free_now.end(), id.value())) live.emplace_back(id, page);
  }
  return live;
}

Result<size_t> Pager::WriteAhead(std::vector<std::pair<PageId, PageRef>>* written) {
  std::vector<std::pair<PageId, PageRef>> live;
  Generation pinned;
  {
    std::lock_guard lock(mu_);
    if (failed_) return failure_;
    if (meta_.generation == durable_generation_) return size_t{0};
    // A write transaction may be open. AllFree lists the pages it freed,
    // so they are left out here although the newest root reaches them; if
    // it aborts, Checkpoint writes them. The pages it allocated are not in
    // unwritten_ before it publishes.
    live = LiveUnwrittenLocked();
    pinned = meta_.generation;
    PinLocked(pinned);
  }
  std::vector<WriteRequest> writes;
  for (auto& [id, page] : NotWrittenYet(std::move(live), *written)) {
    writes.push_back(WriteRequest{id.value() * page_size_, std::span<const char>(page.get(), page_size_)});
    written->emplace_back(id, std::move(page));
  }
  Status st = writer().WriteBatch(writes);
  // Synced here too, so the sync that Checkpoint does with writers held up
  // has little left to flush.
  if (st.ok() && options_.sync && !writes.empty()) st = file_->Sync();
  Unpin(pinned);
  if (!st.ok()) return st.Annotate(path_ + ": writing pages ahead of a checkpoint");
  pages_written_.fetch_add(writes.size(), std::memory_order_relaxed);
  return writes.size();
}

Result<MetaState> Pager::Checkpoint(const std::vector<std::pair<PageId, PageRef>>& written) {
  std::unique_lock lock(mu_);
  if (failed_) return failure_;
  if (meta_.generation == durable_generation_) return meta_;
  MetaState next = meta_;
  std::vector<std::pair<PageId, PageRef>> live = LiveUnwrittenLocked();
  RETURN_IF_ERROR(WriteDurable(next, NotWrittenYet(live, written), lock));
  for (const auto& [id, page] : live) {
    unwritten_.erase(id);
    cache_.Unpin(id);
  }
  meta_.freelist_head = next.freelist_head;
  meta_.page_count = next.page_count;
  // Pages freed before this state are reusable now (unless a snapshot holds
  // them); the unwritten ones among them leave the cache at once.
  ReleaseFreedPages();
  return next;
}

Status Pager::WriteDurable(MetaState& next, const std::vector<std::pair<PageId, PageRef>>& pages,
                           std::unique_lock<std::mutex>& lock) {
  // The free list of the durable meta is superseded by this one's.
  for (PageId p : freelist_chain_) free_.Free(p);
  // Pages for the new free list come out of free space, which changes the
  // list; allocate until what remains fits the chain.
  const size_t payload_per_page = page_size_ - kPageHeaderBytes;
  std::vector<PageId> chain;
  std::string encoded;
  for (;;) {
    std::vector<uint64_t> all = free_.AllFree();
    if (all.empty() && chain.empty()) {
      encoded.clear();
      break;
    }
    encoded = FreeSpace::EncodeExtents(all);
    size_t need = (encoded.size() + payload_per_page - 1) / payload_per_page;
    if (chain.size() >= need) break;
    while (chain.size() < need) {
      if (free_.reusable_count() == 0) ReleaseFreedPages();
      chain.push_back(free_.Allocate());
    }
  }
  next.page_count = free_.page_count();
  next.freelist_head = chain.empty() ? kNoPage : chain.front();
  const int slot = 1 - durable_slot_;
  lock.unlock();

  std::vector<WriteRequest> writes;
  writes.reserve(pages.size() + chain.size());
  for (const auto& [id, page] : pages) {
    writes.push_back(WriteRequest{id.value() * page_size_, std::span<const char>(page.get(), page_size_)});
  }
  std::vector<MutablePage> chain_pages;
  for (size_t i = 0; i < chain.size(); ++i) {
    MutablePage page = AllocatePage(page_size_);
    std::memset(page.get(), 0, page_size_);
    size_t off = i * payload_per_page;
    size_t n = off < encoded.size() ? std::min(payload_per_page, encoded.size() - off) : 0;
    WriteHeader(page.get(), chain[i], PageType::kFreeList, 0, 0, static_cast<uint32_t>(n),
                i + 1 < chain.size() ? chain[i + 1].value() : 0);
    if (n > 0) std::memcpy(page.get() + kPageHeaderBytes, encoded.data() + off, n);
    SealPage(page.get(), page_size_);
    writes.push_back(WriteRequest{chain[i].value() * page_size_, std::span<const char>(page.get(), page_size_)});
    chain_pages.push_back(std::move(page));
  }

  std::string what = path_ + ": writing generation " + next.generation.ToString();
  auto fail = [&](const Status& st) {
    lock.lock();
    free_.Abort();  // the caller's pages, the free-list pages, the old chain's release
    return st.Annotate(what);
  };
  auto poison = [&](const Status& s) {
    // After a failed fdatasync the kernel may have dropped the dirty pages,
    // and after a failed meta write the slot may or may not name the new
    // root: whether this state reached the disk is unknown, so stop.
    lock.lock();
    free_.Abort();
    failed_ = true;
    failure_ = s.Annotate(what + " (the outcome on disk is unknown; reopen the database)");
    return failure_;
  };
  Status st = writer().WriteBatch(writes);
  if (!st.ok()) return fail(st);
  // Pages allocated at the end and freed again were never written: extend the
  // file so it covers every page the meta page records.
  Result<uint64_t> size = writer().Size();
  if (!size.ok()) return fail(size.status());
  if (*size < next.page_count * page_size_) {
    st = writer().Truncate(next.page_count * page_size_);
    if (!st.ok()) return fail(st);
  }
  if (options_.sync) {
    st = file_->Sync();
    if (!st.ok()) return poison(st);
  }
  // From here on the slot may hold the new state even if the write reports
  // failure (a write torn after its last changed byte is whole).
  st = WriteMeta(next, slot);
  if (!st.ok()) return poison(st);
  if (options_.sync) {
    st = file_->Sync();
    if (!st.ok()) return poison(st);
  }
  lock.lock();
  durable_slot_ = slot;
  durable_generation_ = next.generation;
  free_.Commit(next.generation);
  freelist_chain_ = std::move(chain);
  pages_written_.fetch_add(writes.size(), std::memory_order_relaxed);
  return Status::OK();
}

}  // namespace ormdb::btree
