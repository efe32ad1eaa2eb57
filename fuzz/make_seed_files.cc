// Writes seed inputs for open_file_fuzzer: small, valid data files with
// 512-byte pages, each behind the fuzzer's flag byte. They are generated
// rather than committed so they always match the current file format.
//
//   make_seed_files <corpus dir>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "btree/tree.h"

namespace ormdb::btree {
namespace {

constexpr uint32_t kPageSizeBytes = 512;

[[noreturn]] void Die(const std::string& what, const Status& st) {
  std::fprintf(stderr, "make_seed_files: %s: %s\n", what.c_str(), st.ToString().c_str());
  std::exit(1);
}

void Must(const Status& st, const std::string& what) {
  if (!st.ok()) Die(what, st);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Builds a data file with `fill`, then writes it to the corpus twice: as is
// (flag 0) and with re-sealing and the smallest cache (flag 5).
void Emit(const std::string& scratch, const std::string& out_dir, const std::string& name,
          const std::function<void(Tree&)>& fill) {
  std::filesystem::remove(scratch);
  {
    TreeOptions opts;
    opts.page_size = kPageSizeBytes;
    opts.sync = false;
    opts.direct_io = false;
    auto tree = Tree::Open(scratch, opts);
    if (!tree.ok()) Die("creating " + name, tree.status());
    fill(**tree);
  }
  std::string bytes = ReadWholeFile(scratch);
  for (char flag : {'\x00', '\x05'}) {
    std::string path = out_dir + "/" + name + (flag == 0 ? "" : "-resealed");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.put(flag);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_seed_files: cannot write %s\n", path.c_str());
      std::exit(1);
    }
  }
}

void Commit(Tree& tree, const std::function<void(WriteTxn&)>& writes) {
  auto txn = tree.BeginWrite();
  writes(*txn);
  Must(txn->Commit(), "commit");
}

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%04d", i);
  return buf;
}

}  // namespace
}  // namespace ormdb::btree

int main(int argc, char** argv) {
  using namespace ormdb::btree;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::string out_dir = argv[1];
  std::filesystem::create_directories(out_dir);
  const std::string scratch = out_dir + "/.seed-scratch.odb";

  // Two meta pages and nothing else.
  Emit(scratch, out_dir, "empty", [](Tree&) {});
  // One leaf: short values and one that lives in an overflow chain.
  Emit(scratch, out_dir, "one-leaf", [](Tree& t) {
    Commit(t, [](WriteTxn& w) {
      for (int i = 0; i < 6; ++i) Must(w.Put(Key(i), "v" + std::to_string(i)), "put");
      Must(w.Put("long", std::string(700, 'L')), "put");
    });
  });
  // A branch over a few leaves, after deletes that left a free list, with
  // both meta slots holding a generation.
  Emit(scratch, out_dir, "branch", [](Tree& t) {
    Commit(t, [](WriteTxn& w) {
      for (int i = 0; i < 60; ++i) Must(w.Put(Key(i), std::string(i % 7, 'x')), "put");
    });
    Commit(t, [](WriteTxn& w) {
      for (int i = 0; i < 60; i += 3) Must(w.Delete(Key(i)), "delete");
      Must(w.Put("overflow", std::string(1100, 'O')), "put");
    });
  });
  std::filesystem::remove(scratch);
  return 0;
}
