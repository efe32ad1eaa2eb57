// What the protocol fuzzers share: the decoder for each message type, and
// the check that whatever decodes encodes back to the same bytes and
// decodes again to the same fields (docs/protocol.md: every encoding is
// canonical, so a decoded message has exactly one encoding).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>

#include "net/protocol.h"

namespace ormdb::net::fuzz {

// Every message type, in wire-code order; message_decoder_fuzzer's first
// byte picks one (modulo the count), so every byte value picks a decoder.
inline constexpr MessageType kAllMessageTypes[] = {
    MessageType::kHello,     MessageType::kFetch,       MessageType::kMutate,       MessageType::kBegin,
    MessageType::kCommit,    MessageType::kRollback,    MessageType::kExplain,      MessageType::kGetSchema,
    MessageType::kMigratePlan, MessageType::kMigrateApply, MessageType::kPing,      MessageType::kCancel,
    MessageType::kError,     MessageType::kWelcome,     MessageType::kResult,       MessageType::kOk,
    MessageType::kSchema,    MessageType::kPlan,        MessageType::kMigrated,     MessageType::kPong,
    MessageType::kSubscribe, MessageType::kSubscribed,  MessageType::kChanges,
};

inline uint8_t SelectorFor(MessageType t) {
  for (size_t i = 0; i < std::size(kAllMessageTypes); ++i) {
    if (kAllMessageTypes[i] == t) return static_cast<uint8_t>(i);
  }
  std::abort();
}

[[noreturn]] inline void Fail(MessageType t, const char* what, const Status& st = Status::OK()) {
  std::fprintf(stderr, "%s: %s %s\n", std::string(MessageTypeName(t)).c_str(), what, st.ToString().c_str());
  std::abort();
}

inline auto Fields(const Hello& m) {
  return std::tie(m.min_version, m.max_version, m.features, m.user, m.password, m.client_name);
}
inline auto Fields(const Welcome& m) {
  return std::tie(m.version, m.features, m.session_id, m.max_frame_bytes, m.max_in_flight, m.idle_timeout_ms,
                  m.query_timeout_ms, m.max_rows_read, m.max_rows_returned, m.commit_version, m.server_version);
}
inline auto Fields(const QueryMessage& m) { return std::tie(m.encoding, m.request); }
inline auto Fields(const MigrateMessage& m) { return std::tie(m.allow_destructive, m.file_name, m.schema_text); }
inline auto Fields(const CancelMessage& m) { return std::tie(m.target); }
inline auto Fields(const ErrorMessage& m) { return std::tie(m.code, m.message, m.path, m.token); }
inline auto Fields(const SubscribedMessage& m) { return std::tie(m.token, m.horizon); }
inline auto Fields(const ResultMessage& m) { return std::tie(m.version, m.blocks); }
inline auto Fields(const OkMessage& m) { return std::tie(m.version); }
inline auto Fields(const SchemaMessage& m) { return std::tie(m.version, m.text); }
inline auto Fields(const PlanMessage& m) { return std::tie(m.grade, m.text); }
inline auto Fields(const MigratedMessage& m) { return std::tie(m.version, m.report); }

// A decoded message re-encodes to the payload it came from, and that
// decodes to the same fields.
template <typename M>
void CheckRoundTrip(MessageType t, std::string_view payload, const Result<M>& decoded,
                    Result<M> (*decode)(std::string_view), std::string (*encode)(const M&)) {
  if (!decoded.ok()) {
    if (!decoded.status().IsInvalidArgument()) Fail(t, "refused without InvalidArgument:", decoded.status());
    return;
  }
  const std::string again = encode(*decoded);
  if (again != payload) Fail(t, "re-encodes to different bytes");
  Result<M> redecoded = decode(again);
  if (!redecoded.ok()) Fail(t, "re-encoded message does not decode:", redecoded.status());
  if (Fields(*redecoded) != Fields(*decoded)) Fail(t, "re-encoded message decodes to different fields");
}

// Decodes `payload` (uncompressed) as the body of a `t` message, as the
// server or the client would, and checks the round trip of what decodes.
inline void DecodeAndCheck(MessageType t, std::string_view payload) {
  switch (t) {
    case MessageType::kHello:
      return CheckRoundTrip(t, payload, DecodeHello(payload), DecodeHello, EncodeHello);
    case MessageType::kWelcome:
      return CheckRoundTrip(t, payload, DecodeWelcome(payload), DecodeWelcome, EncodeWelcome);
    case MessageType::kFetch:
    case MessageType::kMutate:
    case MessageType::kExplain:
    case MessageType::kSubscribe:
      return CheckRoundTrip(t, payload, DecodeQuery(payload), DecodeQuery, EncodeQuery);
    case MessageType::kMigratePlan:
    case MessageType::kMigrateApply:
      return CheckRoundTrip(t, payload, DecodeMigrate(payload), DecodeMigrate, EncodeMigrate);
    case MessageType::kCancel:
      return CheckRoundTrip(t, payload, DecodeCancel(payload), DecodeCancel, EncodeCancel);
    case MessageType::kError:
      return CheckRoundTrip(t, payload, DecodeError(payload), DecodeError, EncodeError);
    case MessageType::kOk:
      return CheckRoundTrip(t, payload, DecodeOk(payload), DecodeOk, EncodeOk);
    case MessageType::kSchema:
      return CheckRoundTrip(t, payload, DecodeSchema(payload), DecodeSchema, EncodeSchema);
    case MessageType::kPlan:
      return CheckRoundTrip(t, payload, DecodePlan(payload), DecodePlan, EncodePlan);
    case MessageType::kMigrated:
      return CheckRoundTrip(t, payload, DecodeMigrated(payload), DecodeMigrated, EncodeMigrated);
    case MessageType::kSubscribed:
      return CheckRoundTrip(t, payload, DecodeSubscribed(payload), DecodeSubscribed, EncodeSubscribed);
    case MessageType::kChanges: {
      Result<ChangesMessage> m = DecodeChanges(payload);
      if (!m.ok()) {
        if (!m.status().IsInvalidArgument()) Fail(t, "refused without InvalidArgument:", m.status());
        return;
      }
      std::string again;
      AppendChanges(&again, m->token, m->count, m->json);
      if (again != payload) Fail(t, "re-encodes to different bytes");
      return;
    }
    case MessageType::kResult: {
      Result<ResultMessage> m = DecodeResult(payload);
      if (!m.ok()) {
        if (!m.status().IsInvalidArgument()) Fail(t, "refused without InvalidArgument:", m.status());
        return;
      }
      // The blocks borrow from the payload: copy them before encoding.
      const std::string blocks(m->blocks);
      std::string again;
      AppendResult(&again, m->version, blocks);
      if (again != payload) Fail(t, "re-encodes to different bytes");
      Result<ResultMessage> redecoded = DecodeResult(again);
      if (!redecoded.ok()) Fail(t, "re-encoded message does not decode:", redecoded.status());
      if (redecoded->version != m->version || redecoded->blocks != blocks) {
        Fail(t, "re-encoded message decodes to different fields");
      }
      return;
    }
    case MessageType::kBegin:
    case MessageType::kCommit:
    case MessageType::kRollback:
    case MessageType::kGetSchema: {
      Status st = DecodeEmpty(payload, t);
      if (st.ok() != payload.empty()) Fail(t, "DecodeEmpty disagrees with the payload's size:", st);
      return;
    }
    case MessageType::kPing:
    case MessageType::kPong:
      return;  // opaque bytes, echoed as they are
  }
  Fail(t, "has no decoder");
}

}  // namespace ormdb::net::fuzz
