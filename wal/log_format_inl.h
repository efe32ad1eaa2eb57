// Template part of log_format.h.
#pragma once

#include "util/coding.h"

namespace ormdb::wal {

constexpr uint8_t kOpPut = 1;
constexpr uint8_t kOpDelete = 2;

template <typename Fn>
Status DecodeWriteSet(std::string_view payload, const std::string& where, Fn&& fn) {
  // Pass 1 checks everything; pass 2 hands the operations out.
  for (int pass = 0; pass < 2; ++pass) {
    std::string_view in = payload;
    uint64_t count;
    if (!coding::GetVarint64(&in, &count)) return Status::Corruption(where + ": write set: bad operation count");
    for (uint64_t i = 0; i < count; ++i) {
    auto bad = [&](const char* what) {
      return Status::Corruption(where + ": write set: operation " + std::to_string(i) + ": " + what);
    };
    if (in.empty()) return bad("missing");
    uint8_t op = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (op != kOpPut && op != kOpDelete) return bad("unknown kind");
    uint64_t klen;
    if (!coding::GetVarint64(&in, &klen) || klen > in.size()) return bad("bad key length");
    WriteOp w{op == kOpDelete, in.substr(0, klen), {}};
    in.remove_prefix(klen);
    if (op == kOpPut) {
      uint64_t vlen;
      if (!coding::GetVarint64(&in, &vlen) || vlen > in.size()) return bad("bad value length");
      w.value = in.substr(0, vlen);
      in.remove_prefix(vlen);
    }
      if (pass == 1) RETURN_IF_ERROR(fn(w));
    }
    if (!in.empty()) {
      return Status::Corruption(where + ": write set: " + std::to_string(in.size()) + " trailing bytes");
    }
  }
  return Status::OK();
}

}  // namespace ormdb::wal
