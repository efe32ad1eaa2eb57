// Requests in their JSON text form over arbitrary bytes, read against the
// corpus blog schema and run on a small database in a transaction that is
// rolled back. Reading either binds the request or fails with
// InvalidArgument; running it either answers or fails with a Status, never
// a crash; and every answer survives the result layout unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "engine/database.h"
#include "fuzz/scratch_dir.h"
#include "query/parser.h"
#include "query/result.h"

using namespace ormdb;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "query_request_fuzzer: %s\n", what.c_str());
  std::abort();
}

engine::Database& Db() {
  static std::unique_ptr<engine::Database> db = [] {
    engine::DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    auto opened = engine::Database::Open(fuzz::ScratchDir("query_request_fuzzer"), o);
    if (!opened.ok()) Fail(opened.status().ToString());
    std::ifstream in(std::string(ORMDB_SCHEMA_DIR) + "/blog.prisma");
    std::stringstream text;
    text << in.rdbuf();
    if (!(*opened)->InstallSchema("blog.prisma", text.str()).ok()) Fail("cannot install the blog schema");
    // A few rows, so relations and filters have something to find.
    const char* seed[] = {
        R"({"create":"User","data":{"email":"a@x","name":"A","role":"ADMIN","profile":{"create":{"bio":"b"}},
            "posts":{"create":[{"title":"t1","slug":"s1","published":true,"views":3},{"title":"t2","slug":"s2"}]}}})",
        R"({"create":"User","data":{"email":"b@x","posts":{"create":{"title":"t3","slug":"s3",
            "tags":{"create":[{"label":"x"},{"label":"y"}]},"category":{"create":{"name":"c"}}}}}})",
        R"({"create":"Comment","data":{"body":"hi","postId":1,"authorId":2}})",
        R"({"create":"Comment","data":{"body":"re","postId":1,"authorId":1,"parentId":1}})",
    };
    for (const char* r : seed) {
      auto done = (*opened)->Execute(r);
      if (!done.ok()) Fail("seed: " + done.status().ToString());
    }
    return std::move(opened).value();
  }();
  return *db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  engine::Database& db = Db();
  auto txn = db.Begin();
  Result<query::Request> req = query::ParseRequest(text, txn->catalog().schema());
  if (!req.ok()) {
    if (!req.status().IsInvalidArgument() || req.status().message().empty()) {
      Fail("a request error that is not a clear InvalidArgument: " + req.status().ToString());
    }
    return 0;
  }
  query::ExecuteOptions o;
  o.max_rows_read = 100000;
  Result<query::QueryResult> r = txn->Execute(*req, o);
  if (r.ok()) {
    const std::string bytes = r->Encode();
    Result<query::QueryResult> back = query::QueryResult::Decode(bytes);
    if (!back.ok()) Fail("an answer that does not decode: " + back.status().ToString());
    if (query::ToJson(*back) != query::ToJson(*r)) Fail("an answer that changes through its layout");
  } else if (r.status().message().empty()) {
    Fail("an error without a message");
  }
  txn->Rollback();
  return 0;
}
