// The schema language over arbitrary text. Parsing and resolving either
// succeed or return a Status whose message names the file and a position;
// they never crash or hang, whatever the nesting, numbers or strings. And
// whatever resolves prints to canonical text that resolves again and prints
// the same: Print(Load(Print(s))) == Print(s).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "schema/print.h"
#include "schema/resolve.h"

using namespace ormdb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto schema = schema::LoadSchema(text, "fuzz.prisma");
  if (!schema.ok()) {
    if (schema.status().message().rfind("fuzz.prisma:", 0) != 0) {
      std::fprintf(stderr, "error without a location: %s\n", schema.status().ToString().c_str());
      std::abort();
    }
    return 0;
  }
  const std::string printed = schema::Print(*schema);
  auto again = schema::LoadSchema(printed, "printed.prisma");
  if (!again.ok()) {
    std::fprintf(stderr, "canonical text does not load: %s\n--- text\n%s", again.status().ToString().c_str(),
                 printed.c_str());
    std::abort();
  }
  const std::string reprinted = schema::Print(*again);
  if (reprinted != printed) {
    std::fprintf(stderr, "canonical text is not stable\n--- first\n%s--- second\n%s", printed.c_str(),
                 reprinted.c_str());
    std::abort();
  }
  return 0;
}
