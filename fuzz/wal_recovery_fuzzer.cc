// Recovery over arbitrary log bytes never crashes: the input becomes the log
// of a fresh store, and opening the store replays it. Every problem must come
// back as a Status.
//
// Input: a mode byte, then
//   mode even: raw record bytes after a valid segment header (reaches the
//              reader's torn-tail / corruption decisions);
//   mode odd:  chunks [u8 kind][u16 length][bytes...], each sealed into a
//              valid record (reaches write-set decoding and the apply path).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/scratch_dir.h"
#include "mvcc/store.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

using namespace ormdb;

namespace {

struct Pristine {
  std::string dir;
  std::string tree_bytes;
  uint64_t database_id = 0;
};

const Pristine& Setup() {
  static Pristine p = [] {
    Pristine out;
    out.dir = fuzz::ScratchDir("wal-recovery");
    mvcc::StoreOptions o;
    o.tree.direct_io = false;
    o.tree.sync = false;
    o.log.sync = false;
    o.background_checkpoints = false;
    {
      auto s = mvcc::Store::Open(out.dir + "/seed", o);
      if (!s.ok()) std::abort();
      out.database_id = (*s)->tree().pager().meta().database_id;
    }
    std::ifstream f(out.dir + "/seed/tree.odb", std::ios::binary);
    out.tree_bytes.assign(std::istreambuf_iterator<char>(f), {});
    return out;
  }();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Pristine& p = Setup();
  if (size == 0) return 0;
  const std::string dir = p.dir + "/case";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/wal");
  std::ofstream(dir + "/tree.odb", std::ios::binary) << p.tree_bytes;

  std::string seg = wal::EncodeSegmentHeader(wal::SegmentHeader{p.database_id, wal::Lsn(0)});
  const uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode % 2 == 0) {
    seg.append(in);
  } else {
    uint64_t version = 1;
    while (in.size() >= 3) {
      uint8_t kind = static_cast<uint8_t>(in[0]);
      size_t len = static_cast<uint8_t>(in[1]) | (static_cast<size_t>(static_cast<uint8_t>(in[2])) << 8);
      in.remove_prefix(3);
      len = std::min(len, in.size());
      // Mostly increasing versions; sometimes a repeat, to reach that check.
      version += (kind & 0x80) ? 0 : 1;
      wal::EncodeRecord(p.database_id, wal::Lsn(seg.size() - wal::kSegmentHeaderBytes), wal::RecordType::kCommit,
                        version, in.substr(0, len), &seg);
      in.remove_prefix(len);
    }
  }
  std::ofstream(dir + "/wal/" + wal::SegmentFileName(wal::Lsn(0)), std::ios::binary) << seg;

  mvcc::StoreOptions o;
  o.tree.direct_io = false;
  o.tree.sync = false;
  o.log.sync = false;
  o.background_checkpoints = false;
  auto store = mvcc::Store::Open(dir, o);
  if (store.ok()) {
    auto r = (*store)->BeginRead();
    auto c = r->NewCursor();
    for (c->SeekToFirst(); c->Valid(); c->Next()) {
    }
    // The store keeps working after whatever recovery found.
    auto t = (*store)->BeginWrite();
    (void)t->Put("after-recovery", "ok");
    (void)t->Commit();
  }
  return 0;
}
