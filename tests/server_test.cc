// End-to-end tests of `ormdb serve` through the protocol: a real server
// process, real sockets. Every message type, pipelining, many connections,
// slow readers, malformed and corrupted frames, authentication failures,
// limits, and shutdown.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/client.h"
#include "net/protocol.h"
#include "query/binary_form.h"
#include "query/result.h"
#include "tests/server_process.h"
#include "tests/test_util.h"
#include "util/coding.h"
#include "util/json.h"

namespace ormdb {
namespace {

using net::Client;
using net::ErrorCode;
using net::MessageType;
using testing::ServerProcess;
using testing::TempDir;

// Raises the descriptor limit for the many-connection tests.
void RaiseFileLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

// A plain socket, for bytes the client library would never send.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{30, 0};  // a stuck server fails the test rather than hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close first: what it sent is read next
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // The next frame, or nothing when the server closed the connection.
  std::optional<std::pair<net::FrameHeader, std::string>> Read() {
    std::string header(net::kFrameHeaderBytes, '\0');
    if (!ReadExactly(header.data(), header.size())) return std::nullopt;
    auto h = net::DecodeFrameHeader(header, 1u << 30);
    if (!h.ok()) return std::nullopt;
    std::string payload(h->payload_length, '\0');
    if (!ReadExactly(payload.data(), payload.size())) return std::nullopt;
    std::string raw;
    auto p = net::PayloadBytes(*h, payload, &raw);
    if (!p.ok()) return std::nullopt;
    return std::make_pair(*h, std::string(*p));
  }
  // True when the server has closed the connection (reads end).
  bool Closed() {
    char c;
    for (;;) {
      ssize_t n = ::recv(fd_, &c, 1, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }
  void Hello(const std::string& password = testing::kTestPassword) {
    net::Hello h;
    h.user = "ormdb";
    h.password = password;
    std::string frame;
    net::AppendFrame(&frame, MessageType::kHello, 1, net::EncodeHello(h));
    Send(frame);
  }

 private:
  bool ReadExactly(char* p, size_t n) {
    while (n > 0) {
      ssize_t got = ::recv(fd_, p, n, 0);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  int fd_;
  bool connected_ = false;
};

std::string Frame(MessageType type, uint64_t id, std::string_view payload) {
  std::string f;
  net::AppendFrame(&f, type, id, payload);
  return f;
}

std::string FetchPayload(const std::string& json) {
  return net::EncodeQuery({net::RequestEncoding::kJson, json});
}

ErrorCode CodeOf(const std::string& error_payload) {
  auto e = net::DecodeError(error_payload);
  return e.ok() ? e->code : ErrorCode::kInternal;
}

std::string ManyUsers(int first, int n) {
  std::string data = "[";
  for (int i = first; i < first + n; ++i) {
    data += (i > first ? "," : "") + std::string(R"({"email":"r)") + std::to_string(i) + R"(@x.org"})";
  }
  return R"({"createMany":"User","data":)" + data + "]}";
}

class ServerTest : public testing::ServerFixture {
 protected:
  void SetUp() override { RaiseFileLimit(); }
};

TEST_F(ServerTest, HandshakeAnnouncesLimitsAndVersion) {
  StartServer({"--max-in-flight", "17", "--query-timeout-ms", "1234"});
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->welcome().version, net::kProtocolVersion);
  EXPECT_EQ(c->welcome().max_in_flight, 17u);
  EXPECT_EQ(c->welcome().query_timeout_ms, 1234u);
  EXPECT_TRUE(c->welcome().server_version.starts_with("ormdb "));
  // Compression is on only when the client offers it (see LargeResultsTravelCompressedWhenTheClientAsks).
  EXPECT_EQ(c->welcome().features & net::kFeatureZstd, 0u);
}

TEST_F(ServerTest, MutateThenFetchReturnsTheGraph) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto created = c->Mutate(
      R"({"create":"User","data":{"email":"ada@x.org","posts":{"create":[{"title":"a","slug":"a"},{"title":"b","slug":"b"}]}}})");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->version, 0u);
  auto r = c->Fetch(R"({"findMany":"User","include":{"posts":{"orderBy":{"slug":"asc"}}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(query::ToJson(*r).find("\"slug\":\"a\"") != std::string::npos, true) << query::ToJson(*r);
  ASSERT_EQ(r->entities.size(), 2u);
  EXPECT_EQ(r->entities[0].rows, 1u);
  EXPECT_EQ(r->entities[1].rows, 2u);
  EXPECT_GE(r->version, created->version);
}

TEST_F(ServerTest, FetchRefusesWritesAndMutateRefusesReads) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto w = c->Fetch(R"({"create":"User","data":{"email":"x@x.org"}})");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("only reads"), std::string::npos) << w.status().ToString();
  auto r = c->Mutate(R"({"findMany":"User"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("only writes"), std::string::npos) << r.status().ToString();
  auto count = c->Fetch(R"({"count":"User"})");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(query::ToJson(*count), "0");
}

TEST_F(ServerTest, BadRequestErrorNamesThePath) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto reply = c->Call(MessageType::kFetch, FetchPayload(R"({"findMany":"User","where":{"email":42}})"));
  ASSERT_TRUE(reply.ok());
  ASSERT_EQ(reply->type(), MessageType::kError);
  auto e = reply->error();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e->path, "where.email");
  EXPECT_NE(e->message.find("42"), std::string::npos) << e->message;
  // The connection is still good.
  EXPECT_OK(c->Ping());
}

TEST_F(ServerTest, BinaryRequestsAnswerLikeJson) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Mutate(R"({"create":"User","data":{"email":"b@x.org","name":"B"}})").ok());
  auto v = json::Parse(R"({"findUnique":"User","where":{"email":"b@x.org"}})");
  ASSERT_TRUE(v.ok());
  auto raw = c->FetchRaw(query::EncodeBinaryRequest(*v), net::RequestEncoding::kBinary);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  auto m = net::DecodeResult(raw->payload);
  ASSERT_TRUE(m.ok());
  auto q = query::QueryResult::Decode(m->blocks);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_NE(query::ToJson(*q).find("\"name\":\"B\""), std::string::npos);
}

TEST_F(ServerTest, ResultsAreReadInPlaceFromTheFrame) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Mutate(R"({"create":"User","data":{"email":"v@x.org","name":"Vi","posts":{"create":[{"title":"a","slug":"a","views":7},{"title":"b","slug":"b"}]}}})").ok());
  net::Reply reply;
  auto view = c->FetchView(R"({"findMany":"User","include":{"posts":{"orderBy":{"slug":"asc"}}}})", &reply);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_EQ(view->entities.size(), 2u);
  const query::ColumnView* name = view->entities[0].FindColumn("name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->Text(0), "Vi");
  // The value's bytes are inside the frame's payload: no copy was made.
  EXPECT_GE(name->Text(0).data(), reply.payload.data());
  EXPECT_LT(name->Text(0).data(), reply.payload.data() + reply.payload.size());
  const query::EdgeBlockView& posts = view->edges[0];
  EXPECT_EQ(posts.ChildCount(0), 2u);
  const query::ColumnView* views = view->entities[1].FindColumn("views");
  ASSERT_NE(views, nullptr);
  EXPECT_EQ(views->Int64(posts.Child(0, 0)), 7);
  EXPECT_EQ(query::ToJson(view->ToResult()), query::ToJson(*c->Fetch(R"({"findMany":"User","include":{"posts":{"orderBy":{"slug":"asc"}}}})")));
}

TEST_F(ServerTest, LargeResultsTravelCompressedWhenTheClientAsks) {
  StartServer();
  EXPECT_EQ(Connect()->welcome().features & net::kFeatureZstd, 0u) << "the client offers zstd only when asked";
  net::ClientOptions o = server_->ClientOptions();
  o.compression = true;
  auto connected = net::Client::Connect(o);
  ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  auto& c = *connected;
  ASSERT_EQ(c->welcome().features & net::kFeatureZstd, net::kFeatureZstd);
  ASSERT_TRUE(c->Mutate(ManyUsers(0, 2000)).ok());
  const uint64_t before = c->bytes_received();
  auto r = c->Fetch(R"({"findMany":"User"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entities[0].rows, 2000u);
  const uint64_t raw = r->Encode().size();
  const uint64_t wire = c->bytes_received() - before;
  EXPECT_LT(wire * 2, raw) << "raw " << raw << " bytes, " << wire << " on the wire";
}

TEST_F(ServerTest, FirstStartPrintsAGeneratedPasswordOnce) {
  net::ServerProcess server({ORMDB_BINARY, dir_.File("fresh"), {}, /*password=*/"", "", false});
  ASSERT_OK(server.Start());
  const std::string out = server.Output();
  const std::string marker = "created user ormdb with password ";
  size_t at = out.find(marker);
  ASSERT_NE(at, std::string::npos) << out;
  const std::string password = out.substr(at + marker.size(), 24);
  net::ClientOptions o = server.Client();
  o.password = password;
  auto c = net::Client::Connect(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_OK((*c)->Ping());
  server.Stop();
  // A restart creates no user and prints no password.
  ASSERT_OK(server.Start());
  EXPECT_EQ(server.Output().find(marker, at + 1), std::string::npos);
  o = server.Client();  // a new port
  o.password = password;
  EXPECT_TRUE(net::Client::Connect(o).ok());
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerTest, TransactionsCommitAndRollBack) {
  StartServer();
  auto a = Connect();
  auto b = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto snapshot = a->Begin();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  ASSERT_TRUE(a->Mutate(R"({"create":"User","data":{"email":"t1@x.org"}})").ok());
  // Not visible to another session before the commit.
  EXPECT_EQ(query::ToJson(*b->Fetch(R"({"count":"User"})")), "0");
  // Visible inside the transaction.
  EXPECT_EQ(query::ToJson(*a->Fetch(R"({"count":"User"})")), "1");
  auto committed = a->Commit();
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_GT(*committed, *snapshot);
  EXPECT_EQ(query::ToJson(*b->Fetch(R"({"count":"User"})")), "1");

  ASSERT_TRUE(a->Begin().ok());
  ASSERT_TRUE(a->Mutate(R"({"create":"User","data":{"email":"t2@x.org"}})").ok());
  EXPECT_OK(a->Rollback());
  EXPECT_EQ(query::ToJson(*b->Fetch(R"({"count":"User"})")), "1");
}

TEST_F(ServerTest, TransactionStateErrors) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto commit = c->Call(MessageType::kCommit, "");
  ASSERT_TRUE(commit.ok());
  ASSERT_EQ(commit->type(), MessageType::kError);
  EXPECT_EQ(CodeOf(commit->payload), ErrorCode::kTransactionState);
  ASSERT_TRUE(c->Begin().ok());
  auto again = c->Call(MessageType::kBegin, "");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(CodeOf(again->payload), ErrorCode::kTransactionState);
  EXPECT_OK(c->Rollback());
  EXPECT_OK(c->Rollback());  // nothing open: still fine, so a client can always clean up
}

TEST_F(ServerTest, ConcurrentWritersConflictAndOneWins) {
  StartServer();
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a->Mutate(R"({"create":"User","data":{"email":"c@x.org","name":"0"}})").ok());
  ASSERT_TRUE(a->Begin().ok());
  ASSERT_TRUE(b->Begin().ok());
  ASSERT_TRUE(a->Mutate(R"({"update":"User","where":{"email":"c@x.org"},"data":{"name":"a"}})").ok());
  ASSERT_TRUE(b->Mutate(R"({"update":"User","where":{"email":"c@x.org"},"data":{"name":"b"}})").ok());
  ASSERT_TRUE(a->Commit().ok());
  auto lost = b->Commit();
  ASSERT_FALSE(lost.ok());
  EXPECT_TRUE(lost.status().IsConflict()) << lost.status().ToString();
}

TEST_F(ServerTest, ExplainPrintsThePlan) {
  StartServer();
  auto c = Connect();
  auto r = c->Explain(R"({"findMany":"User","include":{"posts":true}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->explain.find("posts"), std::string::npos) << r->explain;
}

TEST_F(ServerTest, SchemaAndMigrations) {
  StartServer();
  auto c = Connect();
  auto s = c->GetSchema();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->version, 1u);
  EXPECT_NE(s->text.find("model User"), std::string::npos);

  auto same = c->MigratePlan("blog.prisma", s->text);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->grade, 0);

  std::string next = s->text + "\nmodel Note {\n  id Int @id @default(autoincrement())\n  body String\n}\n";
  auto plan = c->MigratePlan("blog.prisma", next);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->grade, 'A');
  EXPECT_NE(plan->text.find("Note"), std::string::npos);
  auto applied = c->MigrateApply("blog.prisma", next);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->version, 2u);
  ASSERT_TRUE(c->Mutate(R"({"create":"Note","data":{"body":"hi"}})").ok());

  // Dropping the model is grade D: refused unless allowed.
  auto refused = c->MigrateApply("blog.prisma", s->text);
  EXPECT_FALSE(refused.ok());
  auto dropped = c->MigrateApply("blog.prisma", s->text, /*allow_destructive=*/true);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(dropped->version, 3u);

  auto bad = c->MigratePlan("bad.prisma", "model {");
  ASSERT_FALSE(bad.ok());
}

// Writes run on the event loop when it is otherwise idle, but a write that
// reaches a model while a migration rewrites its rows must wait, and it
// waits on the pool: every write lands, and the loops keep answering pings
// meanwhile. Connections spread over the two loops at random, and a loop
// with a request on the pool (the migration's) sends its writes there
// too, so this sees a loop held by a waiting write only when the first
// write to meet the migration is on the other loop, about half the runs;
// session_test checks the hand-back itself.
TEST_F(ServerTest, WritesDuringARewriteWaitOffTheEventLoop) {
  StartServer();
  auto admin = Connect();
  std::vector<std::unique_ptr<Client>> writers, pingers;
  for (int i = 0; i < 6; ++i) writers.push_back(Connect());
  for (int i = 0; i < 4; ++i) pingers.push_back(Connect());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(admin->Mutate(ManyUsers(i * 2000, 2000)).ok());
  auto s = admin->GetSchema();
  ASSERT_TRUE(s.ok());
  std::string with_karma = s->text;
  const size_t at = with_karma.find("  name      String?\n");
  ASSERT_NE(at, std::string::npos);
  with_karma.insert(at, "  karma     Int       @default(0)\n");
  ASSERT_TRUE(admin->MigrateApply("blog.prisma", with_karma).ok());
  std::string widened = with_karma;
  widened.replace(widened.find("karma     Int "), 14, "karma     BigInt ");
  // Every connection has written once: the next writes may run on the loops.
  for (size_t i = 0; i < writers.size(); ++i) {
    ASSERT_TRUE(writers[i]->Mutate(R"({"create":"User","data":{"email":"first)" + std::to_string(i) + R"(@x.org"}})").ok());
  }

  using Clock = std::chrono::steady_clock;
  std::atomic<bool> migrating{true};
  Clock::duration migration{};
  std::thread migrate([&] {
    const auto start = Clock::now();
    auto r = admin->MigrateApply("blog.prisma", widened);
    migration = Clock::now() - start;
    migrating.store(false);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  });
  Clock::duration longest_ping{};
  std::thread ping([&] {
    for (size_t i = 0; migrating.load(); ++i) {
      const auto start = Clock::now();
      ASSERT_OK(pingers[i % pingers.size()]->Ping());
      longest_ping = std::max(longest_ping, Clock::now() - start);
    }
  });
  int written = 0;
  for (; migrating.load() || written < 3; ++written) {
    auto w = writers[written % writers.size()]->Mutate(R"({"create":"User","data":{"email":"w)" +
                                                       std::to_string(written) + R"(@x.org"}})");
    ASSERT_TRUE(w.ok()) << "write " << written << ": " << w.status().ToString();
  }
  migrate.join();
  ping.join();
  auto count = admin->Fetch(R"({"count":"User"})");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  const std::string expected = std::to_string(40000 + writers.size() + written);
  EXPECT_NE(query::ToJson(*count).find(expected), std::string::npos) << query::ToJson(*count) << " for " << expected;
  // A loop held by a waiting write would have held its pings as long.
  if (migration > std::chrono::milliseconds(200)) {
    EXPECT_LT(longest_ping * 10, migration);
  }
}

TEST_F(ServerTest, PingEchoesAndPipelinedRequestsAreAnsweredById) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  constexpr int kRequests = 200;
  std::map<uint64_t, int> sent;
  for (int i = 0; i < kRequests; ++i) {
    std::string email = "p" + std::to_string(i) + "@x.org";
    auto id = c->Send(MessageType::kMutate,
                      FetchPayload(R"({"create":"User","data":{"email":")" + email + R"("}})"));
    ASSERT_TRUE(id.ok());
    sent[*id] = i;
    if (i % 50 == 0) {
      auto ping = c->Send(MessageType::kPing, "echo-" + std::to_string(i));
      ASSERT_TRUE(ping.ok());
      sent[*ping] = -1 - i;
    }
  }
  int results = 0, pongs = 0;
  while (!sent.empty()) {
    auto r = c->Receive();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto it = sent.find(r->request_id());
    ASSERT_NE(it, sent.end()) << "reply to an unknown request id " << r->request_id();
    if (it->second < 0) {
      EXPECT_EQ(r->type(), MessageType::kPong);
      EXPECT_EQ(r->payload, "echo-" + std::to_string(-1 - it->second));
      ++pongs;
    } else {
      EXPECT_EQ(r->type(), MessageType::kResult) << r->status().ToString();
      ++results;
    }
    sent.erase(it);
  }
  EXPECT_EQ(results, kRequests);
  EXPECT_EQ(pongs, 4);
  EXPECT_EQ(query::ToJson(*c->Fetch(R"({"count":"User"})")), std::to_string(kRequests));
}

TEST_F(ServerTest, CancelStopsAQueuedRequest) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  // Enough rows that a scan of all of them takes a while.
  ASSERT_TRUE(c->Mutate(ManyUsers(0, 2000)).ok());
  // A running request, then a queued one behind it; cancel the queued one.
  const std::string slow = FetchPayload(R"({"findMany":"User","where":{"name":{"contains":"nobody"}}})");
  auto first = c->Send(MessageType::kFetch, slow);
  auto second = c->Send(MessageType::kFetch, slow);
  auto third = c->Send(MessageType::kFetch, slow);
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  auto cancel = c->SendCancel(*third);
  ASSERT_TRUE(cancel.ok());
  std::map<uint64_t, net::Reply> replies;
  for (int i = 0; i < 4; ++i) {
    auto r = c->Receive();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    replies[r->request_id()] = *r;
  }
  EXPECT_EQ(replies[*cancel].type(), MessageType::kOk);
  EXPECT_EQ(replies[*first].type(), MessageType::kResult);
  // The third was still queued (or just starting) when the cancel arrived.
  const net::Reply& t = replies[*third];
  if (t.type() == MessageType::kError) {
    EXPECT_EQ(CodeOf(t.payload), ErrorCode::kCancelled);
  } else {
    EXPECT_EQ(t.type(), MessageType::kResult);
  }
}

TEST_F(ServerTest, AuthenticationFailuresCloseTheConnection) {
  StartServer();
  net::ClientOptions o = server_->ClientOptions();
  o.password = "wrong";
  auto bad = Client::Connect(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("authentication failed"), std::string::npos) << bad.status().ToString();
  o.password = testing::kTestPassword;
  o.user = "nobody";
  EXPECT_FALSE(Client::Connect(o).ok());
  o.user = "ormdb";
  EXPECT_TRUE(Client::Connect(o).ok());

  // On a raw socket: the error frame, then the connection ends.
  RawConnection raw(server_->port());
  raw.Hello("wrong");
  auto f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->first.type, MessageType::kError);
  EXPECT_EQ(CodeOf(f->second), ErrorCode::kAuthFailed);
  EXPECT_TRUE(raw.Closed());
}

TEST_F(ServerTest, RequestsBeforeTheHandshakeAreRefused) {
  StartServer();
  RawConnection raw(server_->port());
  raw.Send(Frame(MessageType::kFetch, 7, FetchPayload(R"({"findMany":"User"})")));
  auto f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->first.request_id, 7u);
  EXPECT_EQ(CodeOf(f->second), ErrorCode::kProtocol);
  EXPECT_TRUE(raw.Closed());
}

TEST_F(ServerTest, MalformedFramesGetAnErrorAndTheServerLivesOn) {
  StartServer({"--max-frame-bytes", "100000"});
  struct Case {
    const char* what;
    std::function<std::string()> bytes;
    ErrorCode code;
  };
  const std::string good = Frame(MessageType::kPing, 9, "x");
  std::vector<Case> cases = {
      {"bad magic", [&] { std::string f = good; f[0] = 'X'; return f; }, ErrorCode::kBadFrame},
      {"bad version", [&] { std::string f = good; f[4] = 9; return f; }, ErrorCode::kNotSupported},
      {"unknown type", [&] { std::string f = good; f[5] = 0x55; return f; }, ErrorCode::kBadFrame},
      {"unknown flags", [&] { std::string f = good; f[6] = 0x40; return f; }, ErrorCode::kBadFrame},
      {"bad checksum", [&] { std::string f = good; f[31] ^= 1; return f; }, ErrorCode::kBadFrame},
      {"flipped payload", [&] { std::string f = good; f[32] ^= 1; return f; }, ErrorCode::kBadFrame},
      {"oversized", [&] {
         std::string f = good;
         coding::EncodeFixed32(f.data() + 16, 200000);
         coding::EncodeFixed32(f.data() + 20, 200000);
         return f;
       }, ErrorCode::kLimitExceeded},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    RawConnection raw(server_->port());
    ASSERT_TRUE(raw.connected());
    raw.Hello();
    auto welcome = raw.Read();
    ASSERT_TRUE(welcome.has_value());
    ASSERT_EQ(welcome->first.type, MessageType::kWelcome);
    raw.Send(c.bytes());
    auto f = raw.Read();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->first.type, MessageType::kError);
    EXPECT_EQ(CodeOf(f->second), c.code) << net::DecodeError(f->second)->message;
    EXPECT_TRUE(raw.Closed());
  }
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_OK(c->Ping());
}

// Every byte of a valid Fetch frame flipped in turn (and each message's
// payload cut short): the server answers or closes, and keeps serving.
TEST_F(ServerTest, EveryCorruptedByteOfAFrameIsSurvived) {
  StartServer();
  const std::string fetch = Frame(MessageType::kFetch, 3, FetchPayload(R"({"findMany":"User","take":1})"));
  for (size_t i = 0; i < fetch.size(); ++i) {
    RawConnection raw(server_->port());
    raw.Hello();
    ASSERT_TRUE(raw.Read().has_value());
    std::string f = fetch;
    f[i] = static_cast<char>(f[i] ^ 0x5a);
    raw.Send(f);
    ::shutdown(raw.fd(), SHUT_WR);  // a frame whose length grew is not waited for
    auto reply = raw.Read();
    if (reply.has_value()) {
      EXPECT_TRUE(reply->first.type == MessageType::kError || reply->first.type == MessageType::kResult)
          << "byte " << i;
    }
  }
  // Payloads of each request type cut short, after a good handshake.
  const std::vector<std::pair<MessageType, std::string>> messages = {
      {MessageType::kMigratePlan, net::EncodeMigrate({false, "a.prisma", "model A { id Int @id }"})},
      {MessageType::kCancel, net::EncodeCancel({5})},
      {MessageType::kFetch, FetchPayload(R"({"count":"User"})")},
      {MessageType::kBegin, "x"},
  };
  for (const auto& [type, payload] : messages) {
    RawConnection raw(server_->port());
    raw.Hello();
    ASSERT_TRUE(raw.Read().has_value());
    for (size_t n = 0; n < payload.size(); ++n) raw.Send(Frame(type, 100 + n, payload.substr(0, n)));
    raw.Send(Frame(MessageType::kPing, 99, "alive"));
    bool pong = false;
    while (auto r = raw.Read()) {
      if (r->first.type == MessageType::kPong) {
        pong = true;
        break;
      }
    }
    EXPECT_TRUE(pong) << net::MessageTypeName(type);
  }
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_OK(c->Ping());
}

TEST_F(ServerTest, ConnectionLimitIsAnErrorFrame) {
  StartServer({"--max-connections", "3"});
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 3; ++i) held.push_back(Connect());
  RawConnection extra(server_->port());
  auto f = extra.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(CodeOf(f->second), ErrorCode::kLimitExceeded);
  EXPECT_NE(net::DecodeError(f->second)->message.find("too many connections"), std::string::npos);
  held.pop_back();
  // A freed slot is usable again.
  std::unique_ptr<Client> again;
  for (int attempt = 0; attempt < 100 && again == nullptr; ++attempt) {
    auto c = server_->Connect();
    if (c.ok()) again = std::move(c).value();
    else std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(again, nullptr);
  EXPECT_OK(again->Ping());
}

TEST_F(ServerTest, TooManyRequestsInFlightAreRefusedOneByOne) {
  StartServer({"--max-in-flight", "4"});
  auto c = Connect();
  ASSERT_TRUE(c->Mutate(R"({"createMany":"User","data":[{"email":"a@x.org"},{"email":"b@x.org"}]})").ok());
  // Sent in one write, so the server sees them at once.
  std::string burst;
  for (uint64_t id = 1000; id < 1020; ++id) {
    net::AppendFrame(&burst, MessageType::kFetch, id, FetchPayload(R"({"findMany":"User"})"));
  }
  RawConnection raw(server_->port());
  raw.Hello();
  ASSERT_TRUE(raw.Read().has_value());
  raw.Send(burst);
  int results = 0, limited = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = raw.Read();
    ASSERT_TRUE(r.has_value());
    if (r->first.type == MessageType::kResult) ++results;
    else if (CodeOf(r->second) == ErrorCode::kLimitExceeded) ++limited;
  }
  EXPECT_GE(results, 4);
  EXPECT_GT(limited, 0);
  EXPECT_EQ(results + limited, 20);
}

TEST_F(ServerTest, RowBudgetIsAnErrorNamingTheBudget) {
  StartServer({"--max-rows-read", "30"});
  auto c = Connect();
  ASSERT_TRUE(c->Mutate(ManyUsers(0, 40)).ok());
  auto r = c->Call(MessageType::kFetch, FetchPayload(R"({"findMany":"User","where":{"name":"x"}})"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->type(), MessageType::kError);
  EXPECT_EQ(r->error()->code, ErrorCode::kLimitExceeded);
  EXPECT_NE(r->error()->message.find("row budget"), std::string::npos) << r->error()->message;
  EXPECT_TRUE(c->Fetch(R"({"findMany":"User","take":5})").ok());
}

TEST_F(ServerTest, TimeBudgetIsATimeoutError) {
  StartServer();
  {
    auto loader = Connect();
    for (int b = 0; b < 20; ++b) ASSERT_TRUE(loader->Mutate(ManyUsers(b * 1000, 1000)).ok());
  }
  server_->Stop();
  server_ = std::make_unique<ServerProcess>(dir_.File("data"), std::vector<std::string>{"--query-timeout-ms", "1"});
  ASSERT_OK(server_->Start());
  auto c = Connect();
  // A filter no index serves: all 20,000 rows are read, far past 1 ms.
  auto r = c->Call(MessageType::kFetch, FetchPayload(R"({"findMany":"User","where":{"name":{"contains":"x"}}})"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->type(), MessageType::kError);
  EXPECT_EQ(r->error()->code, ErrorCode::kTimeout) << r->error()->message;
  EXPECT_NE(r->error()->message.find("time budget"), std::string::npos) << r->error()->message;
}

TEST_F(ServerTest, IdleConnectionsAreClosedWithAnErrorFrame) {
  StartServer({"--idle-timeout-ms", "300"});
  RawConnection raw(server_->port());
  raw.Hello();
  ASSERT_TRUE(raw.Read().has_value());
  auto f = raw.Read();  // nothing sent: the server speaks first
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->first.request_id, 0u);
  EXPECT_EQ(CodeOf(f->second), ErrorCode::kIdleTimeout);
  EXPECT_TRUE(raw.Closed());
}

TEST_F(ServerTest, ThousandIdleConnectionsAndHundredActiveOnes) {
  StartServer();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 1000; ++i) {
    auto c = server_->Connect();
    ASSERT_TRUE(c.ok()) << "connection " << i << ": " << c.status().ToString();
    idle.push_back(std::move(c).value());
  }
  std::vector<std::unique_ptr<Client>> active;
  for (int i = 0; i < 100; ++i) active.push_back(Connect());
  // 4 threads drive 25 connections each, pipelining a request on each.
  std::atomic<int> failures{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (int k = 0; k < 25; ++k) {
          Client& c = *active[t * 25 + k];
          std::string email = "a" + std::to_string(t * 25 + k) + "-" + std::to_string(round) + "@x.org";
          if (!c.Send(MessageType::kMutate, FetchPayload(R"({"create":"User","data":{"email":")" + email + R"("}})")).ok()) {
            ++failures;
          }
        }
        for (int k = 0; k < 25; ++k) {
          auto r = active[t * 25 + k]->Receive();
          if (!r.ok() || r->type() != MessageType::kResult) ++failures;
          else ++done;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(done.load(), 500);
  // The idle ones are all still served.
  for (size_t i = 0; i < idle.size(); i += 97) EXPECT_OK(idle[i]->Ping());
  EXPECT_EQ(query::ToJson(*active[0]->Fetch(R"({"count":"User"})")), "500");
}

// A client that sends requests with large answers and never reads them:
// the server stops reading from it instead of buffering without bound,
// keeps serving everyone else, and delivers everything once it reads.
TEST_F(ServerTest, ASlowReaderCostsBoundedMemory) {
  StartServer({"--max-pending-output-bytes", "1000000", "--no-compression"});
  auto c = Connect();
  std::string data = "[";
  for (int i = 0; i < 500; ++i) {
    data += (i ? "," : "") + std::string(R"({"email":"big)") + std::to_string(i) + R"(@x.org","name":")" +
            std::string(1000, 'n') + "\"}";
  }
  ASSERT_TRUE(c->Mutate(R"({"createMany":"User","data":)" + data + "]}").ok());
  RawConnection slow(server_->port());
  slow.Hello();
  ASSERT_TRUE(slow.Read().has_value());
  const uint64_t rss_before = server_->RssBytes();
  // Each answer is ~500 KB; 200 of them would be 100 MB if buffered.
  const std::string request = Frame(MessageType::kFetch, 1, FetchPayload(R"({"findMany":"User"})"));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 200 && !stop.load(); ++i) slow.Send(request);
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const uint64_t rss_during = server_->RssBytes();
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_OK(other->Ping());
  EXPECT_TRUE(other->Fetch(R"({"count":"User"})").ok());
  EXPECT_LT(rss_during, rss_before + (60u << 20)) << "before " << rss_before << " during " << rss_during;
  // Now read: every request is answered.
  int answered = 0;
  std::thread reader([&] {
    while (answered < 200) {
      auto r = slow.Read();
      if (!r.has_value()) break;
      if (r->first.type == MessageType::kResult) ++answered;
      else break;
    }
  });
  reader.join();
  stop.store(true);
  writer.join();
  EXPECT_EQ(answered, 200);
}

TEST_F(ServerTest, SigtermFinishesInFlightRequestsAndExitsZero) {
  StartServer();
  auto c = Connect();
  std::vector<uint64_t> ids;
  for (int i = 0; i < 50; ++i) {
    auto id = c->Send(MessageType::kMutate,
                      FetchPayload(R"({"create":"User","data":{"email":"s)" + std::to_string(i) + R"(@x.org"}})"));
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  // Let the frames reach the server before it is told to stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(server_->pid(), SIGTERM);
  int results = 0;
  for (;;) {
    auto r = c->Receive();
    if (!r.ok()) break;
    if (r->type() == MessageType::kResult) ++results;
    if (r->type() == MessageType::kError && CodeOf(r->payload) == ErrorCode::kShuttingDown) break;
  }
  const int status = server_->Stop(0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->Output();
  EXPECT_EQ(results, 50);
  // Everything answered is there after a restart.
  server_ = std::make_unique<ServerProcess>(dir_.File("data"), std::vector<std::string>{});
  ASSERT_OK(server_->Start());
  auto after = Connect();
  EXPECT_EQ(query::ToJson(*after->Fetch(R"({"count":"User"})")), std::to_string(results));
}

// SIGKILL while writers commit: every acknowledged commit is there after a
// restart, and the database checks clean.
TEST_F(ServerTest, SigkillUnderWriteLoadLosesNoAcknowledgedCommit) {
  StartServer();
  constexpr int kWriters = 4;
  std::vector<std::vector<std::string>> acked(kWriters);
  std::vector<std::thread> writers;
  std::atomic<bool> killed{false};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto c = server_->Connect();
      if (!c.ok()) return;
      for (int i = 0; !killed.load(); ++i) {
        std::string email = "w" + std::to_string(w) + "-" + std::to_string(i) + "@x.org";
        auto r = (*c)->Mutate(R"({"create":"User","data":{"email":")" + email +
                              R"(","posts":{"create":{"title":"t","slug":")" + email + R"("}}}})");
        if (!r.ok()) return;  // the server is gone
        acked[w].push_back(email);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  killed.store(true);
  server_->Kill();
  for (auto& t : writers) t.join();
  size_t total = 0;
  for (auto& a : acked) total += a.size();
  ASSERT_GT(total, 0u);

  server_ = std::make_unique<ServerProcess>(dir_.File("data"), std::vector<std::string>{});
  ASSERT_OK(server_->Start());
  auto c = Connect();
  for (const auto& list : acked) {
    for (const std::string& email : list) {
      auto r = c->Fetch(R"({"findUnique":"User","where":{"email":")" + email + R"("},"include":{"posts":true}})");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->entities[0].rows, 1u) << email << " was acknowledged and is missing";
      EXPECT_EQ(r->entities[1].rows, 1u) << email;
    }
  }
  server_->Stop();
}

// The value of a counter in the server's Prometheus text.
uint64_t ScrapeCounter(const ServerProcess& server, const std::string& name) {
  const std::string out = server.Output();
  const std::string at_text = "metrics at http://127.0.0.1:";
  size_t at = out.find(at_text);
  if (at == std::string::npos) return 0;
  RawConnection http(static_cast<uint16_t>(std::stoi(out.substr(at + at_text.size()))));
  http.Send("GET /metrics HTTP/1.0\r\n\r\n");
  std::string body;
  char buf[4096];
  for (ssize_t n; (n = ::recv(http.fd(), buf, sizeof buf, 0)) > 0;) body.append(buf, static_cast<size_t>(n));
  size_t line = body.find("\n" + name + " ");
  if (line == std::string::npos) return 0;
  return std::stoull(body.substr(line + name.size() + 2));
}

TEST_F(ServerTest, DeferredCommitsAreAnsweredOnlyOnceEveryoneCanReadThem) {
  // Busy loops run short Mutates themselves and hold each reply until its
  // commit is durable and visible. Whatever an acknowledged write did must
  // then be read by any connection at once, and by the next request on
  // its own connection even when that request was sent before the reply.
  // (Under the sanitizers a create can take over a millisecond, which
  // would send every write to the pool.)
  StartServer({"--metrics", "0", "--loop-write-us", "1000000"});
  constexpr int kWriters = 6, kEach = 150;
  std::vector<std::thread> threads;
  std::atomic<int> missing{0}, failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto writer = server_->Connect();
      auto reader = server_->Connect();
      if (!writer.ok() || !reader.ok()) {
        failures.fetch_add(1);
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        const std::string email = "d" + std::to_string(w) + "-" + std::to_string(i) + "@x.org";
        const std::string find = R"({"findUnique":"User","where":{"email":")" + email + R"("}})";
        if (i % 2 == 0) {
          auto r = (*writer)->Mutate(R"({"create":"User","data":{"email":")" + email + R"("}})");
          if (!r.ok()) {
            failures.fetch_add(1);
            continue;
          }
          auto seen = (*reader)->Fetch(find);  // another connection, right after the acknowledgement
          if (!seen.ok() || seen->entities[0].rows != 1) missing.fetch_add(1);
          continue;
        }
        // Pipelined: the Fetch is on its way before the Mutate's reply.
        auto m = (*writer)->Send(MessageType::kMutate,
                                 FetchPayload(R"({"create":"User","data":{"email":")" + email + R"("}})"));
        auto f = (*writer)->Send(MessageType::kFetch, FetchPayload(find));
        if (!m.ok() || !f.ok()) {
          failures.fetch_add(1);
          continue;
        }
        for (int k = 0; k < 2; ++k) {
          auto reply = (*writer)->Receive();
          if (!reply.ok() || reply->type() != MessageType::kResult) {
            failures.fetch_add(1);
            break;
          }
          if (reply->request_id() != *f) continue;
          auto m = net::DecodeResult(reply->payload);
          auto result = m.ok() ? query::QueryResult::Decode(m->blocks) : Result<query::QueryResult>(m.status());
          if (!result.ok() || result->entities[0].rows != 1) missing.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(missing.load(), 0) << "acknowledged writes not visible";
  auto c = Connect();
  EXPECT_EQ(query::ToJson(*c->Fetch(R"({"count":"User"})")), std::to_string(kWriters * kEach));
  // Six writers on two loops keep them busy: the deferred path ran.
  EXPECT_GT(ScrapeCounter(*server_, "ormdb_commits_deferred_total"), 0u);
}

TEST_F(ServerTest, MetricsEndpointServesPrometheusText) {
  StartServer({"--metrics", "0"});
  auto c = Connect();
  ASSERT_TRUE(c->Fetch(R"({"count":"User"})").ok());
  const std::string out = server_->Output();
  size_t at = out.find("metrics at http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out;
  const int port = std::stoi(out.substr(at + std::string("metrics at http://127.0.0.1:").size()));
  RawConnection http(static_cast<uint16_t>(port));
  http.Send("GET /metrics HTTP/1.0\r\n\r\n");
  std::string body;
  char buf[4096];
  for (ssize_t n; (n = ::recv(http.fd(), buf, sizeof buf, 0)) > 0;) body.append(buf, static_cast<size_t>(n));
  EXPECT_TRUE(body.starts_with("HTTP/1.0 200 OK")) << body;
  EXPECT_NE(body.find("ormdb_requests_total{type=\"Fetch\"} 1"), std::string::npos) << body;
  EXPECT_NE(body.find("ormdb_commits_total"), std::string::npos);
  EXPECT_NE(body.find("ormdb_page_cache_hits_total"), std::string::npos);
  EXPECT_NE(body.find("ormdb_pages_read_ahead_total"), std::string::npos);
  EXPECT_NE(body.find("ormdb_wal_size_bytes"), std::string::npos);
}

}  // namespace
}  // namespace ormdb
