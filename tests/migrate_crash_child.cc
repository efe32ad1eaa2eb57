// The process the migration crash test kills. It loads rows, then runs
// migrations while a writer thread keeps inserting, and reports on stdout
// (one line per write(2), so a line is never torn by the kill) what has
// been acknowledged, so the parent knows what must survive a SIGKILL:
//
//   batch <b>          load batch b (users [b*kLoadBatch, (b+1)*kLoadBatch)
//                      and their posts) committed
//   loaded             every load batch is in
//   migrated <ver>     Migrate returned; <ver> is the schema version now current
//   row <id> <ver>     the writer committed user <id> (and its posts and tag)
//                      in a transaction of schema version <ver>
//   done               the scenario ran to its end (the process then exits 0)
//
//   migrate_crash_child load <dir> <schema dir> <users>
//       migrates to v1 if the database is empty, then loads the batches not
//       yet in (after a kill, it continues where the last run stopped)
//   migrate_crash_child migrate <dir> <schema dir> <writer first id> <2|3>
//       with the writer running: v1 -> v2 if the schema is v1, then (target
//       3) v2 -> v3; the writer's ids are <writer first id>, +1, ...
//   migrate_crash_child die-at <dir> <schema dir> <2|3> <text>
//       migrates to the target (destructive steps allowed), no writer, and
//       SIGKILLs itself the first time a progress report contains <text>
//
// The schemas are <schema dir>/v1.prisma, v2.prisma, v3.prisma (written by
// the test). Row values are a function of the id: UserFields, PostsOf,
// PostFields and the tag's label here and in migrate_crash_test.cc must
// agree.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "engine/database.h"

using namespace ormdb;
using namespace ormdb::engine;
using schema::Value;

namespace {

constexpr int kLoadBatch = 500;         // users per load transaction
constexpr size_t kBuildBatchRows = 25;  // rows per transaction of an index build or a drop: many of them

Fields UserFields(int32_t id, bool with_nick) {
  Fields f{{"id", Value::Int32(id)},
           {"email", Value::String("u" + std::to_string(id) + "@x")},
           {"name", id % 3 == 0 ? Value::Null() : Value::String("n" + std::to_string(id))},
           {"score", Value::Int32(id % 97)}};
  if (with_nick) f["nick"] = Value::String("k" + std::to_string(id));
  return f;
}

// Posts are sparse: dropping the clustered Post model (v3) deletes them one
// transaction per row.
int PostsOf(int32_t id) { return id % 100 == 7 ? 2 : 0; }

Fields PostFields(int32_t user, int k) {
  return {{"id", Value::Int32(user * 2 + k)},
          {"title", Value::String("t" + std::to_string(user) + "-" + std::to_string(k))},
          {"authorId", Value::Int32(user)}};
}

void Say(const std::string& line) {
  std::string l = line + "\n";
  if (write(STDOUT_FILENO, l.data(), l.size()) != static_cast<ssize_t>(l.size())) _exit(3);
}

[[noreturn]] void Die(const std::string& what, const Status& st) {
  std::fprintf(stderr, "migrate_crash_child: %s: %s\n", what.c_str(), st.ToString().c_str());
  _exit(2);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Die("reading " + path, Status::NotFound(path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Schemas {
  std::string v[4];  // v[1..3]
  explicit Schemas(const std::string& dir) {
    for (int i = 1; i <= 3; ++i) v[i] = ReadFile(dir + "/v" + std::to_string(i) + ".prisma");
  }
};

std::unique_ptr<Database> OpenDatabase(const std::string& dir) {
  DatabaseOptions o;  // log sync and direct I/O on, as in production
  // Frequent checkpoints, so kills also land inside checkpoints and log recycling.
  o.store.checkpoint_log_bytes = 256 << 10;
  o.store.checkpoint_interval_ms = 50;
  auto db = Database::Open(dir, o);
  if (!db.ok()) Die("open " + dir, db.status());
  return std::move(db).value();
}

void MigrateTo(Database& db, const Schemas& s, int target, const MigrateOptions& options) {
  auto r = db.Migrate("schema.prisma", s.v[target], options);
  if (!r.ok()) Die("migrate to v" + std::to_string(target), r.status());
  if (!r->failed.empty()) Die("migrate to v" + std::to_string(target), Status::Internal(r->failed[0]));
  Say("migrated " + std::to_string(r->version));
}

int RunLoad(const std::string& dir, const Schemas& s, int users) {
  auto db = OpenDatabase(dir);
  if (db->catalog()->version() == 0) MigrateTo(*db, s, 1, {});
  for (int b = 0; b * kLoadBatch < users; ++b) {
    auto t = db->Begin();
    auto have = t->FindUnique("User", {{"id", Value::Int32(b * kLoadBatch)}});
    if (!have.ok()) Die("find", have.status());
    if (*have) continue;  // batches commit in order, each whole
    for (int32_t id = b * kLoadBatch; id < std::min((b + 1) * kLoadBatch, users); ++id) {
      Status st = t->Insert("User", UserFields(id, false)).status();
      for (int k = 0; k < PostsOf(id) && st.ok(); ++k) st = t->Insert("Post", PostFields(id, k)).status();
      if (!st.ok()) Die("load", st);
    }
    auto c = t->Commit();
    if (!c.ok()) Die("load commit", c.status());
    Say("batch " + std::to_string(b));
  }
  Say("loaded");
  return 0;
}

// Inserts users <first>, <first>+1, ... each in its own transaction, with
// whatever the schema of that transaction has: posts while Post exists, a
// tag and a nick once v2 added them. A transaction that a schema switch
// fails (Conflict) is retried with the same id under the new schema.
void WriteRows(Database& db, int32_t first, const std::atomic<bool>& stop) {
  for (int32_t id = first; !stop.load();) {
    auto t = db.Begin();
    const Catalog& c = t->catalog();
    const ModelInfo* user = c.FindModel("User");
    Status st = t->Insert("User", UserFields(id, user->FindField("nick").has_value())).status();
    if (c.FindModel("Post") != nullptr) {
      for (int k = 0; k < PostsOf(id) && st.ok(); ++k) st = t->Insert("Post", PostFields(id, k)).status();
    }
    if (st.ok() && c.FindModel("Tag") != nullptr) {
      st = t->Insert("Tag", {{"id", Value::Int32(id)}, {"label", Value::String("l" + std::to_string(id))}}).status();
    }
    const uint32_t version = c.version();
    if (st.ok()) st = t->Commit().status();
    if (st.IsConflict()) continue;
    if (!st.ok()) Die("writer, user " + std::to_string(id), st);
    Say("row " + std::to_string(id) + " " + std::to_string(version));
    ++id;
    // Leaves the log's syncs to the migration now and then.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
}

int RunMigrate(const std::string& dir, const Schemas& s, int32_t writer_first, int target) {
  auto db = OpenDatabase(dir);
  std::atomic<bool> stop{false};
  std::thread writer([&] { WriteRows(*db, writer_first, stop); });
  MigrateOptions o;
  o.batch_rows = kBuildBatchRows;
  o.who = "migrate_crash_child";
  if (db->catalog()->text() == s.v[1]) MigrateTo(*db, s, 2, o);
  if (target == 3 && db->catalog()->text() == s.v[2]) {
    o.allow_destructive = true;
    MigrateTo(*db, s, 3, o);
  }
  // A little more writing under the final schema.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  writer.join();
  Say("done");
  return 0;
}

int RunDieAt(const std::string& dir, const Schemas& s, int target, const std::string& text) {
  auto db = OpenDatabase(dir);
  MigrateOptions o;
  o.batch_rows = kBuildBatchRows;
  o.allow_destructive = true;
  o.progress = [&](const std::string& what, uint64_t) {
    if (what.find(text) != std::string::npos) raise(SIGKILL);
  };
  MigrateTo(*db, s, target, o);
  Say("done");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (argc == 5 && mode == "load") return RunLoad(argv[2], Schemas(argv[3]), std::atoi(argv[4]));
  if (argc == 6 && mode == "migrate") {
    return RunMigrate(argv[2], Schemas(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]));
  }
  if (argc == 6 && mode == "die-at") return RunDieAt(argv[2], Schemas(argv[3]), std::atoi(argv[4]), argv[5]);
  std::fprintf(stderr,
               "usage: migrate_crash_child load <dir> <schema dir> <users>\n"
               "       migrate_crash_child migrate <dir> <schema dir> <writer first id> <2|3>\n"
               "       migrate_crash_child die-at <dir> <schema dir> <2|3> <progress text>\n");
  return 64;
}
