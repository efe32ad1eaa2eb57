// Little-endian fixed-width and LEB128 varint coding. Decoders take the bytes
// that remain and never read past them: every caller decoding outside input
// (a page from disk, a frame from the network) gets a bounds-checked answer.
#pragma once

#include <cstdint>
#include <bit>
#include <cstring>
#include <string>
#include <string_view>

namespace ormdb::coding {

inline void EncodeFixed16(char* dst, uint16_t v) { std::memcpy(dst, &v, 2); }
inline void EncodeFixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, 4); }
inline void EncodeFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, 8); }
// Big-endian, for keys that sort by the number.
inline void EncodeFixed64BE(char* dst, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) dst[i] = static_cast<char>(v & 0xff);
}
inline uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline uint16_t DecodeFixed16(const char* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
inline uint32_t DecodeFixed32(const char* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint64_t DecodeFixed64(const char* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
static_assert(std::endian::native == std::endian::little, "ormDB's formats are little-endian; port the coders first");

inline void PutFixed32(std::string* dst, uint32_t v) { char b[4]; EncodeFixed32(b, v); dst->append(b, 4); }
inline void PutFixed64(std::string* dst, uint64_t v) { char b[8]; EncodeFixed64(b, v); dst->append(b, 8); }

constexpr int kMaxVarint64Bytes = 10;

// Writes v at dst (which has room for kMaxVarint64Bytes); returns the end.
inline char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

inline int VarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) { v >>= 7; ++n; }
  return n;
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  char b[kMaxVarint64Bytes];
  dst->append(b, EncodeVarint64(b, v) - b);
}

// Decodes a varint from [p, limit). Returns the byte after it, or nullptr when
// the input ends early or the varint is longer than 10 bytes / overflows.
inline const char* DecodeVarint64(const char* p, const char* limit, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    if (shift == 63 && byte > 1) return nullptr;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// Consumes a varint from the front of *in; false when malformed.
inline bool GetVarint64(std::string_view* in, uint64_t* v) {
  const char* end = DecodeVarint64(in->data(), in->data() + in->size(), v);
  if (end == nullptr) return false;
  in->remove_prefix(end - in->data());
  return true;
}

inline bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

}  // namespace ormdb::coding
