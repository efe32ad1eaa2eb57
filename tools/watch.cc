// ormdb watch: follows a change stream (docs/change-streams.md) and prints
// each page of events as one line of JSON, {"token": N, "changes": [...]}.
// Against a server it runs until interrupted, until --count events arrived,
// or until the server ends the stream (a lagging subscriber or an expired
// token: the error names the token to resume after with --after). On a data
// directory it prints the retained history after the token and returns.
#include <cstdio>

#include "tools/commands.h"
#include "tools/target.h"
#include "util/json.h"

namespace ormdb::tools {
namespace {

struct WatchArgs {
  ConnectArgs connect;
  std::string spec = "{}";
  int64_t after = -1;  // -1: from now on
  uint64_t count = 0;  // 0: no limit
};

int Watch(const Global& g, const WatchArgs& a) {
  Result<json::Value> spec = json::Parse(a.spec);
  if (!spec.ok()) return Fail(spec.status().Annotate("the subscription"));
  if (!spec->is_object()) return Fail(Status::InvalidArgument("the subscription: expected an object, got " + a.spec));
  if (a.after >= 0) spec->Set("after", json::Value::Int(a.after));
  auto target = Target::Open(a.connect, g);
  if (!target.ok()) return Fail(target.status());
  uint64_t seen = 0;
  auto started = [&](uint64_t token) {
    std::fprintf(stderr, "watching %s after token %llu\n", (*target)->Describe().c_str(),
                 static_cast<unsigned long long>(token));
  };
  Status st = (*target)->Watch(spec->ToString(), started, [&](std::string_view page, size_t events) {
    std::fwrite(page.data(), 1, page.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    seen += events;
    return a.count == 0 || seen < a.count;
  });
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace

Runner AddWatch(CLI::App& app, const Global& g) {
  auto a = std::make_shared<WatchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "watch", "print change events as they commit (on a data directory: the retained history), one page per line");
  a->connect.Register(cmd);
  cmd->add_option("spec", a->spec,
                  "the subscription, e.g. '{\"models\": [\"Post\"], \"new\": true}' (docs/change-streams.md)")
      ->capture_default_str();
  cmd->add_option("--after", a->after, "a token (a commit version): the events of the commits after it first")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--count", a->count, "stop after this many events");
  return [cmd, &g, a]() -> int { return cmd->parsed() ? Watch(g, *a) : -1; };
}

}  // namespace ormdb::tools
