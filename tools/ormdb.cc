// The ormdb command. Until the server lands it works on a data directory
// directly: inspect it, check it, and read or write keys of the tree.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "btree/check.h"
#include "btree/tree.h"
#include "util/file.h"

namespace {

using ormdb::Status;
using ormdb::btree::Tree;

constexpr const char* kDataFileName = "tree.odb";

int Fail(const Status& st) {
  std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
  return 1;
}

std::unique_ptr<Tree> OpenOrExit(const std::string& dir, bool create) {
  if (create) {
    Status st = ormdb::CreateDirectories(dir);
    if (!st.ok()) std::exit(Fail(st));
  }
  ormdb::btree::TreeOptions opts;
  opts.create_if_missing = create;
  auto tree = Tree::Open(dir + "/" + kDataFileName, opts);
  if (!tree.ok()) std::exit(Fail(tree.status()));
  return std::move(tree).value();
}

// Prints bytes as text when printable, else as \xNN escapes.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ormDB: a database whose native language is the ORM's graph fetch"};
  app.set_version_flag("--version", std::string("ormdb ") + ORMDB_VERSION);
  app.require_subcommand(1);
  std::string data_dir = "./data";
  app.add_option("--data", data_dir, "data directory")->capture_default_str();

  auto* info = app.add_subcommand("info", "open (creating if needed) the data directory and describe it");
  auto* check = app.add_subcommand("check", "verify every page, the key order and the free space accounting");
  std::string key, value;
  auto* put = app.add_subcommand("put", "write one key (committed durably)");
  put->add_option("key", key)->required();
  put->add_option("value", value)->required();
  auto* get = app.add_subcommand("get", "read one key");
  get->add_option("key", key)->required();
  auto* del = app.add_subcommand("delete", "delete one key");
  del->add_option("key", key)->required();
  size_t limit = 20;
  std::string from;
  auto* scan = app.add_subcommand("scan", "list keys in order");
  scan->add_option("--from", from, "first key");
  scan->add_option("--limit", limit, "at most this many")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (info->parsed()) {
    auto tree = OpenOrExit(data_dir, true);
    auto meta = tree->pager().meta();
    std::printf("ormDB %s\n", ORMDB_VERSION);
    std::printf("data file     %s/%s\n", data_dir.c_str(), kDataFileName);
    std::printf("page size     %u bytes (%s)\n", tree->pager().page_size(),
                tree->pager().direct_io() ? "O_DIRECT" : "buffered");
    std::printf("I/O           %s\n", ormdb::IoUringAvailable() ? "io_uring" : "pread/pwrite");
    std::printf("generation    %s\n", meta.generation.ToString().c_str());
    std::printf("entries       %llu\n", static_cast<unsigned long long>(meta.entries));
    std::printf("pages         %llu\n", static_cast<unsigned long long>(meta.page_count));
    std::printf("\nThe server and its protocol are not built yet; use `ormdb put|get|scan|check --data %s`.\n",
                data_dir.c_str());
    return 0;
  }
  auto tree = OpenOrExit(data_dir, put->parsed());
  if (check->parsed()) {
    auto report = ormdb::btree::CheckIntegrity(*tree);
    if (!report.ok()) return Fail(report.status());
    std::printf("ok: %s\n", report->ToString().c_str());
    return 0;
  }
  if (put->parsed() || del->parsed()) {
    auto txn = tree->BeginWrite();
    Status st = put->parsed() ? txn->Put(key, value) : txn->Delete(key);
    if (st.ok()) st = txn->Commit();
    if (!st.ok()) return Fail(st);
    std::printf("committed generation %s\n", txn->committed_generation().ToString().c_str());
    return 0;
  }
  auto snap = tree->GetSnapshot();
  if (get->parsed()) {
    std::string v;
    Status st = snap.Get(key, &v);
    if (!st.ok()) return Fail(st);
    std::printf("%s\n", Printable(v).c_str());
    return 0;
  }
  auto c = snap.NewCursor();
  size_t n = 0;
  for (c->Seek(from); c->Valid() && n < limit; c->Next(), ++n) {
    std::printf("%s\t%s\n", Printable(c->key()).c_str(), Printable(c->value()).c_str());
  }
  if (!c->status().ok()) return Fail(c->status());
  return 0;
}
