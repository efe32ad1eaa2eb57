// ormdb export / ormdb import: a database's rows as JSON lines, one file per
// model (DIR/<Model>.jsonl, one object of scalar fields per line, values as
// the result renderer writes them), plus one file per many-to-many relation
// (DIR/<Model>.<field>.jsonl: {"where": {<primary key>}, "connect": [{<pk>}...]}).
// Import reads the files of the models in dependency order (a model after
// the models its foreign keys reference), in batches of createMany, each
// batch one transaction, then connects the many-to-many pairs. Both show
// progress on standard error.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "schema/resolve.h"
#include "tools/commands.h"
#include "tools/target.h"
#include "util/json.h"

namespace ormdb::tools {
namespace {

namespace fs = std::filesystem;
namespace sv = schema;

constexpr size_t kPageRows = 1000;    // rows per export request
constexpr size_t kBatchRows = 500;    // rows per import transaction

struct TransferArgs {
  ConnectArgs connect;
  std::string dir;
  std::vector<std::string> models;  // empty: all
};

// A progress line on standard error, redrawn at most ten times a second.
class Progress {
 public:
  // On a terminal the line is redrawn as work goes on; elsewhere (a log)
  // only the final count is written.
  explicit Progress(std::string what, uint64_t total)
      : what_(std::move(what)), total_(total), tty_(::isatty(STDERR_FILENO) != 0) {
    if (tty_) Draw(true);
  }
  void Add(uint64_t n) {
    done_ += n;
    Draw(false);
  }
  void Finish() {
    finished_ = true;
    Draw(true);
    std::fprintf(stderr, "\n");
  }
  ~Progress() {
    if (tty_ && !finished_) std::fprintf(stderr, "\n");
  }

 private:
  void Draw(bool force) {
    if (!tty_ && !force) return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    if (total_ > 0) {
      const int width = 30;
      const int filled = static_cast<int>(std::min<uint64_t>(width, done_ * width / total_));
      std::fprintf(stderr, "%s%-24s [%s%s] %llu / %llu", tty_ ? "\r" : "", what_.c_str(), std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), static_cast<unsigned long long>(done_),
                   static_cast<unsigned long long>(total_));
    } else {
      std::fprintf(stderr, "%s%-24s %llu", tty_ ? "\r" : "", what_.c_str(), static_cast<unsigned long long>(done_));
    }
    std::fflush(stderr);
  }

  std::string what_;
  uint64_t total_;
  const bool tty_;
  bool finished_ = false;
  uint64_t done_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

Result<sv::Schema> LoadRemoteSchema(Target& t) {
  ASSIGN_OR_RETURN(std::string text, t.SchemaText());
  if (text.starts_with("// no schema yet")) return Status::InvalidArgument("the database has no schema yet");
  return sv::LoadSchema(text);
}

std::vector<const sv::Model*> Selected(const sv::Schema& s, const std::vector<std::string>& names) {
  std::vector<const sv::Model*> out;
  for (const sv::Model& m : s.models) {
    if (m.join_of) continue;
    if (names.empty() || std::find(names.begin(), names.end(), m.name) != names.end()) out.push_back(&m);
  }
  return out;
}

// Models after the models their foreign keys reference (self references
// and cycles aside: those rows must come in an order that works, which
// primary key order usually is).
std::vector<const sv::Model*> DependencyOrder(const sv::Schema& s, std::vector<const sv::Model*> models) {
  std::vector<const sv::Model*> out;
  std::set<const sv::Model*> placed;
  while (!models.empty()) {
    bool progress = false;
    for (auto it = models.begin(); it != models.end();) {
      bool ready = true;
      for (const sv::Relation& r : s.relations) {
        if (r.kind == sv::RelationKind::kManyToMany || r.hidden) continue;
        const sv::Model* from = &s.model(r.from.model);
        const sv::Model* to = &s.model(r.to.model);
        if (from == *it && to != *it && !placed.count(to) &&
            std::find(models.begin(), models.end(), to) != models.end()) {
          ready = false;
        }
      }
      if (ready) {
        placed.insert(*it);
        out.push_back(*it);
        it = models.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
    if (!progress) {  // a cycle: take the rest as declared
      out.insert(out.end(), models.begin(), models.end());
      break;
    }
  }
  return out;
}

json::Value PrimaryKeyOf(const sv::Model& m, const json::Value& row) {
  json::Value pk = json::Value::Object();
  for (const sv::KeyPart& p : m.primary_key.parts) {
    const std::string& name = m.field(p.field).name;
    const json::Value* v = row.Find(name);
    pk.Add(name, v != nullptr ? *v : json::Value());
  }
  return pk;
}

json::Value OrderByPrimaryKey(const sv::Model& m) {
  json::Value order = json::Value::Array();
  for (const sv::KeyPart& p : m.primary_key.parts) {
    json::Value o = json::Value::Object();
    o.Add(m.field(p.field).name, json::Value::String("asc"));
    order.Push(std::move(o));
  }
  return order;
}

// Every row of `m`, a page at a time in primary key order; `select` picks
// the fields. Each page's rows go to `sink`.
Status Pages(Target& t, const sv::Model& m, const json::Value& select,
             const std::function<Status(const json::Value& rows)>& sink) {
  const bool single_key = m.primary_key.parts.size() == 1;
  std::optional<json::Value> last_pk;
  for (uint64_t skip = 0;;) {
    json::Value req = json::Value::Object();
    req.Add("findMany", json::Value::String(m.name));
    req.Add("select", select);
    req.Add("orderBy", OrderByPrimaryKey(m));
    req.Add("take", json::Value::Int(static_cast<int64_t>(kPageRows)));
    if (single_key && last_pk) {
      req.Add("cursor", *last_pk);
      req.Add("skip", json::Value::Int(1));
    } else if (skip > 0) {
      req.Add("skip", json::Value::Int(static_cast<int64_t>(skip)));  // composite keys: by offset
    }
    ASSIGN_OR_RETURN(query::QueryResult r, t.Run(req.ToString(), false));
    ASSIGN_OR_RETURN(json::Value rows, json::Parse(query::ToJson(r)));
    if (rows.size() == 0) return Status::OK();
    RETURN_IF_ERROR(sink(rows));
    last_pk = PrimaryKeyOf(m, rows.items().back());
    skip += rows.size();
    if (rows.size() < kPageRows) return Status::OK();
  }
}

Result<uint64_t> CountRows(Target& t, const sv::Model& m) {
  ASSIGN_OR_RETURN(query::QueryResult r, t.Run("{\"count\":" + json::Value::String(m.name).ToString() + "}", false));
  ASSIGN_OR_RETURN(json::Value v, json::Parse(query::ToJson(r)));
  return v.is_number() && v.is_integer() ? static_cast<uint64_t>(v.int_value()) : 0;
}

Status ExportModel(Target& t, const sv::Schema& s, const sv::Model& m, const fs::path& dir) {
  json::Value select = json::Value::Object();
  std::vector<const sv::Field*> many;  // many-to-many relation fields
  for (const sv::Field& f : m.fields) {
    if (!f.is_relation()) {
      select.Add(f.name, json::Value::Bool(true));
    } else if (f.list && s.relation(f.relation).kind == sv::RelationKind::kManyToMany) {
      many.push_back(&f);
    }
  }
  ASSIGN_OR_RETURN(uint64_t total, CountRows(t, m));
  {
    const fs::path file = dir / (m.name + ".jsonl");
    std::ofstream out(file, std::ios::trunc);
    if (!out) return Status::FromErrno(errno, "writing " + file.string());
    Progress progress("export " + m.name, total);
    RETURN_IF_ERROR(Pages(t, m, select, [&](const json::Value& rows) {
      for (const json::Value& row : rows.items()) out << row.ToString() << "\n";
      progress.Add(rows.size());
      return out ? Status::OK() : Status::IOError("writing " + file.string());
    }));
    progress.Finish();
  }
  for (const sv::Field* f : many) {
    // The pairs are written from side A of the relation only, so each pair once.
    const sv::Relation& r = s.relation(f->relation);
    if (r.from.field != f->index || r.from.model != m.index) continue;
    const sv::Model& other = s.model(f->related_model);
    json::Value sel = json::Value::Object();
    for (const sv::KeyPart& p : m.primary_key.parts) sel.Add(m.field(p.field).name, json::Value::Bool(true));
    json::Value other_pk = json::Value::Object();
    for (const sv::KeyPart& p : other.primary_key.parts) other_pk.Add(other.field(p.field).name, json::Value::Bool(true));
    json::Value inner = json::Value::Object();
    inner.Add("select", other_pk);
    sel.Add(f->name, inner);
    const fs::path file = dir / (m.name + "." + f->name + ".jsonl");
    std::ofstream out(file, std::ios::trunc);
    if (!out) return Status::FromErrno(errno, "writing " + file.string());
    Progress progress("export " + m.name + "." + f->name, total);
    RETURN_IF_ERROR(Pages(t, m, sel, [&](const json::Value& rows) {
      for (const json::Value& row : rows.items()) {
        const json::Value* targets = row.Find(f->name);
        if (targets == nullptr || targets->size() == 0) continue;
        json::Value line = json::Value::Object();
        line.Add("where", PrimaryKeyOf(m, row));
        line.Add("connect", *targets);
        out << line.ToString() << "\n";
      }
      progress.Add(rows.size());
      return out ? Status::OK() : Status::IOError("writing " + file.string());
    }));
    progress.Finish();
  }
  return Status::OK();
}

uint64_t FileBytes(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// Runs `make_request(lines)` for each batch of lines of `file`.
Status ImportFile(Target& t, const fs::path& file, const std::string& what,
                  const std::function<std::vector<std::string>(const std::vector<json::Value>&)>& make_requests) {
  std::ifstream in(file);
  if (!in) return Status::FromErrno(errno, "reading " + file.string());
  Progress progress(what, FileBytes(file));
  std::vector<json::Value> batch;
  uint64_t line_no = 0, batch_first = 1;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::OK();
    Status st = t.RunBatch(make_requests(batch));
    if (!st.ok()) {
      return st.Annotate(file.string() + " lines " + std::to_string(batch_first) + "-" +
                         std::to_string(batch_first + batch.size() - 1));
    }
    batch.clear();
    batch_first = line_no + 1;
    return Status::OK();
  };
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    progress.Add(line.size() + 1);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<json::Value> v = json::Parse(line);
    if (!v.ok()) return v.status().Annotate(file.string() + " line " + std::to_string(line_no));
    if (!v->is_object()) {
      return Status::InvalidArgument(file.string() + " line " + std::to_string(line_no) + ": expected an object");
    }
    batch.push_back(std::move(v).value());
    if (batch.size() >= kBatchRows) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  progress.Finish();
  return Status::OK();
}

int Export(const Global& g, const TransferArgs& a) {
  auto target = Target::Open(a.connect, g);
  if (!target.ok()) return Fail(target.status());
  auto s = LoadRemoteSchema(**target);
  if (!s.ok()) return Fail(s.status());
  std::error_code ec;
  fs::create_directories(a.dir, ec);
  if (ec) return Fail(Status::IOError("creating " + a.dir + ": " + ec.message()));
  for (const sv::Model* m : Selected(*s, a.models)) {
    if (Status st = ExportModel(**target, *s, *m, a.dir); !st.ok()) return Fail(st);
  }
  return 0;
}

int Import(const Global& g, const TransferArgs& a) {
  auto target = Target::Open(a.connect, g);
  if (!target.ok()) return Fail(target.status());
  auto s = LoadRemoteSchema(**target);
  if (!s.ok()) return Fail(s.status());
  const std::vector<const sv::Model*> order = DependencyOrder(*s, Selected(*s, a.models));
  for (const sv::Model* m : order) {
    const fs::path file = fs::path(a.dir) / (m->name + ".jsonl");
    if (!fs::exists(file)) continue;
    Status st = ImportFile(**target, file, "import " + m->name, [&](const std::vector<json::Value>& rows) {
      json::Value req = json::Value::Object();
      req.Add("createMany", json::Value::String(m->name));
      json::Value data = json::Value::Array();
      for (const json::Value& r : rows) data.Push(r);
      req.Add("data", std::move(data));
      return std::vector<std::string>{req.ToString()};
    });
    if (!st.ok()) return Fail(st);
  }
  for (const sv::Model* m : order) {
    for (const sv::Field& f : m->fields) {
      const fs::path file = fs::path(a.dir) / (m->name + "." + f.name + ".jsonl");
      if (!f.is_relation() || !fs::exists(file)) continue;
      Status st = ImportFile(**target, file, "import " + m->name + "." + f.name,
                             [&](const std::vector<json::Value>& lines) {
                               std::vector<std::string> out;
                               for (const json::Value& l : lines) {
                                 json::Value req = json::Value::Object();
                                 req.Add("update", json::Value::String(m->name));
                                 const json::Value* where = l.Find("where");
                                 const json::Value* connect = l.Find("connect");
                                 req.Add("where", where != nullptr ? *where : json::Value::Object());
                                 json::Value rel = json::Value::Object();
                                 rel.Add("connect", connect != nullptr ? *connect : json::Value::Array());
                                 json::Value data = json::Value::Object();
                                 data.Add(f.name, std::move(rel));
                                 req.Add("data", std::move(data));
                                 req.Add("select", json::Value::Object());
                                 out.push_back(req.ToString());
                               }
                               return out;
                             });
      if (!st.ok()) return Fail(st);
    }
  }
  return 0;
}

}  // namespace

Runner AddExport(CLI::App& app, const Global& g) {
  auto a = std::make_shared<TransferArgs>();
  CLI::App* cmd = app.add_subcommand("export", "write every row as JSON lines, one file per model");
  a->connect.Register(cmd);
  cmd->add_option("dir", a->dir, "directory to write <Model>.jsonl files into")->required();
  cmd->add_option("--model", a->models, "only these models");
  return [cmd, &g, a]() -> int { return cmd->parsed() ? Export(g, *a) : -1; };
}

Runner AddImport(CLI::App& app, const Global& g) {
  auto a = std::make_shared<TransferArgs>();
  CLI::App* cmd = app.add_subcommand("import", "load <Model>.jsonl files written by export (or by hand)");
  a->connect.Register(cmd);
  cmd->add_option("dir", a->dir, "directory holding <Model>.jsonl files")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--model", a->models, "only these models");
  return [cmd, &g, a]() -> int { return cmd->parsed() ? Import(g, *a) : -1; };
}

}  // namespace ormdb::tools
