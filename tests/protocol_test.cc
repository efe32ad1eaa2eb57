// net/protocol.h, the wire codec of docs/protocol.md: every message round
// trips through its encoder and decoder; a frame round trips through
// AppendFrame, DecodeFrameHeader, CheckPayload and PayloadBytes, compressed
// or not; every header field, when wrong, is refused with an error naming
// it; the decoders refuse cut-off payloads, trailing bytes and text that is
// not UTF-8 without reading past their input; and errors map between engine
// Statuses and wire codes.
#include "net/protocol.h"

#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "net/client.h"
#include "util/coding.h"

namespace ormdb::net {
namespace {

// Header field offsets as docs/protocol.md lays them out.
constexpr size_t kMagicAt = 0;
constexpr size_t kVersionAt = 4;
constexpr size_t kTypeAt = 5;
constexpr size_t kFlagsAt = 6;
constexpr size_t kRequestIdAt = 8;
constexpr size_t kPayloadLengthAt = 16;
constexpr size_t kRawLengthAt = 20;
constexpr size_t kChecksumAt = 24;

constexpr uint32_t kLimitBytes = 1u << 20;

bool Contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

std::string Frame(MessageType type, uint64_t request_id, std::string_view payload, bool compress = false) {
  std::string out;
  AppendFrame(&out, type, request_id, payload, compress);
  return out;
}

std::string_view HeaderOf(std::string_view frame) { return frame.substr(0, kFrameHeaderBytes); }
std::string_view PayloadOf(std::string_view frame) { return frame.substr(kFrameHeaderBytes); }

// The checksum as the document defines it, computed apart from the code
// under test: XXH3-64 of header bytes 0..23 seeds XXH3-64 of the payload.
uint64_t DocumentedChecksum(std::string_view frame) {
  const uint64_t seed = XXH3_64bits(frame.data(), 24);
  const std::string_view payload = PayloadOf(frame);
  return XXH3_64bits_withSeed(payload.data(), payload.size(), seed);
}

// Rewrites the checksum after a test edited the header or payload, so the
// edit is what a check sees rather than a checksum mismatch.
void Reseal(std::string* frame) { coding::EncodeFixed64(frame->data() + kChecksumAt, DocumentedChecksum(*frame)); }

void Put16(std::string* frame, size_t at, uint16_t v) { coding::EncodeFixed16(frame->data() + at, v); }
void Put32(std::string* frame, size_t at, uint32_t v) { coding::EncodeFixed32(frame->data() + at, v); }

// The message of DecodeFrameHeader's refusal of `frame`'s header.
std::string HeaderErrorOf(std::string_view frame, uint32_t limit = kLimitBytes) {
  Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(frame), limit);
  EXPECT_FALSE(h.ok()) << "the header decoded";
  return h.ok() ? "" : h.status().message();
}

// Decodes a whole frame as a receiver does; the payload as the decoders see it.
Result<std::string> ReceiveFrame(std::string_view frame, FrameHeader* header = nullptr) {
  ASSIGN_OR_RETURN(FrameHeader h, DecodeFrameHeader(HeaderOf(frame), kLimitBytes));
  RETURN_IF_ERROR(CheckPayload(h, HeaderOf(frame), PayloadOf(frame)));
  std::string scratch;
  ASSIGN_OR_RETURN(std::string_view p, PayloadBytes(h, PayloadOf(frame), &scratch));
  if (header != nullptr) *header = h;
  return std::string(p);
}

std::string Compressible(size_t n) {
  std::string s;
  while (s.size() < n) s += "{\"id\":" + std::to_string(s.size() % 97) + ",\"title\":\"hello\"},";
  s.resize(n);
  return s;
}

std::string Incompressible(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Every decoder, by the message it reads, with a valid encoding of one.
struct Sample {
  std::string name;
  std::string payload;
  std::function<Status(std::string_view)> decode;
  bool rest_is_free_form = false;  // the last field runs to the payload's end
  size_t fixed_bytes = 0;          // with rest_is_free_form: the bytes before it
};

template <typename T>
std::function<Status(std::string_view)> StatusOf(Result<T> (*decode)(std::string_view)) {
  return [decode](std::string_view p) { return decode(p).status(); };
}

Hello SampleHello() { return Hello{1, 1, kFeatureZstd, "zoë", "s3cret 🔑", "ormdb-shell"}; }

Welcome SampleWelcome() {
  Welcome w;
  w.version = 1;
  w.features = kFeatureZstd;
  w.session_id = 0x0102030405060708;
  w.max_frame_bytes = 64u << 20;
  w.max_in_flight = 256;
  w.idle_timeout_ms = 600'000;
  w.query_timeout_ms = 30'000;
  w.max_rows_read = 10'000'000;
  w.max_rows_returned = 1'000'000;
  w.commit_version = 0xfedcba9876543210;
  w.server_version = "ormdb 0.1.0";
  return w;
}

std::vector<Sample> AllSamples() {
  std::string result;
  AppendResult(&result, 42, "ORMR-blocks");
  std::string changes;
  AppendChanges(&changes, 1234, 1, R"({"token":1234,"changes":[{"version":1234}]})");
  return {
      {"Hello", EncodeHello(SampleHello()), StatusOf(DecodeHello)},
      {"Welcome", EncodeWelcome(SampleWelcome()), StatusOf(DecodeWelcome)},
      {"Query", EncodeQuery({RequestEncoding::kJson, R"({"findMany":"User"})"}), StatusOf(DecodeQuery), true, 1},
      {"Migrate", EncodeMigrate({true, "blog.prisma", "model User { id Int @id }"}), StatusOf(DecodeMigrate)},
      {"Cancel", EncodeCancel({7}), StatusOf(DecodeCancel)},
      {"Error", EncodeError({ErrorCode::kConflict, "write conflict", "data.title"}), StatusOf(DecodeError)},
      {"Result", result, StatusOf(DecodeResult), true, 8},
      {"Ok", EncodeOk({99}), StatusOf(DecodeOk)},
      {"Schema", EncodeSchema({3, "model User { id Int @id }"}), StatusOf(DecodeSchema)},
      {"Plan", EncodePlan({'B', "add index User(email)"}), StatusOf(DecodePlan)},
      {"Migrated", EncodeMigrated({4, "1 step applied"}), StatusOf(DecodeMigrated)},
      {"Error", EncodeError({ErrorCode::kSubscriberLagging, "fell behind", "", 77}), StatusOf(DecodeError)},
      {"Subscribed", EncodeSubscribed({10, 3}), StatusOf(DecodeSubscribed)},
      {"Changes", changes, StatusOf(DecodeChanges), true, 12},
  };
}

// A copy of `bytes` in a heap block of exactly its size, so that AddressSanitizer
// catches a decoder reading one byte past its input.
struct ExactCopy {
  explicit ExactCopy(std::string_view bytes) : data(std::make_unique<char[]>(bytes.size())), size(bytes.size()) {
    if (size > 0) std::memcpy(data.get(), bytes.data(), size);
  }
  std::string_view view() const { return std::string_view(data.get(), size); }
  std::unique_ptr<char[]> data;
  size_t size;
};

// ------------------------------------------------------------ message round trips

TEST(ProtocolMessageTest, HelloRoundTrips) {
  const Hello in = SampleHello();
  Result<Hello> out = DecodeHello(EncodeHello(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->min_version, in.min_version);
  EXPECT_EQ(out->max_version, in.max_version);
  EXPECT_EQ(out->features, in.features);
  EXPECT_EQ(out->user, in.user);
  EXPECT_EQ(out->password, in.password);
  EXPECT_EQ(out->client_name, in.client_name);
}

TEST(ProtocolMessageTest, HelloWithEmptyTextsRoundTrips) {
  Result<Hello> out = DecodeHello(EncodeHello(Hello{1, 3, 0, "", "", ""}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->max_version, 3);
  EXPECT_EQ(out->user, "");
  EXPECT_EQ(out->password, "");
  EXPECT_EQ(out->client_name, "");
}

TEST(ProtocolMessageTest, WelcomeRoundTrips) {
  const Welcome in = SampleWelcome();
  Result<Welcome> out = DecodeWelcome(EncodeWelcome(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->version, in.version);
  EXPECT_EQ(out->features, in.features);
  EXPECT_EQ(out->session_id, in.session_id);
  EXPECT_EQ(out->max_frame_bytes, in.max_frame_bytes);
  EXPECT_EQ(out->max_in_flight, in.max_in_flight);
  EXPECT_EQ(out->idle_timeout_ms, in.idle_timeout_ms);
  EXPECT_EQ(out->query_timeout_ms, in.query_timeout_ms);
  EXPECT_EQ(out->max_rows_read, in.max_rows_read);
  EXPECT_EQ(out->max_rows_returned, in.max_rows_returned);
  EXPECT_EQ(out->commit_version, in.commit_version);
  EXPECT_EQ(out->server_version, in.server_version);
}

TEST(ProtocolMessageTest, QueryRoundTripsInBothEncodings) {
  for (RequestEncoding enc : {RequestEncoding::kJson, RequestEncoding::kBinary}) {
    SCOPED_TRACE(static_cast<int>(enc));
    const QueryMessage in{enc, std::string("ORMQ\x01\x08\x00 not UTF-8: \xff", 20)};
    Result<QueryMessage> out = DecodeQuery(EncodeQuery(in));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->encoding, in.encoding);
    EXPECT_EQ(out->request, in.request);
  }
}

TEST(ProtocolMessageTest, MigrateRoundTripsWithAndWithoutDestructiveSteps) {
  for (bool destructive : {false, true}) {
    SCOPED_TRACE(destructive);
    const MigrateMessage in{destructive, "schema/blog.prisma", "model User {\n  id Int @id\n}\n"};
    Result<MigrateMessage> out = DecodeMigrate(EncodeMigrate(in));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->allow_destructive, destructive);
    EXPECT_EQ(out->file_name, in.file_name);
    EXPECT_EQ(out->schema_text, in.schema_text);
  }
}

TEST(ProtocolMessageTest, CancelRoundTrips) {
  Result<CancelMessage> out = DecodeCancel(EncodeCancel({0xdeadbeefcafef00d}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->target, 0xdeadbeefcafef00d);
}

TEST(ProtocolMessageTest, ErrorRoundTrips) {
  const ErrorMessage in{ErrorCode::kInvalidRequest, "expected String, got 42", "include.posts.where.title"};
  Result<ErrorMessage> out = DecodeError(EncodeError(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->code, in.code);
  EXPECT_EQ(out->message, in.message);
  EXPECT_EQ(out->path, in.path);
}

TEST(ProtocolMessageTest, ChangeStreamErrorsCarryATokenOthersDoNot) {
  for (ErrorCode code : {ErrorCode::kTokenExpired, ErrorCode::kSubscriberLagging}) {
    Result<ErrorMessage> out = DecodeError(EncodeError({code, "resume", "", 0x0102030405060708}));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->token, 0x0102030405060708u);
  }
  // Other codes have no token on the wire: the layout stays what it was.
  EXPECT_EQ(EncodeError({ErrorCode::kConflict, "m", "p", 99}), EncodeError({ErrorCode::kConflict, "m", "p"}));
  EXPECT_FALSE(DecodeError(EncodeError({ErrorCode::kTokenExpired, "m", "", 5}).substr(0, 2 + 5 + 4)).ok());
}

TEST(ProtocolMessageTest, SubscribedAndChangesRoundTrip) {
  Result<SubscribedMessage> sub = DecodeSubscribed(EncodeSubscribed({0x1111222233334444, 0x5555}));
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(sub->token, 0x1111222233334444u);
  EXPECT_EQ(sub->horizon, 0x5555u);
  std::string payload;
  AppendChanges(&payload, 42, 2, R"({"token":42,"changes":[{},{}]})");
  Result<ChangesMessage> ch = DecodeChanges(payload);
  ASSERT_TRUE(ch.ok()) << ch.status().ToString();
  EXPECT_EQ(ch->token, 42u);
  EXPECT_EQ(ch->count, 2u);
  EXPECT_EQ(ch->json, R"({"token":42,"changes":[{},{}]})");
  payload.back() = '\xff';
  EXPECT_NE(DecodeChanges(payload).status().message().find("Changes.json: is not valid UTF-8"), std::string::npos);
}

// The in-place Changes frame is byte for byte the frame of the payload
// built apart, compressed or not.
TEST(ProtocolMessageTest, AChangesFrameBuiltInPlaceIsTheSameFrame) {
  const std::string small = R"({"token":7,"changes":[{}]})";
  std::string big = R"({"token":7,"changes":[)";
  for (int i = 0; i < 500; ++i) big += std::string(i == 0 ? "" : ",") + R"({"version":7,"model":"Comment"})";
  big += "]}";
  for (const std::string* json : std::vector<const std::string*>{&small, &big}) {
    for (bool compress : {false, true}) {
      std::string payload;
      AppendChanges(&payload, 7, 3, *json);
      std::string apart = "prefix", in_place = "prefix";
      AppendFrame(&apart, MessageType::kChanges, 99, payload, compress);
      AppendChangesFrame(&in_place, 99, 7, 3, *json, compress);
      EXPECT_EQ(in_place, apart) << json->size() << " bytes, compress " << compress;
    }
  }
}

TEST(ProtocolMessageTest, ErrorKeepsACodeThisSideDoesNotKnow) {
  Result<ErrorMessage> out = DecodeError(EncodeError({static_cast<ErrorCode>(999), "from a newer server", ""}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(static_cast<uint16_t>(out->code), 999);
  EXPECT_EQ(ErrorCodeName(out->code), "unknown error");
}

TEST(ProtocolMessageTest, ResultRoundTripsItsVersionAndBlocksAsGiven) {
  const std::string blocks("ORMR\x01\x00\x00\x00 any bytes \xff", 21);
  std::string payload = "prefix kept";
  AppendResult(&payload, 0x1122334455667788, blocks);
  Result<ResultMessage> out = DecodeResult(std::string_view(payload).substr(11));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->version, 0x1122334455667788u);
  EXPECT_EQ(out->blocks, blocks);
}

TEST(ProtocolMessageTest, OkRoundTrips) {
  Result<OkMessage> out = DecodeOk(EncodeOk({123456789}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->version, 123456789u);
}

TEST(ProtocolMessageTest, SchemaRoundTrips) {
  Result<SchemaMessage> out = DecodeSchema(EncodeSchema({7, "model Post { id Int @id }"}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->version, 7u);
  EXPECT_EQ(out->text, "model Post { id Int @id }");
}

TEST(ProtocolMessageTest, PlanRoundTripsEveryGradeAndNoChange) {
  for (char grade : {'\0', 'A', 'B', 'C', 'D'}) {
    SCOPED_TRACE(static_cast<int>(grade));
    Result<PlanMessage> out = DecodePlan(EncodePlan({grade, "step 1"}));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->grade, grade);
    EXPECT_EQ(out->text, "step 1");
  }
}

TEST(ProtocolMessageTest, MigratedRoundTrips) {
  Result<MigratedMessage> out = DecodeMigrated(EncodeMigrated({5, "applied\nrolled back: x"}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->version, 5u);
  EXPECT_EQ(out->report, "applied\nrolled back: x");
}

TEST(ProtocolMessageTest, DecodeEmptyAcceptsNoPayloadAndRefusesAnyByte) {
  for (MessageType t : {MessageType::kBegin, MessageType::kCommit, MessageType::kRollback, MessageType::kGetSchema}) {
    SCOPED_TRACE(MessageTypeName(t));
    EXPECT_TRUE(DecodeEmpty("", t).ok());
    Status st = DecodeEmpty("x", t);
    EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
    EXPECT_TRUE(Contains(st.message(), MessageTypeName(t))) << st.message();
    EXPECT_TRUE(Contains(st.message(), "1 bytes")) << st.message();
  }
}

// ------------------------------------------------------------ message layouts

TEST(ProtocolMessageTest, EncodingsAreTheDocumentedByteLayouts) {
  EXPECT_EQ(EncodeCancel({0x0102}), std::string("\x02\x01\0\0\0\0\0\0", 8));
  EXPECT_EQ(EncodeOk({1}), std::string("\x01\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(EncodeQuery({RequestEncoding::kBinary, "q"}), std::string("\x01q", 2));
  EXPECT_EQ(EncodeError({ErrorCode::kConflict, "m", "p"}), std::string("\x0b\x00\x01\0\0\0m\x01\0\0\0p", 12));
  EXPECT_EQ(EncodePlan({'C', "t"}), std::string("C\x01\0\0\0t", 6));
  EXPECT_EQ(EncodeSchema({2, "s"}), std::string("\x02\0\0\0\x01\0\0\0s", 9));
  EXPECT_EQ(EncodeMigrated({2, "r"}), std::string("\x02\0\0\0\x01\0\0\0r", 9));
  EXPECT_EQ(EncodeMigrate({true, "f", "s"}), std::string("\x01\x01\0\0\0f\x01\0\0\0s", 11));
  EXPECT_EQ(EncodeHello({1, 2, 1, "u", "p", "c"}),
            std::string("\x01\0\x02\0\x01\0\0\0\x01\0\0\0u\x01\0\0\0p\x01\0\0\0c", 23));
  EXPECT_EQ(EncodeWelcome(SampleWelcome()).size(), 2u + 4 + 8 + 4 * 4 + 8 * 3 + 4 + 11);
}

TEST(ProtocolMessageTest, MessageTypeCodesAreTheDocumentedOnes) {
  const std::vector<std::pair<MessageType, uint8_t>> codes = {
      {MessageType::kHello, 0x01},   {MessageType::kFetch, 0x02},      {MessageType::kMutate, 0x03},
      {MessageType::kBegin, 0x04},   {MessageType::kCommit, 0x05},     {MessageType::kRollback, 0x06},
      {MessageType::kExplain, 0x07}, {MessageType::kGetSchema, 0x08},  {MessageType::kMigratePlan, 0x09},
      {MessageType::kMigrateApply, 0x0a}, {MessageType::kPing, 0x0b}, {MessageType::kCancel, 0x0c},
      {MessageType::kSubscribe, 0x0d}, {MessageType::kSubscribed, 0x88}, {MessageType::kChanges, 0x89},
      {MessageType::kError, 0x80},   {MessageType::kWelcome, 0x81},    {MessageType::kResult, 0x82},
      {MessageType::kOk, 0x83},      {MessageType::kSchema, 0x84},     {MessageType::kPlan, 0x85},
      {MessageType::kMigrated, 0x86}, {MessageType::kPong, 0x87},
  };
  for (auto [type, code] : codes) EXPECT_EQ(static_cast<uint8_t>(type), code) << MessageTypeName(type);
  int known = 0;
  for (int t = 0; t < 256; ++t) known += IsKnownMessageType(static_cast<uint8_t>(t)) ? 1 : 0;
  EXPECT_EQ(known, static_cast<int>(codes.size()));
}

TEST(ProtocolMessageTest, ErrorCodesAreTheDocumentedOnes) {
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBadFrame), 1);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kProtocol), 2);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kAuthFailed), 3);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kLimitExceeded), 4);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kTimeout), 5);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kCancelled), 6);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kIdleTimeout), 7);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kShuttingDown), 8);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kInvalidRequest), 9);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kNotFound), 10);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kConflict), 11);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kCorruption), 12);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kIOError), 13);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kNoSpace), 14);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kNotSupported), 15);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBusy), 16);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kInternal), 17);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kTransactionState), 18);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kTokenExpired), 19);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kSubscriberLagging), 20);
}

// ------------------------------------------------------------ frames

// A frame built in place (room for the header, then the payload) is the
// same bytes AppendFrame makes of that payload uncompressed.
TEST(ProtocolFrameTest, SealedFrameIsTheAppendedOne) {
  const std::string payload(100'000, 'p');  // past kCompressMinBytes: still sent as is
  std::string sealed(kFrameHeaderBytes, '\0');
  sealed += payload;
  SealFrame(&sealed, MessageType::kResult, 77);
  std::string appended;
  AppendFrame(&appended, MessageType::kResult, 77, payload, false);
  EXPECT_EQ(sealed, appended);
  Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(sealed), kLimitBytes);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->flags, 0);
  EXPECT_TRUE(CheckPayload(*h, HeaderOf(sealed), PayloadOf(sealed)).ok());
}

TEST(ProtocolFrameTest, UncompressedFrameRoundTrips) {
  const std::string frame = Frame(MessageType::kFetch, 0x1122334455667788, "hello", true);
  ASSERT_EQ(frame.size(), kFrameHeaderBytes + 5);
  Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(frame), kLimitBytes);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->version, kProtocolVersion);
  EXPECT_EQ(h->type, MessageType::kFetch);
  EXPECT_EQ(h->flags, 0);  // below kCompressMinBytes: sent as is
  EXPECT_EQ(h->request_id, 0x1122334455667788u);
  EXPECT_EQ(h->payload_length, 5u);
  EXPECT_EQ(h->raw_length, 5u);
  ASSERT_TRUE(CheckPayload(*h, HeaderOf(frame), PayloadOf(frame)).ok());
  std::string scratch;
  Result<std::string_view> p = PayloadBytes(*h, PayloadOf(frame), &scratch);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, "hello");
  EXPECT_EQ(p->data(), frame.data() + kFrameHeaderBytes);  // no copy when not compressed
}

TEST(ProtocolFrameTest, EmptyPayloadFrameRoundTrips) {
  FrameHeader h;
  Result<std::string> p = ReceiveFrame(Frame(MessageType::kBegin, 3, ""), &h);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, "");
  EXPECT_EQ(h.type, MessageType::kBegin);
  EXPECT_EQ(h.payload_length, 0u);
}

TEST(ProtocolFrameTest, CompressibleLargePayloadIsCompressedAndRoundTrips) {
  const std::string payload = Compressible(64 * 1024);
  const std::string frame = Frame(MessageType::kResult, 9, payload, true);
  FrameHeader h;
  Result<std::string> p = ReceiveFrame(frame, &h);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(h.flags, kFlagCompressed);
  EXPECT_EQ(h.raw_length, payload.size());
  EXPECT_LT(h.payload_length, payload.size() / 4);
  EXPECT_EQ(frame.size(), kFrameHeaderBytes + h.payload_length);
  EXPECT_EQ(*p, payload);
  // The payload is one zstd frame that declares its content size.
  EXPECT_EQ(ZSTD_getFrameContentSize(frame.data() + kFrameHeaderBytes, h.payload_length), payload.size());
}

TEST(ProtocolFrameTest, PayloadOfExactlyTheThresholdIsCompressed) {
  FrameHeader h;
  ASSERT_TRUE(ReceiveFrame(Frame(MessageType::kResult, 1, Compressible(kCompressMinBytes), true), &h).ok());
  EXPECT_EQ(h.flags, kFlagCompressed);
}

TEST(ProtocolFrameTest, PayloadBelowTheThresholdIsNotCompressed) {
  FrameHeader h;
  const std::string payload = Compressible(kCompressMinBytes - 1);
  Result<std::string> p = ReceiveFrame(Frame(MessageType::kResult, 1, payload, true), &h);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.payload_length, payload.size());
}

TEST(ProtocolFrameTest, IncompressiblePayloadIsSentAsIs) {
  FrameHeader h;
  const std::string payload = Incompressible(16 * 1024, 7);
  Result<std::string> p = ReceiveFrame(Frame(MessageType::kResult, 1, payload, true), &h);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.payload_length, payload.size());
  EXPECT_EQ(*p, payload);
}

TEST(ProtocolFrameTest, LargePayloadIsNotCompressedUnlessAsked) {
  FrameHeader h;
  ASSERT_TRUE(ReceiveFrame(Frame(MessageType::kResult, 1, Compressible(64 * 1024), false), &h).ok());
  EXPECT_EQ(h.flags, 0);
}

TEST(ProtocolFrameTest, FramesBackToBackDecodeInOrder) {
  std::string stream;
  AppendFrame(&stream, MessageType::kPing, 1, "a");
  AppendFrame(&stream, MessageType::kFetch, 2, Compressible(10000), true);
  AppendFrame(&stream, MessageType::kCommit, 3, "");
  std::string_view rest = stream;
  std::vector<uint64_t> ids;
  while (!rest.empty()) {
    Result<FrameHeader> h = DecodeFrameHeader(rest.substr(0, kFrameHeaderBytes), kLimitBytes);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    const std::string_view payload = rest.substr(kFrameHeaderBytes, h->payload_length);
    ASSERT_TRUE(CheckPayload(*h, rest.substr(0, kFrameHeaderBytes), payload).ok());
    ids.push_back(h->request_id);
    rest.remove_prefix(kFrameHeaderBytes + h->payload_length);
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(ProtocolFrameTest, HeaderIsTheDocumentedLayout) {
  const std::string frame = Frame(MessageType::kMutate, 0x0807060504030201, "abc");
  EXPECT_EQ(frame.substr(kMagicAt, 4), "ORMP");
  EXPECT_EQ(frame[kVersionAt], 1);
  EXPECT_EQ(static_cast<uint8_t>(frame[kTypeAt]), 0x03);
  EXPECT_EQ(coding::DecodeFixed16(frame.data() + kFlagsAt), 0);
  EXPECT_EQ(frame.substr(kRequestIdAt, 8), "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(coding::DecodeFixed32(frame.data() + kPayloadLengthAt), 3u);
  EXPECT_EQ(coding::DecodeFixed32(frame.data() + kRawLengthAt), 3u);
  EXPECT_EQ(frame.substr(kFrameHeaderBytes), "abc");
}

TEST(ProtocolFrameTest, ChecksumIsXxh3OfThePayloadSeededWithXxh3OfHeaderBytes0To23) {
  for (bool compress : {false, true}) {
    const std::string frame = Frame(MessageType::kResult, 77, Compressible(8192), compress);
    EXPECT_EQ(coding::DecodeFixed64(frame.data() + kChecksumAt), DocumentedChecksum(frame)) << compress;
  }
}

// The worked example of docs/protocol.md.
TEST(ProtocolFrameTest, PingFrameIsTheDocumentedBytes) {
  const std::string frame = Frame(MessageType::kPing, 1, "ping");
  const unsigned char expected[] = {
      0x4f, 0x52, 0x4d, 0x50, 0x01, 0x0b, 0x00, 0x00,  // magic "ORMP", version 1, type Ping, flags 0
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // request id 1
      0x04, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,  // payload_length 4, raw_length 4
      0xa5, 0x48, 0xd7, 0x87, 0x5f, 0x4d, 0xee, 0xc8,  // checksum 0xc8ee4d5f87d748a5
      0x70, 0x69, 0x6e, 0x67,                          // "ping"
  };
  EXPECT_EQ(frame, std::string(reinterpret_cast<const char*>(expected), sizeof expected));
}

// ------------------------------------------------------------ bad headers

TEST(ProtocolFrameTest, HeaderOfTheWrongSizeIsRefused) {
  const std::string frame = Frame(MessageType::kPing, 1, "");
  for (size_t n : {size_t{0}, size_t{31}, size_t{33}}) {
    std::string bytes = frame;
    bytes.resize(n);
    Result<FrameHeader> h = DecodeFrameHeader(bytes, kLimitBytes);
    EXPECT_FALSE(h.ok()) << n;
  }
}

TEST(ProtocolFrameTest, WrongMagicIsRefusedNamingMagic) {
  std::string frame = Frame(MessageType::kPing, 1, "x");
  frame[kMagicAt] = 'X';
  const std::string message = HeaderErrorOf(frame);
  EXPECT_TRUE(Contains(message, "magic")) << message;
  frame = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
  EXPECT_TRUE(Contains(HeaderErrorOf(frame), "magic"));
}

TEST(ProtocolFrameTest, OtherVersionIsNotSupportedNamingVersion) {
  for (uint8_t v : {0, 2, 255}) {
    std::string frame = Frame(MessageType::kPing, 1, "x");
    frame[kVersionAt] = static_cast<char>(v);
    Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(frame), kLimitBytes);
    ASSERT_FALSE(h.ok()) << static_cast<int>(v);
    EXPECT_TRUE(h.status().IsNotSupported()) << h.status().ToString();
    EXPECT_TRUE(Contains(h.status().message(), "version")) << h.status().message();
  }
}

TEST(ProtocolFrameTest, UnknownTypeIsRefusedNamingType) {
  for (uint8_t t : {0x00, 0x0e, 0x7f, 0x8a, 0xff}) {
    std::string frame = Frame(MessageType::kPing, 1, "x");
    frame[kTypeAt] = static_cast<char>(t);
    const std::string message = HeaderErrorOf(frame);
    EXPECT_TRUE(Contains(message, "type")) << message;
    EXPECT_TRUE(Contains(message, std::to_string(t))) << message;
  }
}

TEST(ProtocolFrameTest, UnknownFlagIsRefusedNamingFlags) {
  for (uint16_t flags : {0x0002, 0x0100, 0x8001}) {
    std::string frame = Frame(MessageType::kPing, 1, "x");
    Put16(&frame, kFlagsAt, flags);
    const std::string message = HeaderErrorOf(frame);
    EXPECT_TRUE(Contains(message, "flags")) << message;
  }
}

TEST(ProtocolFrameTest, PayloadLengthOverTheLimitIsRefusedNamingPayloadLength) {
  std::string frame = Frame(MessageType::kPing, 1, "x");
  Put32(&frame, kPayloadLengthAt, kLimitBytes + 1);
  Put32(&frame, kRawLengthAt, kLimitBytes + 1);
  const std::string message = HeaderErrorOf(frame);
  EXPECT_TRUE(Contains(message, "payload_length")) << message;
  // The server tells a frame too large (LimitExceeded) from a bad one by this.
  EXPECT_TRUE(Contains(message, "exceeds the limit")) << message;
}

TEST(ProtocolFrameTest, PayloadLengthAtTheLimitIsAccepted) {
  std::string frame = Frame(MessageType::kPing, 1, "x");
  Put32(&frame, kPayloadLengthAt, kLimitBytes);
  Put32(&frame, kRawLengthAt, kLimitBytes);
  EXPECT_TRUE(DecodeFrameHeader(HeaderOf(frame), kLimitBytes).ok());
}

TEST(ProtocolFrameTest, RawLengthOverTheLimitIsRefusedNamingRawLength) {
  // A small compressed payload may not promise more than the limit once uncompressed.
  std::string frame = Frame(MessageType::kResult, 1, Compressible(8192), true);
  ASSERT_EQ(coding::DecodeFixed16(frame.data() + kFlagsAt), kFlagCompressed);
  Put32(&frame, kRawLengthAt, kLimitBytes + 1);
  const std::string message = HeaderErrorOf(frame);
  EXPECT_TRUE(Contains(message, "raw_length")) << message;
  EXPECT_TRUE(Contains(message, "exceeds the limit")) << message;
}

TEST(ProtocolFrameTest, RawLengthDifferentFromPayloadLengthInAnUncompressedFrameIsRefused) {
  for (uint32_t raw : {0u, 2u, 100u}) {
    std::string frame = Frame(MessageType::kPing, 1, "x");
    Put32(&frame, kRawLengthAt, raw);
    const std::string message = HeaderErrorOf(frame);
    EXPECT_TRUE(Contains(message, "raw_length")) << message;
    EXPECT_TRUE(Contains(message, "payload_length")) << message;
  }
}

TEST(ProtocolFrameTest, WrongChecksumIsCorruptionNamingChecksum) {
  std::string frame = Frame(MessageType::kPing, 5, "ping");
  frame[kChecksumAt + 3] ^= 0x10;
  Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(frame), kLimitBytes);
  ASSERT_TRUE(h.ok()) << "the header's own fields are fine";
  Status st = CheckPayload(*h, HeaderOf(frame), PayloadOf(frame));
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_TRUE(Contains(st.message(), "checksum")) << st.message();
}

TEST(ProtocolFrameTest, FlippedPayloadByteFailsTheChecksum) {
  const std::string original = Frame(MessageType::kFetch, 5, "{\"findMany\":\"User\"}");
  for (size_t at = kFrameHeaderBytes; at < original.size(); ++at) {
    std::string frame = original;
    frame[at] ^= 0x01;
    Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(frame), kLimitBytes);
    ASSERT_TRUE(h.ok());
    Status st = CheckPayload(*h, HeaderOf(frame), PayloadOf(frame));
    EXPECT_TRUE(Contains(st.message(), "checksum")) << "byte " << at << ": " << st.ToString();
  }
}

TEST(ProtocolFrameTest, ChecksumCoversTheRequestId) {
  std::string frame = Frame(MessageType::kMutate, 5, "x");
  frame[kRequestIdAt] = 6;  // a reply would go to the wrong request
  Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(frame), kLimitBytes);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(Contains(CheckPayload(*h, HeaderOf(frame), PayloadOf(frame)).message(), "checksum"));
}

TEST(ProtocolFrameTest, PayloadShorterThanTheHeaderSaysIsRefused) {
  const std::string frame = Frame(MessageType::kPing, 1, "ping");
  Result<FrameHeader> h = DecodeFrameHeader(HeaderOf(frame), kLimitBytes);
  ASSERT_TRUE(h.ok());
  Status st = CheckPayload(*h, HeaderOf(frame), PayloadOf(frame).substr(0, 3));
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "header says 4")) << st.message();
}

// ------------------------------------------------------------ bad compressed payloads

TEST(ProtocolFrameTest, CompressedFrameWhoseContentSizeDiffersFromRawLengthIsRefused) {
  const std::string payload = Compressible(8192);
  for (int64_t delta : {-1, 1, -8192}) {
    std::string frame = Frame(MessageType::kResult, 1, payload, true);
    Put32(&frame, kRawLengthAt, static_cast<uint32_t>(static_cast<int64_t>(payload.size()) + delta));
    Reseal(&frame);
    Result<std::string> p = ReceiveFrame(frame);
    ASSERT_FALSE(p.ok()) << delta;
    EXPECT_TRUE(Contains(p.status().message(), "raw_length")) << p.status().message();
  }
}

TEST(ProtocolFrameTest, CompressedFlagOnBytesThatAreNotZstdIsRefused) {
  for (std::string_view payload : {std::string_view(""), std::string_view("plain text, not zstd")}) {
    std::string frame = Frame(MessageType::kResult, 1, payload);
    Put16(&frame, kFlagsAt, kFlagCompressed);
    Reseal(&frame);
    Result<std::string> p = ReceiveFrame(frame);
    EXPECT_FALSE(p.ok()) << payload;
  }
}

TEST(ProtocolFrameTest, ZstdFrameWithoutAContentSizeIsRefused) {
  const std::string payload = Compressible(8192);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ASSERT_EQ(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)), 0u);
  // Streaming compression does not know the size up front, so it leaves it out.
  std::string compressed(ZSTD_compressBound(payload.size()), '\0');
  ZSTD_outBuffer out{compressed.data(), compressed.size(), 0};
  ZSTD_inBuffer in{payload.data(), payload.size(), 0};
  ASSERT_EQ(ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(cctx);
  compressed.resize(out.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(compressed.data(), compressed.size()), ZSTD_CONTENTSIZE_UNKNOWN);

  std::string frame = Frame(MessageType::kResult, 1, compressed);
  Put16(&frame, kFlagsAt, kFlagCompressed);
  Put32(&frame, kRawLengthAt, static_cast<uint32_t>(payload.size()));
  Reseal(&frame);
  Result<std::string> p = ReceiveFrame(frame);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(Contains(p.status().message(), "raw_length")) << p.status().message();
}

// ZSTD_decompress reads every frame of its input: without a check, bytes
// could follow the one frame the header describes and never be looked at.
TEST(ProtocolFrameTest, CompressedPayloadFollowedByAnotherZstdFrameIsRefused) {
  const std::string payload = Compressible(8192);
  std::string empty_frame(ZSTD_compressBound(0), '\0');
  empty_frame.resize(ZSTD_compress(empty_frame.data(), empty_frame.size(), "", 0, 1));
  std::string skippable_frame("\x50\x2a\x4d\x18\x06\x00\x00\x00hidden", 14);  // magic 0x184D2A50, 6 bytes
  for (const std::string& tail : {empty_frame, skippable_frame}) {
    std::string frame = Frame(MessageType::kResult, 1, payload, true);
    const uint32_t wire = coding::DecodeFixed32(frame.data() + kPayloadLengthAt);
    frame += tail;
    Put32(&frame, kPayloadLengthAt, wire + static_cast<uint32_t>(tail.size()));
    Reseal(&frame);
    Result<std::string> p = ReceiveFrame(frame);
    ASSERT_FALSE(p.ok()) << tail.size() << "-byte tail";
    EXPECT_TRUE(Contains(p.status().message(), "not one zstd frame")) << p.status().message();
  }
}

TEST(ProtocolFrameTest, SkippableZstdFrameIsNotACompressedPayload) {
  std::string frame = Frame(MessageType::kResult, 1, std::string("\x50\x2a\x4d\x18\x00\x00\x00\x00", 8));
  Put16(&frame, kFlagsAt, kFlagCompressed);
  Put32(&frame, kRawLengthAt, 0);
  Reseal(&frame);
  Result<std::string> p = ReceiveFrame(frame);
  EXPECT_FALSE(p.ok());
}

TEST(ProtocolFrameTest, DamagedCompressedPayloadIsRefusedWithoutCrashing) {
  const std::string original = Frame(MessageType::kResult, 1, Compressible(8192), true);
  for (size_t at = kFrameHeaderBytes; at < original.size(); ++at) {
    std::string frame = original;
    frame[at] ^= 0x5a;
    Reseal(&frame);  // the damage gets past the checksum, as if a sender made it
    Result<std::string> p = ReceiveFrame(frame);
    if (p.ok()) {
      EXPECT_EQ(p->size(), 8192u) << "byte " << at;
    }
  }
}

// ------------------------------------------------------------ bad payloads

TEST(ProtocolDecodeTest, EveryCutOffPayloadIsRefused) {
  for (const Sample& s : AllSamples()) {
    SCOPED_TRACE(s.name);
    ASSERT_TRUE(s.decode(s.payload).ok()) << s.decode(s.payload).ToString();
    const size_t cut_until = s.rest_is_free_form ? s.fixed_bytes : s.payload.size();
    for (size_t n = 0; n < cut_until; ++n) {
      ExactCopy prefix(std::string_view(s.payload).substr(0, n));
      Status st = s.decode(prefix.view());
      EXPECT_TRUE(st.IsInvalidArgument()) << n << " bytes: " << st.ToString();
      EXPECT_TRUE(Contains(st.message(), s.name)) << st.message();
    }
  }
}

TEST(ProtocolDecodeTest, CutOffPayloadErrorNamesTheField) {
  std::string hello = EncodeHello(SampleHello());
  Result<Hello> h = DecodeHello(std::string_view(hello).substr(0, 10));
  ASSERT_FALSE(h.ok());
  EXPECT_TRUE(Contains(h.status().message(), "Hello.user")) << h.status().message();
  Result<Welcome> w = DecodeWelcome(EncodeWelcome(SampleWelcome()).substr(0, 20));
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(Contains(w.status().message(), "Welcome.max_in_flight")) << w.status().message();
}

// A Query's request and a Result's blocks run to the payload's end, so a
// prefix past the fixed part is a shorter request or shorter blocks, which
// their own readers (query/binary_form.h, util/json.h, query/result.h) refuse.
TEST(ProtocolDecodeTest, CutOffQueryOrResultPastItsFixedPartKeepsThePrefix) {
  for (const Sample& s : AllSamples()) {
    if (!s.rest_is_free_form) continue;
    SCOPED_TRACE(s.name);
    for (size_t n = s.fixed_bytes + 1; n <= s.payload.size(); ++n) {
      ExactCopy prefix(std::string_view(s.payload).substr(0, n));
      EXPECT_TRUE(s.decode(prefix.view()).ok()) << n;
    }
  }
  Result<QueryMessage> q = DecodeQuery(std::string_view("\x00{\"find", 7));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->request, "{\"find");
}

TEST(ProtocolDecodeTest, QueryWithoutARequestIsRefused) {
  Result<QueryMessage> q = DecodeQuery(std::string_view("\x00", 1));
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(Contains(q.status().message(), "Query.request")) << q.status().message();
}

TEST(ProtocolDecodeTest, TrailingBytesAreRefused) {
  for (const Sample& s : AllSamples()) {
    if (s.rest_is_free_form) continue;
    SCOPED_TRACE(s.name);
    for (std::string_view extra : {std::string_view("\0", 1), std::string_view("trailing")}) {
      Status st = s.decode(s.payload + std::string(extra));
      EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
      EXPECT_TRUE(Contains(st.message(), std::to_string(extra.size()) + " bytes after the last field"))
          << st.message();
    }
  }
}

// Every text field with bytes that are not UTF-8 in turn.
TEST(ProtocolDecodeTest, InvalidUtf8InATextFieldIsRefusedNamingTheField) {
  const std::vector<std::string> bad = {
      "\x80",              // a continuation byte alone
      "\xc3",              // cut off
      "\xc0\x80",          // overlong NUL
      "\xe0\x80\xaf",      // overlong '/'
      "\xed\xa0\x80",      // a surrogate
      "\xf4\x90\x80\x80",  // past U+10FFFF
      "\xff",              // never in UTF-8
      "ok\xe2\x82",        // cut off after valid text
  };
  struct Field {
    std::string name;
    std::function<Status(const std::string&)> decode_with;
  };
  const std::vector<Field> fields = {
      {"Hello.user", [](const std::string& t) { return DecodeHello(EncodeHello({1, 1, 0, t, "", ""})).status(); }},
      {"Hello.password",
       [](const std::string& t) { return DecodeHello(EncodeHello({1, 1, 0, "", t, ""})).status(); }},
      {"Hello.client_name",
       [](const std::string& t) { return DecodeHello(EncodeHello({1, 1, 0, "", "", t})).status(); }},
      {"Welcome.server_version",
       [](const std::string& t) {
         Welcome w = SampleWelcome();
         w.server_version = t;
         return DecodeWelcome(EncodeWelcome(w)).status();
       }},
      {"Migrate.file_name", [](const std::string& t) { return DecodeMigrate(EncodeMigrate({false, t, ""})).status(); }},
      {"Migrate.schema_text",
       [](const std::string& t) { return DecodeMigrate(EncodeMigrate({false, "", t})).status(); }},
      {"Schema.text", [](const std::string& t) { return DecodeSchema(EncodeSchema({1, t})).status(); }},
      {"Plan.text", [](const std::string& t) { return DecodePlan(EncodePlan({'A', t})).status(); }},
      {"Migrated.report", [](const std::string& t) { return DecodeMigrated(EncodeMigrated({1, t})).status(); }},
  };
  for (const Field& f : fields) {
    SCOPED_TRACE(f.name);
    EXPECT_TRUE(f.decode_with("plain, ë, €, 𝄞").ok());
    for (const std::string& b : bad) {
      Status st = f.decode_with(b);
      EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
      EXPECT_TRUE(Contains(st.message(), f.name + ": is not valid UTF-8")) << st.message();
    }
  }
}

// An error may quote what the client sent; its text is passed on unchecked.
TEST(ProtocolDecodeTest, ErrorTextIsNotCheckedForUtf8) {
  Result<ErrorMessage> e = DecodeError(EncodeError({ErrorCode::kInvalidRequest, "bad \xff", "a\x80"}));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->message, "bad \xff");
  EXPECT_EQ(e->path, "a\x80");
}

TEST(ProtocolDecodeTest, HelloWithMinVersionAboveMaxVersionIsRefused) {
  Result<Hello> h = DecodeHello(EncodeHello({2, 1, 0, "u", "", ""}));
  ASSERT_FALSE(h.ok());
  EXPECT_TRUE(Contains(h.status().message(), "Hello.min_version")) << h.status().message();
}

TEST(ProtocolDecodeTest, WelcomeWithAFrameLimitBelowTheHandshakeLimitIsRefused) {
  Welcome w = SampleWelcome();
  w.max_frame_bytes = kHandshakeMaxPayloadBytes - 1;
  Result<Welcome> out = DecodeWelcome(EncodeWelcome(w));
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(Contains(out.status().message(), "Welcome.max_frame_bytes")) << out.status().message();
  w.max_frame_bytes = kHandshakeMaxPayloadBytes;
  EXPECT_TRUE(DecodeWelcome(EncodeWelcome(w)).ok());
}

TEST(ProtocolDecodeTest, WelcomeWithNoRequestsInFlightIsRefused) {
  Welcome w = SampleWelcome();
  w.max_in_flight = 0;
  Result<Welcome> out = DecodeWelcome(EncodeWelcome(w));
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(Contains(out.status().message(), "Welcome.max_in_flight")) << out.status().message();
}

TEST(ProtocolDecodeTest, UnknownRequestEncodingIsRefused) {
  Result<QueryMessage> q = DecodeQuery(std::string_view("\x02{}", 3));
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(Contains(q.status().message(), "Query.encoding")) << q.status().message();
}

TEST(ProtocolDecodeTest, UnknownMigrateFlagsAreRefused) {
  std::string p = EncodeMigrate({false, "f", "s"});
  p[0] = 2;
  Result<MigrateMessage> m = DecodeMigrate(p);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status().message(), "Migrate.flags")) << m.status().message();
}

TEST(ProtocolDecodeTest, PlanGradeOutsideAToDIsRefused) {
  for (char grade : {'E', 'a', '@', '\x01'}) {
    Result<PlanMessage> p = DecodePlan(EncodePlan({grade, "t"}));
    ASSERT_FALSE(p.ok()) << grade;
    EXPECT_TRUE(Contains(p.status().message(), "Plan.grade")) << p.status().message();
  }
}

TEST(ProtocolDecodeTest, LengthPrefixBeyondThePayloadIsRefused) {
  std::string p = EncodeSchema({1, "abc"});
  coding::EncodeFixed32(p.data() + 4, 0xffffffff);
  Result<SchemaMessage> s = DecodeSchema(p);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "Schema.text")) << s.status().message();
}

// ------------------------------------------------------------ errors and Statuses

TEST(ProtocolErrorTest, ErrorForSplitsARequestPathFromItsMessage) {
  ErrorMessage e = ErrorFor(Status::InvalidArgument("include.posts.where.title: expected String, got 42"));
  EXPECT_EQ(e.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e.path, "include.posts.where.title");
  EXPECT_EQ(e.message, "expected String, got 42");
}

TEST(ProtocolErrorTest, ErrorForTakesBracketsAndDigitsAsPartOfAPath) {
  ErrorMessage e = ErrorFor(Status::InvalidArgument("where.OR[1].id_2: expected Int"));
  EXPECT_EQ(e.path, "where.OR[1].id_2");
  EXPECT_EQ(e.message, "expected Int");
}

TEST(ProtocolErrorTest, ErrorForLeavesAMessageWithoutAPathIntact) {
  for (const char* text : {"JSON at line 1, column 31 (byte 30): expected a value, found end of input",
                           "the request is empty", ": starts with a colon", "include posts: the result holds more"}) {
    SCOPED_TRACE(text);
    ErrorMessage e = ErrorFor(Status::InvalidArgument(text));
    EXPECT_EQ(e.code, ErrorCode::kInvalidRequest);
    EXPECT_EQ(e.path, "");
    EXPECT_EQ(e.message, text);
  }
}

TEST(ProtocolErrorTest, ErrorForSplitsOnlyRequestErrors) {
  ErrorMessage e = ErrorFor(Status::NotFound("User.email: no row to update"));
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.path, "");
  EXPECT_EQ(e.message, "User.email: no row to update");
}

TEST(ProtocolErrorTest, ConflictMapsToTheConflictCodeAndBack) {
  EXPECT_EQ(ErrorCodeFor(Status::Conflict("write-write conflict on User 1")), ErrorCode::kConflict);
  Status st = StatusFor({ErrorCode::kConflict, "write-write conflict on User 1", ""});
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_EQ(st.message(), "write-write conflict on User 1");
  EXPECT_EQ(ErrorCodeFor(st), ErrorCode::kConflict);
}

TEST(ProtocolErrorTest, NotFoundMapsToTheNotFoundCodeAndBack) {
  EXPECT_EQ(ErrorCodeFor(Status::NotFound("no User with id 7")), ErrorCode::kNotFound);
  Status st = StatusFor({ErrorCode::kNotFound, "no User with id 7", "where"});
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_EQ(st.message(), "where: no User with id 7");
  EXPECT_EQ(ErrorCodeFor(st), ErrorCode::kNotFound);
}

TEST(ProtocolErrorTest, EveryEngineStatusHasAWireCodeThatMapsBackToIt) {
  const std::vector<std::pair<Status, ErrorCode>> cases = {
      {Status::NotFound("m"), ErrorCode::kNotFound},         {Status::Corruption("m"), ErrorCode::kCorruption},
      {Status::IOError("m"), ErrorCode::kIOError},           {Status::NoSpace("m"), ErrorCode::kNoSpace},
      {Status::InvalidArgument("m"), ErrorCode::kInvalidRequest},
      {Status::NotSupported("m"), ErrorCode::kNotSupported}, {Status::Busy("m"), ErrorCode::kBusy},
      {Status::Conflict("m"), ErrorCode::kConflict},         {Status::Internal("m"), ErrorCode::kInternal},
  };
  for (const auto& [st, code] : cases) {
    SCOPED_TRACE(st.ToString());
    EXPECT_EQ(ErrorCodeFor(st), code);
    EXPECT_EQ(StatusFor(ErrorFor(st)).code(), st.code());
  }
}

TEST(ProtocolErrorTest, ServerSideCodesBecomeStatusesThatNameThem) {
  Status limit = StatusFor({ErrorCode::kLimitExceeded, "too many connections", ""});
  EXPECT_EQ(limit.code(), StatusCode::kBusy);
  EXPECT_EQ(limit.message(), "limit exceeded: too many connections");
  Status auth = StatusFor({ErrorCode::kAuthFailed, "password authentication failed", ""});
  EXPECT_TRUE(auth.IsInvalidArgument());
  EXPECT_EQ(auth.message(), "authentication failed: password authentication failed");
}

}  // namespace
}  // namespace ormdb::net

// ---- FrameBuffer (net/client.h): frames out of bytes read elsewhere

namespace ormdb::net {
namespace {

TEST(FrameBufferTest, TakesWholeFramesHoweverTheBytesArrive) {
  const std::string big(20000, 'x');  // compressed on the wire
  const std::string wire = Frame(MessageType::kPong, 1, "") + Frame(MessageType::kOk, 2, "abc") +
                           Frame(MessageType::kResult, 3, big, /*compress=*/true);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    FrameBuffer fb(kLimitBytes);
    std::vector<Reply> got;
    for (size_t at = 0; at < wire.size();) {
      const size_t n = trial == 0 ? 1 : std::min<size_t>(wire.size() - at, 1 + rng() % 9000);
      fb.Append(std::string_view(wire).substr(at, n));
      at += n;
      Reply r;
      for (;;) {
        Result<bool> next = fb.Next(&r);
        ASSERT_TRUE(next.ok()) << next.status().ToString();
        if (!*next) break;
        got.push_back(std::move(r));
      }
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].type(), MessageType::kPong);
    EXPECT_EQ(got[1].request_id(), 2u);
    EXPECT_EQ(got[1].payload, "abc");
    EXPECT_EQ(got[2].payload, big);  // uncompressed
    EXPECT_EQ(got[2].header.flags & kFlagCompressed, 0);
  }
}

// The client's way of reading: Prepare room for what the next frame still
// wants (at least a chunk), recv into it, Commit what arrived.
TEST(FrameBufferTest, ReadsInPlaceAndHandsOverWhatIsLeft) {
  const std::string big(100000, 'y');
  const std::string wire = Frame(MessageType::kOk, 1, "abc") + Frame(MessageType::kResult, 2, big) +
                           Frame(MessageType::kPong, 3, "");
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    FrameBuffer fb(kLimitBytes);
    EXPECT_EQ(fb.Wanted(), kFrameHeaderBytes);
    std::vector<Reply> got;
    size_t at = 0;
    while (got.size() < 2) {
      Reply r;
      Result<bool> next = fb.Next(&r);
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (*next) {
        got.push_back(std::move(r));
        continue;
      }
      const size_t want = std::max<size_t>(64, fb.Wanted());
      std::span<char> room = fb.Prepare(want);
      ASSERT_EQ(room.size(), want);
      const size_t n = std::min<size_t>({wire.size() - at, want, 1 + rng() % 70000});
      std::memcpy(room.data(), wire.data() + at, n);
      fb.Commit(n);
      at += n;
    }
    EXPECT_EQ(got[0].payload, "abc");
    EXPECT_EQ(got[1].payload, big);
    // What arrived past the second frame is handed over whole.
    std::string rest = fb.TakeRest() + wire.substr(at);
    EXPECT_EQ(rest, Frame(MessageType::kPong, 3, ""));
    Reply r;
    EXPECT_FALSE(*fb.Next(&r));
  }
}

TEST(FrameBufferTest, RefusesADamagedFrame) {
  std::string wire = Frame(MessageType::kOk, 1, "abc");
  wire.back() ^= 1;
  FrameBuffer fb(kLimitBytes);
  fb.Append(wire);
  Reply r;
  Result<bool> next = fb.Next(&r);
  ASSERT_FALSE(next.ok());
  EXPECT_TRUE(Contains(next.status().message(), "checksum")) << next.status().ToString();

  FrameBuffer small(2);  // a payload over the bound is refused from its header alone
  small.Append(Frame(MessageType::kOk, 1, "abc").substr(0, kFrameHeaderBytes));
  EXPECT_FALSE(small.Next(&r).ok());
}

}  // namespace
}  // namespace ormdb::net
