// The ormdb command: the server (serve), its clients (shell, import,
// export), its users (user), and the commands that work on a data
// directory directly: inspect and check it, plan and apply schema
// migrations, run requests, and read or write raw keys of the keyspace.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "btree/check.h"
#include "engine/database.h"
#include "tools/commands.h"
#include "tools/target.h"
#include "util/file.h"
#include "util/json.h"

namespace ormdb::tools {

int Fail(const Status& st) {
  std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
  return 1;
}

std::unique_ptr<engine::Database> OpenOrExit(const std::string& dir, const engine::DatabaseOptions& options) {
  Status st = ormdb::CreateDirectories(dir);
  if (!st.ok()) std::exit(Fail(st));
  auto db = engine::Database::Open(dir, options);
  if (!db.ok()) std::exit(Fail(db.status().Annotate("opening " + dir)));
  return std::move(db).value();
}

std::string ReadFileOrExit(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) std::exit(Fail(Status::FromErrno(errno, std::string("reading ") + what + " " + path)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ormdb::tools

namespace {

using ormdb::Status;
using ormdb::tools::Fail;
using ormdb::tools::OpenOrExit;
using ormdb::tools::ReadFileOrExit;

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
  ormdb::tools::Global global;
  std::string& data_dir = global.data_dir;
  app.add_option("--data", data_dir, "data directory")->capture_default_str();
  // ormdb --config ormdb.toml serve: top-level keys (data = "...") and one
  // section per command ([serve] port = 7601).
  app.set_config("--config", "", "read options from a TOML or INI file: data = ... and a [serve] section");
  std::vector<ormdb::tools::Runner> runners = {
      ormdb::tools::AddServe(app, global), ormdb::tools::AddShell(app, global),
      ormdb::tools::AddImport(app, global), ormdb::tools::AddExport(app, global),
      ormdb::tools::AddUser(app, global), ormdb::tools::AddWatch(app, global)};

  auto* info = app.add_subcommand("info", "open (creating if needed) the data directory and describe it");
  auto* check = app.add_subcommand("check", "verify every page, the key order and the free space accounting");
  auto* show_schema = app.add_subcommand("schema", "print the stored schema and its version");

  auto* migrate = app.add_subcommand("migrate", "plan or apply a change of schema");
  migrate->require_subcommand(1);
  std::string schema_file;
  bool allow_destructive = false, yes = false;
  auto* plan = migrate->add_subcommand("plan", "print the steps from the stored schema to FILE, graded A-D");
  plan->add_option("--schema", schema_file, "schema.prisma file")->required()->check(CLI::ExistingFile);
  auto* apply = migrate->add_subcommand("apply", "run the migration to FILE");
  apply->add_option("--schema", schema_file, "schema.prisma file")->required()->check(CLI::ExistingFile);
  apply->add_flag("--allow-destructive", allow_destructive, "run grade D steps (they destroy data)");
  apply->add_flag("--yes,-y", yes, "do not print the plan first");
  ormdb::tools::ConnectArgs migrate_connect;
  migrate_connect.Register(plan);
  migrate_connect.Register(apply);

  std::string key, value;
  auto* put = app.add_subcommand("put", "write one raw key of the keyspace (committed durably)");
  put->add_option("key", key)->required();
  put->add_option("value", value)->required();
  auto* get = app.add_subcommand("get", "read one raw key");
  get->add_option("key", key)->required();
  auto* del = app.add_subcommand("delete", "delete one raw key");
  del->add_option("key", key)->required();
  size_t limit = 20;
  std::string from;
  auto* query = app.add_subcommand("query", "run requests (docs/query.md) and print their answers as JSON");
  std::vector<std::string> requests;
  bool explain = false;
  query->add_option("request", requests, "JSON requests; none: one per line from standard input");
  query->add_flag("--explain", explain, "print each request's plan, rows and pages per level");
  auto* scan = app.add_subcommand("scan", "list raw keys in order");
  scan->add_option("--from", from, "first key");
  scan->add_option("--limit", limit, "at most this many")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  for (const auto& run : runners) {
    if (int rc = run(); rc >= 0) return rc;
  }
  if (migrate->parsed() && !migrate_connect.connect.empty()) {
    // On a running server: the same plan, graded there, and applied there.
    auto target = ormdb::tools::Target::Open(migrate_connect, global);
    if (!target.ok()) return Fail(target.status());
    std::string text = ReadFileOrExit(schema_file, "schema file");
    auto r = (*target)->Migrate(schema_file, text, apply->parsed(), allow_destructive);
    if (!r.ok()) return Fail(r.status());
    std::printf("%s\n", r->c_str());
    return 0;
  }

  auto db = OpenOrExit(data_dir);
  ormdb::mvcc::Store& store = db->store();
  if (info->parsed()) {
    auto catalog = db->catalog();
    auto& pager = store.tree().pager();
    auto meta = pager.meta();
    std::printf("ormDB %s\n", ORMDB_VERSION);
    std::printf("data directory  %s (data file tree.odb, log wal/)\n", data_dir.c_str());
    std::printf("page size       %u bytes (%s)\n", pager.page_size(), pager.direct_io() ? "O_DIRECT" : "buffered");
    std::printf("I/O             %s\n", ormdb::IoUringAvailable() ? "io_uring" : "pread/pwrite");
    std::printf("commit version  %s\n", store.last_committed().ToString().c_str());
    std::printf("keys            %llu in %llu pages\n", static_cast<unsigned long long>(meta.entries),
                static_cast<unsigned long long>(meta.page_count));
    std::printf("schema version  %u%s\n", catalog->version(),
                catalog->version() == 0 ? " (none yet: ormdb migrate apply --schema schema.prisma)" : "");
    for (const auto& m : catalog->models()) {
      std::printf("  model %-20s %zu fields, %zu indexes%s\n", m.name().c_str(), m.fields.size(), m.indexes.size(),
                  m.cluster ? (", stored under " + catalog->models()[m.cluster->parent].name()).c_str() : "");
    }
    return 0;
  }
  if (check->parsed()) {
    auto report = ormdb::btree::CheckIntegrity(store.tree());
    if (!report.ok()) return Fail(report.status());
    std::printf("ok: %s\n", report->ToString().c_str());
    return 0;
  }
  if (show_schema->parsed()) {
    auto catalog = db->catalog();
    if (catalog->version() == 0) {
      std::printf("// no schema yet\n");
      return 0;
    }
    std::printf("// schema version %u, from %s\n%s", catalog->version(), catalog->file_name().c_str(),
                catalog->text().c_str());
    return 0;
  }
  if (plan->parsed() || apply->parsed()) {
    std::string text = ReadFileOrExit(schema_file, "schema file");
    auto p = db->PlanMigration(schema_file, text);
    if (!p.ok()) return Fail(p.status());
    if (p->steps.empty()) {
      std::printf("The stored schema (version %u) already matches %s: nothing to do.\n", db->catalog()->version(),
                  schema_file.c_str());
      return 0;
    }
    if (plan->parsed() || !yes) std::printf("%s\n", ormdb::schema::FormatPlan(*p).c_str());
    if (plan->parsed()) return 0;
    ormdb::engine::MigrateOptions o;
    o.allow_destructive = allow_destructive;
    const char* user = std::getenv("USER");
    o.who = user != nullptr ? user : "uid " + std::to_string(::getuid());
    o.progress = [](const std::string& what, uint64_t rows) {
      std::fprintf(stderr, "\r%s: %llu rows", what.c_str(), static_cast<unsigned long long>(rows));
      std::fflush(stderr);
    };
    auto r = db->Migrate(schema_file, text, o);
    std::fprintf(stderr, "\n");
    if (!r.ok()) return Fail(r.status());
    for (const std::string& f : r->failed) std::printf("rolled back: %s\n", f.c_str());
    std::printf("schema version %u is current.\n", r->version);
    return r->failed.empty() ? 0 : 2;
  }
  if (query->parsed()) {
    // Each request runs in its own transaction; a failed one is reported
    // and the next one still runs.
    int rc = 0;
    auto run = [&](const std::string& text) {
      if (text.find_first_not_of(" \t\r") == std::string::npos) return;
      std::string request = text;
      if (explain) {
        auto v = ormdb::json::Parse(text);
        if (v.ok() && v->is_object()) {
          v->Set("explain", ormdb::json::Value::Bool(true));
          request = v->ToString();
        }
      }
      auto r = db->Execute(request);
      if (!r.ok()) {
        rc = Fail(r.status());
        return;
      }
      if (explain) std::printf("%s", r->explain.c_str());
      std::printf("%s\n", ormdb::query::ToJson(*r).c_str());
    };
    if (requests.empty()) {
      std::string line;
      while (std::getline(std::cin, line)) run(line);
    }
    for (const std::string& text : requests) run(text);
    return rc;
  }
  if (put->parsed() || del->parsed()) {
    auto txn = store.BeginWrite();
    Status st = put->parsed() ? txn->Put(key, value) : txn->Delete(key);
    if (!st.ok()) return Fail(st);
    auto v = txn->Commit();
    if (!v.ok()) return Fail(v.status());
    std::printf("committed version %s\n", v->ToString().c_str());
    return 0;
  }
  auto read = store.BeginRead();
  if (get->parsed()) {
    std::string v;
    Status st = read->Get(key, &v);
    if (!st.ok()) return Fail(st);
    std::printf("%s\n", Printable(v).c_str());
    return 0;
  }
  auto c = read->NewCursor();
  size_t n = 0;
  for (c->Seek(from); c->Valid() && n < limit; c->Next(), ++n) {
    std::printf("%s\t%s\n", Printable(c->key()).c_str(), Printable(c->value()).c_str());
  }
  if (!c->status().ok()) return Fail(c->status());
  return 0;
}
