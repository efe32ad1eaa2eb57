// The binary form of requests over arbitrary bytes: decoding either gives a
// value or fails with a Status naming the byte, never a crash, a read out of
// bounds or runaway memory; a decoded value encodes to bytes that decode to
// an equal value, and binds against the blog schema or fails with
// InvalidArgument.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "query/binary_form.h"
#include "schema/resolve.h"

using namespace ormdb;

namespace {

const schema::Schema& Blog() {
  static const schema::Schema s = [] {
    std::ifstream in(std::string(ORMDB_SCHEMA_DIR) + "/blog.prisma");
    std::stringstream text;
    text << in.rdbuf();
    auto r = schema::LoadSchema(text.str(), "blog.prisma");
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<json::Value> v = query::DecodeBinaryRequest(bytes);
  if (!v.ok()) {
    if (!v.status().IsInvalidArgument() && !v.status().IsNotSupported()) {
      std::fprintf(stderr, "unexpected status: %s\n", v.status().ToString().c_str());
      std::abort();
    }
    return 0;
  }
  Result<json::Value> again = query::DecodeBinaryRequest(query::EncodeBinaryRequest(*v));
  if (!again.ok() || !(*again == *v)) {
    std::fprintf(stderr, "re-encoded request decodes differently\n");
    std::abort();
  }
  Result<query::Request> req = query::ParseRequest(*v, Blog());
  if (!req.ok() && !req.status().IsInvalidArgument()) {
    std::fprintf(stderr, "bind failed without InvalidArgument: %s\n", req.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
