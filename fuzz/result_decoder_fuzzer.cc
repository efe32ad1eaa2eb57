// The result layout (docs/result-format.md) over arbitrary bytes, as a
// client reads what a server sent: decoding either succeeds or fails with a
// Status, never a crash or a read out of bounds; whatever decodes renders
// as JSON and encodes to bytes that decode to the same answer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "query/result.h"

using namespace ormdb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<query::QueryResult> r = query::QueryResult::Decode(bytes);
  if (!r.ok()) return 0;
  // Shared rows render under every parent: a small input can expand
  // without bound, which a client checks before rendering.
  if (query::RenderedRows(*r) > 100000) return 0;
  const std::string json = query::ToJson(*r);
  Result<query::QueryResult> again = query::QueryResult::Decode(r->Encode());
  if (!again.ok()) {
    std::fprintf(stderr, "re-encoded result does not decode: %s\n", again.status().ToString().c_str());
    std::abort();
  }
  if (query::ToJson(*again) != json) {
    std::fprintf(stderr, "re-encoded result renders differently\n");
    std::abort();
  }
  return 0;
}
