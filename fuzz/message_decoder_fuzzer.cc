// The message decoders of net/protocol.h over arbitrary payloads, past the
// frame layer: the first byte picks the message type (an index into
// fuzz::kAllMessageTypes, modulo its size), the rest is the payload. A
// decoder either gives a message or fails with InvalidArgument naming the
// field, never a crash or a read out of bounds; what decodes re-encodes to
// the same bytes and decodes to the same fields.
#include <cstdint>
#include <iterator>
#include <string_view>

#include "fuzz/protocol_messages.h"

using namespace ormdb::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const MessageType t = fuzz::kAllMessageTypes[data[0] % std::size(fuzz::kAllMessageTypes)];
  fuzz::DecodeAndCheck(t, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
