// Change streams over arbitrary input: a subscription spec and a stored
// value of a commit's change events (docs/change-streams.md), both damaged
// at will, rendered as a subscriber's page against a fixed schema. A bad
// spec is InvalidArgument, a bad value Corruption (or InvalidArgument for a
// record of another schema version); never a crash or a read out of bounds,
// and what renders is valid JSON.
//
// Input: the spec's JSON text, a 0 byte, then the stored value. Without a
// 0 byte the spec is {} and the whole input is the value.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/changes.h"
#include "util/json.h"

using namespace ormdb;

namespace {

constexpr char kSchema[] = R"(
enum Role {
  USER
  ADMIN @map("administrator")
}

model User {
  id      Int      @id
  email   String   @unique
  role    Role     @default(USER)
  score   Float?
  balance Decimal?
  born    DateTime?
  avatar  Bytes?
  extra   Json?
  key     String?  @db.Uuid
  posts   Post[]
}

model Post {
  id       BigInt  @id
  title    String
  author   User    @relation(fields: [authorId], references: [id])
  authorId Int
}
)";

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "change_stream_fuzzer: %s\n", what.c_str());
  std::abort();
}

std::shared_ptr<const engine::Catalog> TheCatalog() {
  static std::shared_ptr<const engine::Catalog> c = [] {
    auto r = engine::Catalog::Build(1, "fuzz.prisma", kSchema, engine::IdTable());
    if (!r.ok()) Fail(r.status().ToString());
    return std::move(r).value();
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view spec_text = "{}", value = in;
  if (size_t zero = in.find('\0'); zero != std::string_view::npos) {
    spec_text = in.substr(0, zero);
    value = in.substr(zero + 1);
  }
  Result<json::Value> spec = json::Parse(spec_text);
  if (!spec.ok()) return 0;
  Result<engine::ChangePage> page = engine::Subscription::RenderStored(*spec, TheCatalog(), 7, value);
  if (!page.ok()) {
    if (!page.status().IsInvalidArgument() && !page.status().IsCorruption()) {
      Fail("unexpected error: " + page.status().ToString());
    }
    return 0;
  }
  if (!json::Parse(page->json()).ok()) Fail("rendered invalid JSON: " + std::string(page->json()));
  return 0;
}
