// ormdb shell: an interactive client. Reads requests (JSON, docs/query.md;
// a request may span lines until its braces close), runs each against a
// server or a data directory, and prints the answer as a table (flat rows)
// or as a nested tree (rows with included relations).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "tools/commands.h"
#include "tools/target.h"
#include "util/json.h"

namespace ormdb::tools {
namespace {

enum class Mode { kAuto, kTable, kTree };

constexpr const char* kHelp = R"(Requests are JSON objects in Prisma's argument shape, e.g.
  {"findMany": "User", "where": {"email": {"endsWith": "@example.org"}}, "include": {"posts": true}}
  {"create": "User", "data": {"email": "ada@example.org", "name": "Ada"}}
A request may span several lines; it runs when its braces close.

  \explain REQUEST   run the request and print its plan: access per level, rows and pages
  \schema            print the stored schema
  \table  \tree  \auto   print results as a table, as a nested tree, or by their shape (default)
  \history           the requests entered so far (kept in ~/.ormdb_history)
  \help              this text
  \q                 quit
)";

// Nested JSON with two-space indentation.
void Pretty(const json::Value& v, int indent, std::string* out) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<size_t>(indent + 1) * 2, ' ');
  if (v.is_array() && v.size() > 0) {
    *out += "[\n";
    for (size_t i = 0; i < v.items().size(); ++i) {
      *out += inner;
      Pretty(v.items()[i], indent + 1, out);
      *out += i + 1 < v.items().size() ? ",\n" : "\n";
    }
    *out += pad + "]";
  } else if (v.is_object() && v.size() > 0) {
    *out += "{\n";
    for (size_t i = 0; i < v.members().size(); ++i) {
      const auto& [key, val] = v.members()[i];
      *out += inner;
      json::AppendQuoted(out, key);
      *out += ": ";
      Pretty(val, indent + 1, out);
      *out += i + 1 < v.members().size() ? ",\n" : "\n";
    }
    *out += pad + "}";
  } else {
    *out += v.ToString();
  }
}

std::string Cell(const json::Value& v) { return v.is_string() ? v.string_value() : v.ToString(); }

// Display width of UTF-8 text (code points; wide characters count as one).
size_t Width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

bool Flat(const json::Value& rows) {
  for (const json::Value& r : rows.items()) {
    if (!r.is_object()) return false;
    for (const auto& [k, v] : r.members()) {
      if (v.is_array() || v.is_object()) return false;
    }
  }
  return true;
}

void PrintTable(const json::Value& rows) {
  std::vector<std::string> cols;
  for (const json::Value& r : rows.items()) {
    for (const auto& [k, v] : r.members()) {
      if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
    }
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  for (const std::string& c : cols) width.push_back(Width(c));
  for (const json::Value& r : rows.items()) {
    std::vector<std::string> line;
    for (size_t i = 0; i < cols.size(); ++i) {
      const json::Value* v = r.Find(cols[i]);
      line.push_back(v == nullptr ? "" : Cell(*v));
      width[i] = std::max(width[i], Width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto print_line = [&](const std::vector<std::string>& line) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
      out += (i == 0 ? " " : " | ") + line[i] + std::string(width[i] - Width(line[i]), ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  print_line(cols);
  std::string rule;
  for (size_t i = 0; i < cols.size(); ++i) rule += (i == 0 ? "-" : "-+-") + std::string(width[i], '-');
  std::printf("%s-\n", rule.c_str());
  for (const auto& line : cells) print_line(line);
  std::printf("(%zu row%s)\n", cells.size(), cells.size() == 1 ? "" : "s");
}

void PrintResult(const query::QueryResult& r, Mode mode) {
  Result<json::Value> v = json::Parse(query::ToJson(r));
  if (!v.ok()) {
    std::printf("%s\n", query::ToJson(r).c_str());
    return;
  }
  json::Value rows = *v;
  if (rows.is_object() && r.shape == query::ResultShape::kOne) {
    rows = json::Value::Array();
    rows.Push(*v);
  }
  const bool tabular = rows.is_array() && Flat(rows) && r.shape != query::ResultShape::kObject;
  if (mode == Mode::kTable ? rows.is_array() && Flat(rows) : mode == Mode::kAuto && tabular) {
    PrintTable(rows);
    return;
  }
  std::string out;
  Pretty(*v, 0, &out);
  std::printf("%s\n", out.c_str());
}

// True once every brace and bracket outside strings is closed.
bool Complete(std::string_view text) {
  int depth = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') --depth;
  }
  return depth <= 0 && !in_string;
}

std::string HistoryPath() {
  if (const char* p = std::getenv("ORMDB_HISTORY")) return p;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.ormdb_history";
}

struct ShellArgs {
  ConnectArgs connect;
  std::vector<std::string> commands;
};

int Shell(const Global& g, const ShellArgs& a) {
  auto target = Target::Open(a.connect, g);
  if (!target.ok()) return Fail(target.status());
  const bool interactive = a.commands.empty() && ::isatty(STDIN_FILENO);
  if (interactive) std::printf("ormdb shell: %s. \\help for help, \\q to quit.\n", (*target)->Describe().c_str());
  std::ofstream history(HistoryPath(), std::ios::app);
  Mode mode = Mode::kAuto;
  int rc = 0;
  auto run = [&](const std::string& entry) {
    std::string text = entry;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (text.empty()) return true;
    if (interactive && history) history << text << "\n" << std::flush;
    if (text == "\\q" || text == "\\quit") return false;
    if (text == "\\help" || text == "\\?") {
      std::printf("%s", kHelp);
    } else if (text == "\\schema") {
      auto s = (*target)->SchemaText();
      if (s.ok()) std::printf("%s", s->c_str());
      else rc = Fail(s.status());
    } else if (text == "\\table" || text == "\\tree" || text == "\\auto") {
      mode = text == "\\table" ? Mode::kTable : text == "\\tree" ? Mode::kTree : Mode::kAuto;
    } else if (text == "\\history") {
      std::ifstream in(HistoryPath());
      for (std::string line; std::getline(in, line);) std::printf("%s\n", line.c_str());
    } else if (text.starts_with("\\explain")) {
      auto r = (*target)->Run(text.substr(8), true);
      if (!r.ok()) {
        rc = Fail(r.status());
      } else {
        std::printf("%s", r->explain.c_str());
        PrintResult(*r, mode);
      }
    } else if (text.starts_with("\\")) {
      rc = Fail(Status::InvalidArgument("unknown command " + text + " (\\help lists them)"));
    } else {
      auto r = (*target)->Run(text, false);
      if (r.ok()) PrintResult(*r, mode);
      else rc = Fail(r.status());
    }
    std::fflush(stdout);
    return true;
  };
  for (const std::string& c : a.commands) {
    if (!run(c)) return rc;
  }
  if (!a.commands.empty()) return rc;
  std::string pending;
  for (;;) {
    if (interactive) {
      std::printf(pending.empty() ? "ormdb> " : "   ...> ");
      std::fflush(stdout);
    }
    std::string line;
    if (!std::getline(std::cin, line)) break;
    pending += pending.empty() ? line : "\n" + line;
    if (!pending.starts_with("\\") && !Complete(pending)) continue;
    std::string entry = std::move(pending);
    pending.clear();
    if (!run(entry)) break;
  }
  if (!pending.empty()) rc = Fail(Status::InvalidArgument("input ended inside a request: " + pending));
  return rc;
}

}  // namespace

Runner AddShell(CLI::App& app, const Global& g) {
  auto a = std::make_shared<ShellArgs>();
  CLI::App* cmd = app.add_subcommand("shell", "run requests interactively, against a server or the data directory");
  a->connect.Register(cmd);
  cmd->add_option("-c,--command", a->commands, "run these (requests or \\commands) and exit");
  return [cmd, &g, a]() -> int { return cmd->parsed() ? Shell(g, *a) : -1; };
}

}  // namespace ormdb::tools
