// The page: the unit of the data file. Every page, of every type, starts with
// the same 32-byte header, so any page read from disk can be checked (its
// checksum, its own page number, its type) before a byte of it is trusted.
// Byte layouts are documented in docs/file-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "util/coding.h"
#include "util/status.h"
#include "util/strong_id.h"

namespace ormdb::btree {

using PageId = StrongId<struct PageIdTag>;
// The tree's commit counter: each committed batch makes a new generation.
using Generation = StrongId<struct GenerationTag>;

constexpr PageId kNoPage{0};  // page 0 is a meta page, so 0 never names a node
constexpr PageId kMetaPage0{0};
constexpr PageId kMetaPage1{1};
constexpr uint64_t kFirstDataPage = 2;

constexpr uint32_t kMinPageSizeBytes = 512;
constexpr uint32_t kMaxPageSizeBytes = 65536;
constexpr uint32_t kDefaultPageSizeBytes = 4096;

enum class PageType : uint8_t {
  kMeta = 1,
  kBranch = 2,
  kLeaf = 3,
  kOverflow = 4,
  kFreeList = 5,
};
const char* PageTypeName(PageType type);
// Not a type on disk: asks a reader to accept either node type (a root).
constexpr PageType kAnyNode = static_cast<PageType>(0xFE);
inline bool PageTypeMatches(PageType actual, PageType expected) {
  return actual == expected ||
         (expected == kAnyNode && (actual == PageType::kLeaf || actual == PageType::kBranch));
}

// Common header offsets.
constexpr size_t kChecksumOffset = 0;   // u64 XXH3-64 of bytes [8, page size)
constexpr size_t kPageIdOffset = 8;     // u64 this page's own number
constexpr size_t kTypeOffset = 16;      // u8 PageType
constexpr size_t kLevelOffset = 17;     // u8 nodes: 0 for a leaf, height for a branch
constexpr size_t kCountOffset = 18;     // u16 entries in the page
constexpr size_t kAux32Offset = 20;     // u32 nodes: prefix length; overflow/free list: payload bytes
constexpr size_t kAux64Offset = 24;     // u64 branch: leftmost child; overflow/free list: next page
constexpr size_t kPageHeaderBytes = 32;

// A page's bytes, immutable once sealed and shared by every reader that holds
// it (the cache, cursors, snapshots). Aligned for O_DIRECT.
using PageRef = std::shared_ptr<const char>;
using MutablePage = std::shared_ptr<char>;
MutablePage AllocatePage(uint32_t page_size);

struct PageHeader {
  uint64_t checksum;
  PageId id;
  PageType type;
  uint8_t level;
  uint16_t count;
  uint32_t aux32;
  uint64_t aux64;
};

inline PageHeader ReadHeader(const char* p) {
  return PageHeader{coding::DecodeFixed64(p + kChecksumOffset),
                    PageId(coding::DecodeFixed64(p + kPageIdOffset)),
                    static_cast<PageType>(static_cast<uint8_t>(p[kTypeOffset])),
                    static_cast<uint8_t>(p[kLevelOffset]),
                    coding::DecodeFixed16(p + kCountOffset),
                    coding::DecodeFixed32(p + kAux32Offset),
                    coding::DecodeFixed64(p + kAux64Offset)};
}

// Writes the header fields (not the checksum, which SealPage sets last).
void WriteHeader(char* p, PageId id, PageType type, uint8_t level, uint16_t count, uint32_t aux32,
                 uint64_t aux64);

// Computes and stores the checksum; done right before the page is written.
void SealPage(char* page, uint32_t page_size);

// Checks checksum, page number and type. `file` names the file in the error.
Status VerifyPage(const char* page, uint32_t page_size, PageId expected_id, PageType expected_type,
                  const std::string& file);

}  // namespace ormdb::btree
