// The frame layer (docs/protocol.md) over an arbitrary byte stream, read as
// the server's event loop and the client read a connection: header, payload
// length, checksum, decompression, then the message decoder for the
// header's type. Nothing crashes, reads out of bounds or allocates more than
// the frame limit allows; every message that decodes re-encodes to the same
// bytes and decodes to the same fields; every frame that decodes is framed
// again by AppendFrame to one that decodes to the same type, id and payload.
//
// A mutation rarely keeps a frame's checksum right, so the custom mutator
// re-seals the checksum of every frame it can delimit in most mutated inputs
// (seven in eight): the decoders behind the checksum get fuzzed, and the
// checksum check still sees damaged frames.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/protocol_messages.h"
#include "net/protocol.h"
#include "util/checksum.h"
#include "util/coding.h"

using namespace ormdb;
using namespace ormdb::net;

namespace {

constexpr uint32_t kFuzzMaxPayloadBytes = 1u << 20;

[[noreturn]] void Die(const char* what, const Status& st = Status::OK()) {
  std::fprintf(stderr, "frame_decoder_fuzzer: %s %s\n", what, st.ToString().c_str());
  std::abort();
}

// AppendFrame of the decoded payload gives a frame that reads back the same.
void CheckReframe(const FrameHeader& h, std::string_view payload) {
  std::string frame;
  AppendFrame(&frame, h.type, h.request_id, payload, (h.flags & kFlagCompressed) != 0);
  const std::string_view header(frame.data(), kFrameHeaderBytes);
  const std::string_view wire = std::string_view(frame).substr(kFrameHeaderBytes);
  Result<FrameHeader> again = DecodeFrameHeader(header, kFuzzMaxPayloadBytes);
  if (!again.ok()) Die("re-framed header does not decode:", again.status());
  if (again->type != h.type || again->request_id != h.request_id || again->raw_length != payload.size()) {
    Die("re-framed header differs");
  }
  if (Status st = CheckPayload(*again, header, wire); !st.ok()) Die("re-framed payload fails its check:", st);
  std::string scratch;
  Result<std::string_view> p = PayloadBytes(*again, wire, &scratch);
  if (!p.ok()) Die("re-framed payload does not decode:", p.status());
  if (*p != payload) Die("re-framed payload differs");
}

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 8 == 0) return size;
  char* p = reinterpret_cast<char*>(data);
  for (size_t at = 0; size - at >= kFrameHeaderBytes;) {
    const uint32_t length = coding::DecodeFixed32(p + at + 16);
    if (length > size - at - kFrameHeaderBytes) break;
    const uint64_t sum =
        Checksum64(p + at + kFrameHeaderBytes, length, Checksum64(p + at, 24));
    coding::EncodeFixed64(p + at + 24, sum);
    at += kFrameHeaderBytes + length;
  }
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  while (in.size() >= kFrameHeaderBytes) {
    const std::string_view header = in.substr(0, kFrameHeaderBytes);
    Result<FrameHeader> h = DecodeFrameHeader(header, kFuzzMaxPayloadBytes);
    // A bad header ends the connection: nothing after it is a frame boundary.
    if (!h.ok()) return 0;
    if (h->payload_length > kFuzzMaxPayloadBytes || h->raw_length > kFuzzMaxPayloadBytes) Die("a length past the limit");
    in.remove_prefix(kFrameHeaderBytes);
    if (in.size() < h->payload_length) return 0;  // the rest has not arrived
    const std::string_view payload = in.substr(0, h->payload_length);
    in.remove_prefix(h->payload_length);
    if (!CheckPayload(*h, header, payload).ok()) return 0;  // the connection closes here too
    Result<std::string_view> p = PayloadBytes(*h, payload, &scratch);
    if (!p.ok()) {
      if (!(h->flags & kFlagCompressed)) Die("an uncompressed payload was refused:", p.status());
      continue;  // a Protocol error for this request; the next frame is read
    }
    if (p->size() != h->raw_length) Die("the payload is not raw_length bytes");
    CheckReframe(*h, *p);
    fuzz::DecodeAndCheck(h->type, *p);
  }
  return 0;
}
