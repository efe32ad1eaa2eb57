#include "btree/tree.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace ormdb::btree {

// ----------------------------------------------------------------- Snapshot

struct Snapshot::State final : PageSource {
  State(Pager* p, MetaState m) : pager(p), meta(m) {}
  ~State() override { pager->Unpin(meta.generation); }
  Result<PageRef> Fetch(PageId id, PageType type) override { return pager->Read(id, type); }
  bool Cached(PageId id) const override { return pager->Cached(id); }
  void ReadAhead(std::span<const PageId> ids, PageType type) override { pager->ReadAhead(ids, type); }
  PageId root() const override { return meta.root; }
  uint32_t page_size() const override { return pager->page_size(); }

  Pager* pager;
  MetaState meta;
};

Status Snapshot::Get(std::string_view key, std::string* value) const {
  assert(state_ != nullptr);
  return GetFromTree(*state_, key, value);
}

std::unique_ptr<Cursor> Snapshot::NewCursor(CursorOptions options) const {
  assert(state_ != nullptr);
  return std::make_unique<Cursor>(state_.get(), state_, std::move(options));
}

const MetaState& Snapshot::meta() const {
  assert(state_ != nullptr);
  return state_->meta;
}

PageSource* Snapshot::source() const { return state_.get(); }

// --------------------------------------------------------------------- Tree

Tree::Tree(std::unique_ptr<Pager> pager) : pager_(std::move(pager)), limits_(NodeLimits::For(pager_->page_size())) {}

Result<std::unique_ptr<Tree>> Tree::Open(const std::string& path, const TreeOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Pager> pager, Pager::Open(path, options));
  return std::unique_ptr<Tree>(new Tree(std::move(pager)));
}

Snapshot Tree::GetSnapshot() {
  Snapshot s;
  s.state_ = std::make_shared<Snapshot::State>(pager_.get(), pager_->Pin());
  return s;
}

std::unique_ptr<WriteTxn> Tree::BeginWrite() {
  std::unique_lock lock(writer_mu_);
  return std::unique_ptr<WriteTxn>(new WriteTxn(this, std::move(lock)));
}

// ----------------------------------------------------------------- WriteTxn

struct WriteTxn::Splice {
  PageId id;               // the subtree's root after the change
  bool found = true;       // Remove: the key existed
  bool split = false;      // Insert: a right sibling was made...
  std::string separator;   // ...holding the keys >= separator
  PageId right;
  bool underfull = false;  // Remove: the node shrank below a quarter page
};

struct WriteTxn::NewValue {
  std::string_view bytes;  // inline value
  bool overflow = false;
  uint64_t length = 0;
  PageId first_page;
};

WriteTxn::WriteTxn(Tree* tree, std::unique_lock<std::mutex> lock)
    : pager_(&tree->pager()),
      limits_(tree->limits()),
      writer_lock_(std::move(lock)),
      meta_(pager_->meta()) {
  for (auto& s : scratch_) s = AllocatePage(limits_.page_size);
}

WriteTxn::~WriteTxn() { Abort(); }

Result<PageRef> WriteTxn::Fetch(PageId id, PageType type) {
  auto it = dirty_.find(id);
  if (it == dirty_.end()) return pager_->Read(id, type);
  PageType actual = static_cast<PageType>(static_cast<uint8_t>(it->second.get()[kTypeOffset]));
  if (!PageTypeMatches(actual, type)) {
    return Status::Corruption("page " + id.ToString() + ": expected a " + PageTypeName(type) + " page, found a " +
                              PageTypeName(actual));
  }
  return PageRef(it->second);
}

Result<std::pair<PageId, char*>> WriteTxn::Writable(PageId id, PageType type, const PageRef& current) {
  auto it = dirty_.find(id);
  if (it != dirty_.end()) return std::make_pair(id, it->second.get());
  PageRef src = current;
  if (src == nullptr) {
    ASSIGN_OR_RETURN(src, pager_->Read(id, type));
  }
  PageId nid = pager_->Allocate();
  if (nid == id || dirty_.count(nid) != 0) {
    // Only a damaged free list hands out a page in use; freeing `id` below
    // would then make this transaction's own new page reusable.
    return Status::Corruption("free list names page " + nid.ToString() + ", which is in use");
  }
  MutablePage page = AllocatePage(limits_.page_size);
  std::memcpy(page.get(), src.get(), limits_.page_size);
  coding::EncodeFixed64(page.get() + kPageIdOffset, nid.value());
  pager_->Free(id);
  char* raw = page.get();
  dirty_.emplace(nid, std::move(page));
  return std::make_pair(nid, raw);
}

Result<std::pair<PageId, char*>> WriteTxn::NewPage() {
  PageId id = pager_->Allocate();
  if (dirty_.count(id) != 0) {
    // Only a damaged free list hands out a page this transaction is writing.
    return Status::Corruption("free list names page " + id.ToString() + ", which is in use");
  }
  MutablePage page = AllocatePage(limits_.page_size);
  std::memset(page.get(), 0, limits_.page_size);
  char* raw = page.get();
  dirty_[id] = std::move(page);
  return std::make_pair(id, raw);
}

void WriteTxn::FreePage(PageId id) {
  dirty_.erase(id);
  pager_->Free(id);
}

Result<PageId> WriteTxn::WriteOverflow(std::string_view value) {
  const size_t payload = limits_.overflow_payload_bytes;
  size_t n = (value.size() + payload - 1) / payload;
  std::vector<std::pair<PageId, char*>> pages;
  pages.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(auto page, NewPage());
    pages.push_back(page);
  }
  for (size_t i = 0; i < n; ++i) {
    size_t off = i * payload;
    size_t len = std::min(payload, value.size() - off);
    WriteHeader(pages[i].second, pages[i].first, PageType::kOverflow, 0, 0, static_cast<uint32_t>(len),
                i + 1 < n ? pages[i + 1].first.value() : 0);
    std::memcpy(pages[i].second + kPageHeaderBytes, value.data() + off, len);
  }
  return pages.front().first;
}

Status WriteTxn::FreeOverflow(const LeafValue& v) {
  const size_t payload = limits_.overflow_payload_bytes;
  PageId id = v.first_page;
  uint64_t remaining = v.length;
  std::vector<PageId> chain;
  // Collect first, free after: a damaged chain that loops is reported, not freed twice.
  while (remaining > 0) {
    if (std::find(chain.begin(), chain.end(), id) != chain.end()) {
      return Status::Corruption("overflow chain from page " + v.first_page.ToString() + " loops at page " +
                                id.ToString());
    }
    ASSIGN_OR_RETURN(PageRef page, Fetch(id, PageType::kOverflow));
    chain.push_back(id);
    remaining -= std::min<uint64_t>(remaining, payload);
    id = PageId(ReadHeader(page.get()).aux64);
  }
  for (PageId p : chain) FreePage(p);
  return Status::OK();
}

bool WriteTxn::Underfull(const char* page) const {
  return NodeView(page, limits_.page_size).used_bytes() * 4 < limits_.page_size;
}

Status WriteTxn::Put(std::string_view key, std::string_view value) {
  Status st = PutImpl(key, value);
  // A failure part-way leaves pages half-changed: the transaction is over.
  if (!st.ok() && !st.IsInvalidArgument()) Abort();
  return st;
}

Status WriteTxn::Delete(std::string_view key, bool* existed) {
  Status st = DeleteImpl(key, existed);
  if (!st.ok() && !st.IsInvalidArgument()) Abort();
  return st;
}

Status WriteTxn::PutImpl(std::string_view key, std::string_view value) {
  if (done_) return Status::InvalidArgument("write transaction already finished");
  if (key.size() > limits_.max_key_bytes) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) + " bytes exceeds the limit of " +
                                   std::to_string(limits_.max_key_bytes) + " bytes for " +
                                   std::to_string(limits_.page_size) + "-byte pages");
  }
  if (value.size() > kMaxValueBytes) {
    return Status::InvalidArgument("value of " + std::to_string(value.size()) + " bytes exceeds the limit of " +
                                   std::to_string(kMaxValueBytes) + " bytes");
  }
  NewValue nv;
  nv.length = value.size();
  size_t inline_cell = coding::VarintLength(key.size()) + coding::VarintLength(value.size() << 1) + key.size() +
                       value.size();
  if (inline_cell > limits_.max_inline_cell_bytes) {
    ASSIGN_OR_RETURN(nv.first_page, WriteOverflow(value));
    nv.overflow = true;
  } else {
    nv.bytes = value;
  }
  ++version_;
  if (meta_.root == kNoPage) {
    ASSIGN_OR_RETURN(auto fresh, NewPage());
    auto [id, page] = fresh;
    NodeEntry e;
    e.key = KeyParts{key, {}};
    e.value = nv.bytes;
    e.overflow = nv.overflow;
    e.value_length = nv.length;
    e.page = nv.first_page;
    BuildNode(page, limits_.page_size, id, true, 0, kNoPage, std::span<const NodeEntry>(&e, 1));
    meta_.root = id;
    meta_.entries = 1;
    return Status::OK();
  }
  Splice s;
  RETURN_IF_ERROR(Insert(meta_.root, kAnyNode, key, nv, &s));
  meta_.root = s.id;
  if (s.split) {
    ASSIGN_OR_RETURN(PageRef left, Fetch(s.id, kAnyNode));
    uint8_t level = static_cast<uint8_t>(left.get()[kLevelOffset] + 1);
    ASSIGN_OR_RETURN(auto fresh, NewPage());
    auto [id, page] = fresh;
    NodeEntry e;
    e.key = KeyParts{s.separator, {}};
    e.page = s.right;
    BuildNode(page, limits_.page_size, id, false, level, s.id, std::span<const NodeEntry>(&e, 1));
    meta_.root = id;
  }
  return Status::OK();
}

Status WriteTxn::Insert(PageId id, PageType type, std::string_view key, const NewValue& nv, Splice* out,
                        PageRef ro) {
  if (ro == nullptr) {
    ASSIGN_OR_RETURN(ro, Fetch(id, type));
  }
  NodeView rv(ro.get(), limits_.page_size);
  const uint32_t ps = limits_.page_size;
  if (rv.is_leaf()) {
    ASSIGN_OR_RETURN(auto w, Writable(id, PageType::kLeaf, ro));
    {
      // The common case, a new key between two of the leaf's, goes straight
      // into the (already copied) page.
      bool exact;
      int pos = NodeView(w.second, ps).LowerBound(key, &exact);
      if (!exact && InsertLeafCellInPlace(w.second, ps, pos, key, nv.bytes, nv.overflow, nv.length, nv.first_page)) {
        ++meta_.entries;
        out->id = w.first;
        out->split = false;
        return Status::OK();
      }
    }
    std::memcpy(scratch_[0].get(), w.second, ps);
    NodeView v(scratch_[0].get(), ps);
    bool exact;
    int pos = v.LowerBound(key, &exact);
    if (exact) {
      LeafValue old = v.value(pos);
      if (old.overflow) RETURN_IF_ERROR(FreeOverflow(old));
    } else {
      ++meta_.entries;
    }
    entries_.clear();
    ReadEntries(v, &entries_);
    NodeEntry e;
    e.key = KeyParts{key, {}};
    e.value = nv.bytes;
    e.overflow = nv.overflow;
    e.value_length = nv.length;
    e.page = nv.first_page;
    if (exact) {
      entries_[pos] = e;
    } else {
      entries_.insert(entries_.begin() + pos, e);
    }
    return BuildOrSplit(w.first, w.second, true, 0, kNoPage, entries_, pos, out);
  }

  int ci = rv.ChildIndex(key);
  PageId child = rv.child(ci);
  uint8_t level = rv.level();
  // Fetched with a check of the child's level (a cycle would recurse forever).
  ASSIGN_OR_RETURN(PageRef child_page, FetchChild(*this, rv, ci));
  Splice cs;
  RETURN_IF_ERROR(Insert(child, level == 1 ? PageType::kLeaf : PageType::kBranch, key, nv, &cs, std::move(child_page)));
  ASSIGN_OR_RETURN(auto w, Writable(id, PageType::kBranch, ro));
  NodeView v(w.second, ps);
  if (cs.id != child) coding::EncodeFixed64(w.second + v.child_offset(ci), cs.id.value());
  out->id = w.first;
  out->split = false;
  if (!cs.split) return Status::OK();
  std::memcpy(scratch_[0].get(), w.second, ps);
  NodeView sv(scratch_[0].get(), ps);
  entries_.clear();
  ReadEntries(sv, &entries_);
  NodeEntry e;
  e.key = KeyParts{cs.separator, {}};
  e.page = cs.right;
  entries_.insert(entries_.begin() + ci, e);
  return BuildOrSplit(w.first, w.second, false, level, sv.child(0), entries_, ci, out);
}

Status WriteTxn::BuildOrSplit(PageId id, char* page, bool leaf, uint8_t level, PageId leftmost,
                              std::vector<NodeEntry>& entries, size_t insert_pos, Splice* out) {
  const uint32_t ps = limits_.page_size;
  out->id = id;
  out->split = false;
  if (NodeBytes(leaf, entries) <= ps) {
    BuildNode(page, ps, id, leaf, level, leftmost, entries);
    return Status::OK();
  }
  // A half holding entries [a, b) gets its own shared prefix p, the common
  // prefix of its first and last keys. With full[i] = entry i's slot and cell
  // stored with no prefix, the half needs at most
  //   header + p + sum(full[a, b)) - (b - a) * p
  // bytes (a suffix's length varint can only shrink). The prefix all n
  // entries share is no bound to use here: a key with a different first byte
  // would make every entry of either half count its whole key.
  const size_t n = entries.size();
  std::vector<size_t> cum(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const size_t k = entries[i].key.size();
    cum[i + 1] = cum[i] + NodeBytes(leaf, std::span<const NodeEntry>(&entries[i], 1)) - kPageHeaderBytes -
                 coding::VarintLength(0) + coding::VarintLength(k);
  }
  auto half_bytes = [&](size_t a, size_t b) {
    size_t p = CommonPrefixLength(entries[a].key, entries[b - 1].key);
    return kPageHeaderBytes + p + (cum[b] - cum[a]) - (b - a) * p;
  };
  auto left_bytes = [&](size_t m) { return half_bytes(0, m); };
  auto right_bytes = [&](size_t m) { return half_bytes(leaf ? m : m + 1, n); };
  size_t lo = 1, hi = leaf ? n - 1 : n - 2;
  size_t best = 0;
  size_t best_diff = SIZE_MAX;
  // Appending at the end (ascending keys): fill the left node, so sequential
  // loads leave full pages instead of half-empty ones.
  bool append = insert_pos + 1 == n;
  for (size_t m = lo; m <= hi; ++m) {
    if (left_bytes(m) > ps || right_bytes(m) > ps) continue;
    size_t diff = left_bytes(m) > right_bytes(m) ? left_bytes(m) - right_bytes(m) : right_bytes(m) - left_bytes(m);
    if (append ? true : diff < best_diff) {
      best = m;
      best_diff = diff;
    }
  }
  if (best == 0) {
    return Status::Internal("no split point for a node of " + std::to_string(n) + " entries (page " + id.ToString() +
                            ")");
  }
  const size_t m = best;
  ASSIGN_OR_RETURN(auto fresh, NewPage());
  auto [rid, rpage] = fresh;
  std::span<const NodeEntry> all(entries);
  if (leaf) {
    out->separator = ShortestSeparator(entries[m - 1].key, entries[m].key);
    BuildNode(rpage, ps, rid, true, 0, kNoPage, all.subspan(m));
    BuildNode(page, ps, id, true, 0, kNoPage, all.first(m));
  } else {
    out->separator = entries[m].key.ToString();
    BuildNode(rpage, ps, rid, false, level, entries[m].page, all.subspan(m + 1));
    BuildNode(page, ps, id, false, level, leftmost, all.first(m));
  }
  out->split = true;
  out->right = rid;
  return Status::OK();
}

Status WriteTxn::DeleteImpl(std::string_view key, bool* existed) {
  if (existed != nullptr) *existed = false;
  if (done_) return Status::InvalidArgument("write transaction already finished");
  if (meta_.root == kNoPage) return Status::OK();
  Splice s;
  RETURN_IF_ERROR(Remove(meta_.root, kAnyNode, key, &s));
  if (!s.found) return Status::OK();
  if (existed != nullptr) *existed = true;
  ++version_;
  meta_.root = s.id;
  // A root branch left with one child hands the root to it; an empty root
  // leaf leaves an empty tree.
  for (;;) {
    ASSIGN_OR_RETURN(PageRef r, Fetch(meta_.root, kAnyNode));
    NodeView v(r.get(), limits_.page_size);
    if (v.count() > 0) break;
    PageId old = meta_.root;
    meta_.root = v.is_leaf() ? kNoPage : v.child(0);
    FreePage(old);
    if (meta_.root == kNoPage) break;
  }
  return Status::OK();
}

Status WriteTxn::Remove(PageId id, PageType type, std::string_view key, Splice* out) {
  const uint32_t ps = limits_.page_size;
  ASSIGN_OR_RETURN(PageRef ro, Fetch(id, type));
  NodeView rv(ro.get(), ps);
  out->id = id;
  if (rv.is_leaf()) {
    bool exact;
    int pos = rv.LowerBound(key, &exact);
    if (!exact) {
      out->found = false;
      return Status::OK();
    }
    LeafValue old = rv.value(pos);
    if (old.overflow) RETURN_IF_ERROR(FreeOverflow(old));
    ASSIGN_OR_RETURN(auto w, Writable(id, PageType::kLeaf, ro));
    std::memcpy(scratch_[0].get(), w.second, ps);
    NodeView v(scratch_[0].get(), ps);
    entries_.clear();
    ReadEntries(v, &entries_);
    entries_.erase(entries_.begin() + pos);
    BuildNode(w.second, ps, w.first, true, 0, kNoPage, entries_);
    --meta_.entries;
    out->id = w.first;
    out->found = true;
    out->underfull = Underfull(w.second);
    return Status::OK();
  }
  int ci = rv.ChildIndex(key);
  PageId child = rv.child(ci);
  {
    ASSIGN_OR_RETURN(PageRef c, FetchChild(*this, rv, ci));
  }
  Splice cs;
  RETURN_IF_ERROR(Remove(child, rv.level() == 1 ? PageType::kLeaf : PageType::kBranch, key, &cs));
  if (!cs.found) {
    out->found = false;
    return Status::OK();
  }
  ASSIGN_OR_RETURN(auto w, Writable(id, PageType::kBranch, ro));
  NodeView v(w.second, ps);
  if (cs.id != child) coding::EncodeFixed64(w.second + v.child_offset(ci), cs.id.value());
  out->id = w.first;
  out->found = true;
  out->underfull = false;
  if (cs.underfull && v.count() > 0) return MergeChildren(w.first, w.second, ci, out);
  return Status::OK();
}

Status WriteTxn::MergeChildren(PageId parent_id, char* parent, int ci, Splice* out) {
  const uint32_t ps = limits_.page_size;
  std::memcpy(scratch_[2].get(), parent, ps);
  NodeView pv(scratch_[2].get(), ps);
  int li = ci < pv.count() ? ci : ci - 1;
  int ri = li + 1;
  PageId lid = pv.child(li);
  PageId rid = pv.child(ri);
  bool leaf = pv.level() == 1;
  uint8_t level = static_cast<uint8_t>(pv.level() - 1);
  {
    ASSIGN_OR_RETURN(PageRef l, FetchChild(*this, pv, li));
    std::memcpy(scratch_[0].get(), l.get(), ps);
  }
  {
    ASSIGN_OR_RETURN(PageRef r, FetchChild(*this, pv, ri));
    std::memcpy(scratch_[1].get(), r.get(), ps);
  }
  NodeView lv(scratch_[0].get(), ps);
  NodeView rv(scratch_[1].get(), ps);
  entries_.clear();
  ReadEntries(lv, &entries_);
  std::string separator;
  if (!leaf) {
    // The parent's separator comes down between the two halves.
    separator = pv.Key(li);
    NodeEntry e;
    e.key = KeyParts{separator, {}};
    e.page = rv.child(0);
    entries_.push_back(e);
  }
  ReadEntries(rv, &entries_);
  // Siblings from a damaged parent (the same page twice, or separators that
  // do not bound their children) would build a node out of order.
  for (size_t i = 1; i < entries_.size(); ++i) {
    if (lid == rid || Compare(entries_[i - 1].key, entries_[i].key) >= 0) {
      return Status::Corruption("pages " + lid.ToString() + " and " + rid.ToString() + " under page " +
                                parent_id.ToString() + " hold keys out of order");
    }
  }
  if (NodeBytes(leaf, entries_) > ps) {
    out->underfull = false;  // the sibling is too full to take it in; leave both
    return Status::OK();
  }
  ASSIGN_OR_RETURN(auto lw, Writable(lid, leaf ? PageType::kLeaf : PageType::kBranch));
  BuildNode(lw.second, ps, lw.first, leaf, level, leaf ? kNoPage : lv.child(0), entries_);
  FreePage(rid);

  std::vector<NodeEntry> pe;
  ReadEntries(pv, &pe);
  pe.erase(pe.begin() + li);
  PageId leftmost = pv.child(0);
  if (li == 0) {
    leftmost = lw.first;
  } else {
    pe[li - 1].page = lw.first;
  }
  BuildNode(parent, ps, parent_id, false, pv.level(), leftmost, pe);
  out->underfull = Underfull(parent);
  return Status::OK();
}

Status WriteTxn::Get(std::string_view key, std::string* value) {
  if (done_) return Status::InvalidArgument("write transaction already finished");
  return GetFromTree(*this, key, value);
}

std::unique_ptr<Cursor> WriteTxn::NewCursor(CursorOptions options) {
  return std::make_unique<Cursor>(this, nullptr, std::move(options));
}

Status WriteTxn::Commit() {
  if (done_) return Status::InvalidArgument("write transaction already finished");
  done_ = true;
  MetaState before = pager_->meta();
  if (dirty_.empty() && !touched_ && meta_.root == before.root) {
    pager_->Abort();  // returns pages a no-op transaction may have allocated and freed
    // Nothing of its own to write, but a commit promises durability of all
    // that readers can see: write what earlier Publish calls left unwritten.
    Status st = pager_->Checkpoint().status();
    committed_ = pager_->meta().generation;
    writer_lock_.unlock();
    return st;
  }
  Status st = pager_->Commit(meta_, TakeDirtyPages());
  if (st.ok()) committed_ = pager_->meta().generation;
  writer_lock_.unlock();
  return st;
}

Status WriteTxn::Publish() {
  if (done_) return Status::InvalidArgument("write transaction already finished");
  done_ = true;
  Status st = pager_->Publish(meta_, TakeDirtyPages());
  if (st.ok()) committed_ = pager_->meta().generation;
  writer_lock_.unlock();
  return st;
}

std::vector<std::pair<PageId, MutablePage>> WriteTxn::TakeDirtyPages() {
  std::vector<std::pair<PageId, MutablePage>> pages;
  pages.reserve(dirty_.size());
  for (auto& [id, page] : dirty_) pages.emplace_back(id, std::move(page));
  dirty_.clear();
  return pages;
}

namespace {
// A checkpoint writes pages ahead in up to this many rounds, stopping once a
// round had fewer pages than this to write.
constexpr int kCheckpointAheadRounds = 4;
constexpr size_t kCheckpointAheadEnough = 256;
}  // namespace

Result<MetaState> Tree::Checkpoint() {
  // The bulk of the pages is written while commits go on; the writer lock
  // is held only for what was published meanwhile, the free list, the
  // syncs and the meta page. (Held throughout, a checkpoint of 64 MB stalled
  // every commit behind it: W6 at 64 clients had a p99 of 65 ms against
  // 19 ms without checkpoints.)
  // Rounds while many pages were published during the one before.
  std::vector<std::pair<PageId, PageRef>> written;
  for (int round = 0; round < kCheckpointAheadRounds; ++round) {
    ASSIGN_OR_RETURN(size_t n, pager_->WriteAhead(&written));
    if (n < kCheckpointAheadEnough) break;
  }
  std::lock_guard lock(writer_mu_);
  return pager_->Checkpoint(written);
}

void WriteTxn::Abort() {
  if (done_) return;
  done_ = true;
  dirty_.clear();
  pager_->Abort();
  writer_lock_.unlock();
}

}  // namespace ormdb::btree
