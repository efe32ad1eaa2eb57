#include "bench/ormdb_bench_server.h"

#include "bench/ormdb_bench_meters.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

namespace ormdb::bench::whole {

namespace {
std::mutex server_mu;  // Start/Stop against the signal thread
}  // namespace

namespace {

std::string NewPassword() {
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "bench-%08x%08x", rd(), rd());
  return buf;
}

}  // namespace

namespace {
std::vector<std::string> ServeArgs(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--host", "127.0.0.1", "--metrics", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
}  // namespace

OrmdbServer::OrmdbServer(std::string binary, std::string data_dir, std::vector<std::string> extra_args)
    : process_(std::make_unique<net::ServerProcess>(net::ServerProcessOptions{
          std::move(binary), std::move(data_dir), ServeArgs(std::move(extra_args)), NewPassword(), "", true})) {}

Status OrmdbServer::Start() {
  std::lock_guard lock(server_mu);
  RETURN_IF_ERROR(process_->Start());
  // "metrics at http://127.0.0.1:PORT/metrics", printed before it listens.
  const std::string out = process_->Output();
  static constexpr std::string_view kAt = "metrics at http://127.0.0.1:";
  const size_t at = out.rfind(kAt);
  if (at == std::string::npos) return Status::IOError("the ormDB server did not say where its metrics are");
  metrics_port_ = static_cast<uint16_t>(std::strtoul(out.c_str() + at + kAt.size(), nullptr, 10));
  return Status::OK();
}

Result<uint64_t> OrmdbServer::WalSyncs() const { return ScrapeCounter(metrics_port_, "ormdb_wal_syncs_total"); }

void OrmdbServer::Stop() {
  std::lock_guard lock(server_mu);
  process_->Stop(SIGTERM);
}

net::ClientOptions OrmdbServer::ClientOptions() const {
  net::ClientOptions o = process_->Client();
  o.client_name = "ormdb-bench";
  o.compression = compression_;
  o.io_timeout_ms = 300'000;
  return o;
}

// ------------------------------------------------------------------ loading

namespace {

// The dataset's texts are words, emails and tag names: nothing to escape.
void Str(std::string* out, const char* key, const std::string& v) {
  out->append("\"").append(key).append("\":\"").append(v).append("\"");
}
void Num(std::string* out, const char* key, int64_t v) {
  out->append("\"").append(key).append("\":").append(std::to_string(v));
}
void Time(std::string* out, const char* key, int64_t micros) { Str(out, key, graph::FormatDateTime(micros)); }

void CommentObject(std::string* o, const NewComment& c, bool with_post) {
  *o += "{";
  Num(o, "id", c.id);
  *o += ",";
  Str(o, "body", c.body);
  *o += ",";
  Time(o, "createdAt", c.created_at_us);
  if (with_post) {
    *o += ",";
    Num(o, "postId", c.post_id);
  }
  *o += ",";
  Num(o, "authorId", c.author_id);
  *o += "}";
}

}  // namespace

Status LoadOrmdbOverWire(net::Client* c, const graph::Dataset& d, size_t batch, const graph::Progress& progress) {
  RETURN_IF_ERROR(c->MigrateApply("ormdb_bench.prisma", graph::kOrmdbSchema).status().Annotate("installing the schema"));
  // Up to kDepth createMany requests in flight: the load is bound by the
  // server, not by round trips.
  constexpr size_t kDepth = 4;
  auto load = [&](const char* model, std::string_view what, size_t n, auto row) -> Status {
    std::deque<uint64_t> in_flight;
    auto receive_one = [&]() -> Status {
      ASSIGN_OR_RETURN(net::Reply r, c->Receive());
      in_flight.pop_front();
      return r.status().Annotate("createMany " + std::string(model));
    };
    std::string text;
    for (size_t start = 0; start < n; start += batch) {
      const size_t end = std::min(n, start + batch);
      text = std::string("{\"createMany\":\"") + model + "\",\"data\":[";
      for (size_t i = start; i < end; ++i) {
        if (i > start) text += ",";
        row(i, &text);
      }
      text += "]}";
      ASSIGN_OR_RETURN(uint64_t id, c->Send(net::MessageType::kMutate, net::EncodeQuery({net::RequestEncoding::kJson, text})));
      in_flight.push_back(id);
      if (in_flight.size() >= kDepth) RETURN_IF_ERROR(receive_one());
      if (progress) progress(what, end, n);
    }
    while (!in_flight.empty()) RETURN_IF_ERROR(receive_one());
    return Status::OK();
  };
  RETURN_IF_ERROR(load("User", "users", d.users.size(), [&](size_t i, std::string* o) {
    const graph::UserRow& u = d.users[i];
    *o += "{";
    Num(o, "id", u.id);
    *o += ",";
    Str(o, "email", u.email);
    *o += ",";
    Str(o, "name", u.name);
    *o += ",";
    Str(o, "status", u.status);
    *o += ",";
    Str(o, "bio", u.bio);
    *o += ",";
    Time(o, "createdAt", u.created_at_us);
    *o += "}";
  }));
  RETURN_IF_ERROR(load("Tag", "tags", d.tags.size(), [&](size_t i, std::string* o) {
    *o += "{";
    Num(o, "id", d.tags[i].id);
    *o += ",";
    Str(o, "name", d.tags[i].name);
    *o += "}";
  }));
  RETURN_IF_ERROR(load("Post", "posts", d.posts.size(), [&](size_t i, std::string* o) {
    const graph::PostRow& p = d.posts[i];
    *o += "{";
    Num(o, "id", p.id);
    *o += ",";
    Str(o, "title", p.title);
    *o += ",";
    Str(o, "body", p.body);
    *o += ",";
    Num(o, "views", p.views);
    *o += p.published ? ",\"published\":true," : ",\"published\":false,";
    Time(o, "createdAt", p.created_at_us);
    *o += ",";
    Num(o, "authorId", p.author_id);
    *o += "}";
  }));
  // The implicit many-to-many's join rows are not a model requests can
  // name: each tag connects its posts, one update per tag.
  {
    std::vector<std::vector<int32_t>> posts_of_tag(d.tags.size() + 1);
    for (const auto& [post, tag] : d.post_tags) posts_of_tag[static_cast<size_t>(tag)].push_back(post);
    std::string text;
    for (size_t t = 1; t < posts_of_tag.size(); ++t) {
      text = "{\"update\":\"Tag\",\"where\":{\"id\":" + std::to_string(t) +
             "},\"data\":{\"posts\":{\"connect\":[";
      for (size_t k = 0; k < posts_of_tag[t].size(); ++k) {
        text += (k > 0 ? ",{\"id\":" : "{\"id\":") + std::to_string(posts_of_tag[t][k]) + "}";
      }
      text += "]}},\"select\":{\"id\":true}}";
      RETURN_IF_ERROR(c->Mutate(text).status().Annotate("connecting the posts of tag " + std::to_string(t)));
      if (progress) progress("post tags", t, posts_of_tag.size() - 1);
    }
  }
  return load("Comment", "comments", d.comments.size(), [&](size_t i, std::string* o) {
    const graph::CommentRow& m = d.comments[i];
    CommentObject(o, NewComment{m.id, m.post_id, m.author_id, m.created_at_us, m.body}, true);
  });
}

// ------------------------------------------------------------------- writes

std::string CreateCommentText(const NewComment& c) {
  std::string o = "{\"create\":\"Comment\",\"data\":";
  CommentObject(&o, c, true);
  return o + ",\"select\":{\"id\":true}}";
}

std::string CreatePostText(const NewPost& p) {
  std::string o = "{\"create\":\"Post\",\"data\":{";
  Num(&o, "id", p.id);
  o += ",";
  Str(&o, "title", p.title);
  o += ",";
  Str(&o, "body", p.body);
  o += ",";
  Num(&o, "views", p.views);
  o += p.published ? ",\"published\":true," : ",\"published\":false,";
  Time(&o, "createdAt", p.created_at_us);
  o += ",";
  Num(&o, "authorId", p.author_id);
  o += ",\"comments\":{\"create\":[";
  for (size_t i = 0; i < p.comments.size(); ++i) {
    if (i > 0) o += ",";
    CommentObject(&o, p.comments[i], false);
  }
  return o + "]}},\"select\":{\"id\":true}}";
}

std::string CreateManyCommentsText(const std::vector<NewComment>& cs) {
  std::string o = "{\"createMany\":\"Comment\",\"data\":[";
  for (size_t i = 0; i < cs.size(); ++i) {
    if (i > 0) o += ",";
    CommentObject(&o, cs[i], true);
  }
  return o + "]}";
}

}  // namespace ormdb::bench::whole
