// Where tree reads get their pages: a snapshot reads committed pages through
// the pager; a write transaction sees its own dirty pages first. Cursors and
// point reads are written once against this interface.
#pragma once

#include <span>
#include <string>

#include "btree/node.h"
#include "btree/page.h"
#include "util/status.h"

namespace ormdb::btree {

class PageSource {
 public:
  virtual ~PageSource() = default;
  virtual Result<PageRef> Fetch(PageId id, PageType type) = 0;
  // Read-ahead for scans: whether Fetch would find the page without a read,
  // and a hint that the pages of `ids` are needed next, which a source
  // backed by a file may read together. A source that reads nothing from a
  // file (or not through a cache) ignores the hint.
  virtual bool Cached(PageId) const { return true; }
  virtual void ReadAhead(std::span<const PageId>, PageType) {}
  virtual PageId root() const = 0;
  virtual uint32_t page_size() const = 0;
  // Changes whenever the tree under this source changes (a write transaction's
  // own writes), so a cursor knows to find its place again.
  virtual uint64_t version() const { return 0; }
};

// Fetches child i of a branch, checking that it sits one level lower (so a
// corrupt child pointer cannot send a reader around in a cycle).
Result<PageRef> FetchChild(PageSource& src, const NodeView& parent, int i);

// Reads the value of a leaf cell, following overflow pages when it has them.
Status ReadValue(PageSource& src, const LeafValue& v, std::string* out);

// Point lookup from the source's root. NotFound when the key is absent.
Status GetFromTree(PageSource& src, std::string_view key, std::string* value);

}  // namespace ormdb::btree
