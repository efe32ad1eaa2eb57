#include "btree/page.h"

#include <cstdlib>
#include <new>

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

MutablePage AllocatePage(uint32_t page_size) {
  void* p = std::aligned_alloc(File::kDirectIoAlignment, page_size < File::kDirectIoAlignment
                                                             ? File::kDirectIoAlignment
                                                             : page_size);
  if (p == nullptr) throw std::bad_alloc();
  return MutablePage(static_cast<char*>(p), [](char* q) { std::free(q); });
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
