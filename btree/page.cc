#include "btree/page.h"

#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "util/checksum.h"
#include "util/file.h"

namespace ormdb::btree {

const char* PageTypeName(PageType type) {
  switch (type) {
    case PageType::kMeta: return "meta";
    case PageType::kBranch: return "branch";
    case PageType::kLeaf: return "leaf";
    case PageType::kOverflow: return "overflow";
    case PageType::kFreeList: return "free-list";
  }
  if (type == kAnyNode) return "node";
  return "unknown";
}

namespace {

// Freed page buffers, kept for reuse by size: a commit allocates a page per
// node it copies, and aligned malloc/free of 4 KiB blocks showed up in
// profiles. Bounded, so a burst does not pin memory for good. Off under
// AddressSanitizer, which should see every use after free.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kPoolPagesPerSize = 0;
#else
constexpr size_t kPoolPagesPerSize = 4096;
#endif

struct PagePool {
  std::mutex mu;
  std::vector<char*> free[17];  // by log2 of the buffer size (4 KiB .. 64 KiB)
};

PagePool& Pool() {
  static PagePool* pool = new PagePool();  // never destroyed: pages may outlive static destruction
  return *pool;
}

}  // namespace

MutablePage AllocatePage(uint32_t page_size) {
  const size_t bytes = page_size < File::kDirectIoAlignment ? File::kDirectIoAlignment : page_size;
  const int cls = std::bit_width(bytes) - 1;
  char* p = nullptr;
  if (kPoolPagesPerSize > 0) {
    std::lock_guard lock(Pool().mu);
    auto& list = Pool().free[cls];
    if (!list.empty()) {
      p = list.back();
      list.pop_back();
    }
  }
  if (p == nullptr) {
    p = static_cast<char*>(std::aligned_alloc(File::kDirectIoAlignment, bytes));
    if (p == nullptr) throw std::bad_alloc();
  }
  return MutablePage(p, [cls](char* q) {
    if (kPoolPagesPerSize > 0) {
      std::lock_guard lock(Pool().mu);
      auto& list = Pool().free[cls];
      if (list.size() < kPoolPagesPerSize) {
        list.push_back(q);
        return;
      }
    }
    std::free(q);
  });
}

void WriteHeader(char* p, PageId id, PageType type, uint8_t level, uint16_t count, uint32_t aux32,
                 uint64_t aux64) {
  coding::EncodeFixed64(p + kPageIdOffset, id.value());
  p[kTypeOffset] = static_cast<char>(type);
  p[kLevelOffset] = static_cast<char>(level);
  coding::EncodeFixed16(p + kCountOffset, count);
  coding::EncodeFixed32(p + kAux32Offset, aux32);
  coding::EncodeFixed64(p + kAux64Offset, aux64);
}

void SealPage(char* page, uint32_t page_size) {
  coding::EncodeFixed64(page + kChecksumOffset,
                        Checksum64(page + kPageIdOffset, page_size - kPageIdOffset));
}

Status VerifyPage(const char* page, uint32_t page_size, PageId expected_id, PageType expected_type,
                  const std::string& file) {
  PageHeader h = ReadHeader(page);
  uint64_t computed = Checksum64(page + kPageIdOffset, page_size - kPageIdOffset);
  std::string where = file + ": page " + expected_id.ToString();
  if (h.checksum != computed) {
    return Status::Corruption(where + ": checksum mismatch (stored " + std::to_string(h.checksum) +
                              ", computed " + std::to_string(computed) + ")");
  }
  if (h.id != expected_id) {
    return Status::Corruption(where + ": page claims to be page " + h.id.ToString() +
                              " (misplaced or stale write)");
  }
  if (!PageTypeMatches(h.type, expected_type)) {
    return Status::Corruption(where + ": expected a " + PageTypeName(expected_type) + " page, found type " +
                              std::to_string(static_cast<int>(h.type)) + " (" + PageTypeName(h.type) + ")");
  }
  return Status::OK();
}

}  // namespace ormdb::btree
