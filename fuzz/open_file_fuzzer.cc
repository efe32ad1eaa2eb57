// Opens arbitrary bytes as a data file. Whatever the bytes, opening, the
// integrity check, cursor scans, point reads, a small write transaction and
// a publish followed by a checkpoint must either work or return a non-OK
// Status: this target fails only by crashing, hanging or a sanitizer report.
//
// Input layout: one flag byte, then the file's bytes.
//   bit 0  re-seal the pages before opening: recompute each page's checksum,
//          so mutations get past checksum verification to the meta, free-list
//          and node decoders (most inputs would otherwise stop there)
//   bit 1  re-seal with the page size the first meta page records (when it
//          is a valid size) rather than 512 bytes
//   bit 2  the smallest page cache, so pages are evicted and read again
//   bit 3  after the writes, reopen the file and check it again
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/scratch_dir.h"
#include "btree/check.h"
#include "btree/tree.h"
#include "util/coding.h"

namespace ormdb::btree {
namespace {

constexpr uint32_t kSealPageSizeBytes = 512;
constexpr size_t kMetaPageSizeOffset = 44;  // u32 page size in a meta page (docs/file-format.md)
// A corrupt file can hold a branch whose children repeat a subtree, which
// makes a scan's length exponential in the depth; scans stop after this.
constexpr int kMaxScanSteps = 4096;
constexpr size_t kMaxSampledKeys = 16;

// The data file, in this process's scratch directory.
const std::string& DataPath() {
  static const std::string path = ormdb::fuzz::ScratchDir("open-file") + "/tree.odb";
  return path;
}

bool WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

void Reseal(std::string* file, bool recorded_size) {
  uint32_t ps = kSealPageSizeBytes;
  if (recorded_size && file->size() >= kMetaPageSizeOffset + 4) {
    uint32_t r = coding::DecodeFixed32(file->data() + kMetaPageSizeOffset);
    if (r >= kMinPageSizeBytes && r <= kMaxPageSizeBytes && (r & (r - 1)) == 0) ps = r;
  }
  for (size_t off = 0; off + ps <= file->size(); off += ps) SealPage(file->data() + off, ps);
}

// Reads the whole tree through a cursor in one direction; keeps a few keys
// for point reads and deletes.
void Scan(const std::unique_ptr<Cursor>& c, bool forward, std::vector<std::string>* keys) {
  if (forward) {
    c->SeekToFirst();
  } else {
    c->SeekToLast();
  }
  for (int i = 0; i < kMaxScanSteps && c->Valid(); ++i) {
    if (keys != nullptr && keys->size() < kMaxSampledKeys) keys->emplace_back(c->key());
    // Touch every value byte, so a bad view into a page shows up under ASan.
    volatile char sink = 0;
    for (char ch : c->value()) sink = static_cast<char>(sink ^ ch);
    if (forward) {
      c->Next();
    } else {
      c->Prev();
    }
  }
}

// OPEN_FILE_TRACE=1 prints what opening and checking each input gave.
const bool kTrace = std::getenv("OPEN_FILE_TRACE") != nullptr;

void Exercise(Tree& tree) {
  auto report = CheckIntegrity(tree);
  if (kTrace) {
    std::fprintf(stderr, "open_file_fuzzer: check: %s\n",
                 report.ok() ? report->ToString().c_str() : report.status().ToString().c_str());
  }

  std::vector<std::string> keys = {"", "a", "key", std::string(8, '\xff')};
  {
    Snapshot snap = tree.GetSnapshot();
    Scan(snap.NewCursor(), true, &keys);
    Scan(snap.NewCursor(), false, &keys);
    std::string value;
    for (const std::string& k : keys) (void)snap.Get(k, &value);
    // Bounded cursors positioned by keys the file holds.
    CursorOptions o;
    o.lower_bound = keys[keys.size() / 2];
    o.upper_bound = keys.back();
    Scan(snap.NewCursor(o), true, nullptr);
    Scan(snap.NewCursor(o), false, nullptr);
    auto c = snap.NewCursor();
    c->Seek(keys.back());
    c->SeekForPrev(keys.back());
    c->Prev();
  }

  // A small write transaction: an insert, an overwrite, a value long enough
  // for overflow pages, deletes of keys the file holds, reads of its own
  // writes, then commit.
  {
    std::unique_ptr<WriteTxn> txn = tree.BeginWrite();
    const size_t max_key = tree.limits().max_key_bytes;
    std::string value;
    (void)txn->Put("fuzz", "value");
    for (size_t i = 4; i < keys.size() && i < 8; ++i) (void)txn->Put(keys[i].substr(0, max_key), "overwritten");
    (void)txn->Put("fuzz-long", std::string(3 * tree.limits().page_size, 'v'));
    for (size_t i = 8; i < keys.size(); ++i) (void)txn->Delete(keys[i]);
    (void)txn->Get("fuzz", &value);
    Scan(txn->NewCursor(), true, nullptr);
    (void)txn->Delete("a");
    (void)txn->Commit();
  }
  // A state published to readers only, then written by a checkpoint.
  {
    std::unique_ptr<WriteTxn> txn = tree.BeginWrite();
    (void)txn->Put("published", "p");
    if (keys.size() > 5) (void)txn->Delete(keys[5]);
    (void)txn->Publish();
  }
  (void)tree.Checkpoint();
  (void)CheckIntegrity(tree);
  Scan(tree.GetSnapshot().NewCursor(), false, nullptr);
}

}  // namespace
}  // namespace ormdb::btree

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ormdb::btree;
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string file(reinterpret_cast<const char*>(data + 1), size - 1);
  if (flags & 1) Reseal(&file, (flags & 2) != 0);

  const std::string& path = DataPath();
  if (!WriteWholeFile(path, file)) {
    std::perror("open_file_fuzzer: writing the data file");
    std::abort();
  }
  TreeOptions opts;
  opts.page_size = kSealPageSizeBytes;
  opts.cache_bytes = (flags & 4) ? 0 : size_t{1} << 20;
  opts.sync = false;
  opts.direct_io = false;
  opts.create_if_missing = false;  // an empty input is refused, not made a new file
  {
    auto tree = Tree::Open(path, opts);
    if (kTrace) std::fprintf(stderr, "open_file_fuzzer: open: %s\n", tree.status().ToString().c_str());
    if (tree.ok()) Exercise(**tree);
  }
  if (flags & 8) {
    auto tree = Tree::Open(path, opts);
    if (tree.ok()) {
      (void)CheckIntegrity(**tree);
      Scan((*tree)->GetSnapshot().NewCursor(), true, nullptr);
    }
  }
  ::unlink(path.c_str());
  return 0;
}
