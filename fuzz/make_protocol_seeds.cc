// Writes seed inputs for the protocol fuzzers (docs/protocol.md). They are
// generated rather than committed because every frame carries a checksum
// and compressed payloads depend on the zstd version: generated seeds always
// match the current codec.
//
//   make_protocol_seeds <corpus dir> frame      frame_decoder_fuzzer: byte streams of frames
//   make_protocol_seeds <corpus dir> message    message_decoder_fuzzer: a selector byte, then a payload
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/protocol_messages.h"
#include "net/protocol.h"
#include "query/binary_form.h"
#include "util/json.h"

using namespace ormdb;
using namespace ormdb::net;

namespace {

struct Message {
  std::string name;
  MessageType type;
  std::string payload;
};

// A result payload: a version, then bytes that stand for result blocks.
std::string ResultPayload(std::string_view blocks) {
  std::string p;
  AppendResult(&p, 17, blocks);
  return p;
}

std::string Rows(size_t n) {
  std::string s;
  while (s.size() < n) s += "{\"id\":" + std::to_string(s.size()) + ",\"title\":\"hello world\"},";
  return s;
}

std::vector<Message> Messages() {
  Welcome w;
  w.features = kFeatureZstd;
  w.session_id = 3;
  w.max_frame_bytes = 64u << 20;
  w.max_in_flight = 256;
  w.idle_timeout_ms = 600'000;
  w.query_timeout_ms = 30'000;
  w.max_rows_read = 10'000'000;
  w.max_rows_returned = 1'000'000;
  w.commit_version = 12;
  w.server_version = "ormdb 0.1.0";
  const std::string binary_request =
      query::EncodeBinaryRequest(*json::Parse(R"({"findMany":"User","where":{"id":{"in":[1,2]}},"take":10})"));
  std::string changes;
  AppendChanges(&changes, 5, 1, R"({"token":5,"changes":[{"version":5,"model":"User","op":"create","key":{"id":1}}]})");
  return {
      {"hello", MessageType::kHello, EncodeHello({1, 1, kFeatureZstd, "ormdb", "secret", "ormdb-shell"})},
      {"welcome", MessageType::kWelcome, EncodeWelcome(w)},
      {"fetch-json", MessageType::kFetch,
       EncodeQuery({RequestEncoding::kJson, R"({"findMany":"User","include":{"posts":true}})"})},
      {"fetch-binary", MessageType::kFetch, EncodeQuery({RequestEncoding::kBinary, binary_request})},
      {"mutate", MessageType::kMutate,
       EncodeQuery({RequestEncoding::kJson, R"({"create":"User","data":{"email":"a@x.org"}})"})},
      {"explain", MessageType::kExplain, EncodeQuery({RequestEncoding::kJson, R"({"findMany":"Post"})"})},
      {"begin", MessageType::kBegin, ""},
      {"commit", MessageType::kCommit, ""},
      {"rollback", MessageType::kRollback, ""},
      {"get-schema", MessageType::kGetSchema, ""},
      {"migrate-plan", MessageType::kMigratePlan, EncodeMigrate({false, "blog.prisma", "model User {\n  id Int @id\n}\n"})},
      {"migrate-apply", MessageType::kMigrateApply, EncodeMigrate({true, "blog.prisma", "model User {\n  id Int @id\n}\n"})},
      {"ping", MessageType::kPing, "ping"},
      {"cancel", MessageType::kCancel, EncodeCancel({2})},
      {"error", MessageType::kError,
       EncodeError({ErrorCode::kInvalidRequest, "expected String, got 42", "include.posts.where.title"})},
      {"result", MessageType::kResult, ResultPayload("ORMR\x01\x00\x00\x00")},
      {"ok", MessageType::kOk, EncodeOk({12})},
      {"schema", MessageType::kSchema, EncodeSchema({2, "model User {\n  id Int @id\n}\n"})},
      {"plan", MessageType::kPlan, EncodePlan({'B', "add index User(email): grade B"})},
      {"migrated", MessageType::kMigrated, EncodeMigrated({3, "1 step applied"})},
      {"pong", MessageType::kPong, "ping"},
      {"subscribe", MessageType::kSubscribe, EncodeQuery({RequestEncoding::kJson, R"({"models":["User"],"after":3})"})},
      {"subscribed", MessageType::kSubscribed, EncodeSubscribed({3, 1})},
      {"changes", MessageType::kChanges, changes},
      {"lagging", MessageType::kError, EncodeError({ErrorCode::kSubscriberLagging, "behind", "", 9})},
  };
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "make_protocol_seeds: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

void WriteFrameSeeds(const std::string& dir) {
  uint64_t id = 1;
  // One frame per message type.
  for (const Message& m : Messages()) {
    std::string frame;
    AppendFrame(&frame, m.type, id++, m.payload);
    Write(dir + "/" + m.name, frame);
  }
  // A session as a client sends it: handshake, pipelined requests, a
  // transaction, a cancel.
  std::string session;
  for (const Message& m : Messages()) {
    if (static_cast<uint8_t>(m.type) < 0x80) AppendFrame(&session, m.type, id++, m.payload);
  }
  Write(dir + "/client-session", session);
  // Replies as a server sends them, the large one compressed.
  std::string replies;
  AppendFrame(&replies, MessageType::kWelcome, 1, Messages()[1].payload);
  AppendFrame(&replies, MessageType::kResult, 2, ResultPayload(Rows(6000)), true);
  AppendFrame(&replies, MessageType::kError, 0, EncodeError({ErrorCode::kIdleTimeout, "closed after 600000 ms", ""}));
  Write(dir + "/server-replies", replies);
  // A compressed request on its own.
  std::string compressed;
  AppendFrame(&compressed, MessageType::kFetch, 9,
              EncodeQuery({RequestEncoding::kJson, "{\"findMany\":\"User\",\"where\":" + Rows(4500) + "}"}), true);
  Write(dir + "/compressed-fetch", compressed);
}

void WriteMessageSeeds(const std::string& dir) {
  for (const Message& m : Messages()) {
    std::string input(1, static_cast<char>(fuzz::SelectorFor(m.type)));
    input += m.payload;
    Write(dir + "/" + m.name, input);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[2], "frame") != 0 && std::strcmp(argv[2], "message") != 0)) {
    std::fprintf(stderr, "usage: %s <corpus dir> frame|message\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  if (std::strcmp(argv[2], "frame") == 0) {
    WriteFrameSeeds(dir);
  } else {
    WriteMessageSeeds(dir);
  }
  return 0;
}
