#include "net/session.h"

#include "query/binary_form.h"
#include "schema/migration_plan.h"

namespace ormdb::net {

void Session::Reply(std::string* out, MessageType type, uint64_t id, std::string_view payload) const {
  AppendFrame(out, type, id, payload, compress());
}

void Session::Fail(std::string* out, uint64_t id, const ErrorMessage& e) const {
  if (ctx_->metrics != nullptr) ctx_->metrics->CountError(e.code);
  Reply(out, MessageType::kError, id, EncodeError(e));
}

void Session::Fail(std::string* out, uint64_t id, ErrorCode code, std::string message, std::string path) const {
  Fail(out, id, ErrorMessage{code, std::move(message), std::move(path)});
}

void Session::Close() {
  if (txn_ != nullptr) txn_->Rollback();
  txn_.reset();
}

void Session::Handle(const FrameHeader& h, std::string_view wire_payload, std::string* out) {
  std::string scratch;
  Result<std::string_view> payload = PayloadBytes(h, wire_payload, &scratch);
  if (!payload.ok()) return Fail(out, h.request_id, ErrorCode::kProtocol, payload.status().message());
  if (!authenticated_) {
    if (h.type != MessageType::kHello) {
      close_after_ = true;
      return Fail(out, h.request_id, ErrorCode::kProtocol,
                  "the first message must be Hello, got " + std::string(MessageTypeName(h.type)));
    }
    return HandleHello(h.request_id, *payload, out);
  }
  switch (h.type) {
    case MessageType::kHello:
      return Fail(out, h.request_id, ErrorCode::kProtocol, "Hello after the handshake");
    case MessageType::kFetch:
    case MessageType::kMutate:
    case MessageType::kExplain:
      return HandleQuery(h, *payload, out);
    case MessageType::kBegin:
    case MessageType::kCommit:
    case MessageType::kRollback:
      if (Status st = DecodeEmpty(*payload, h.type); !st.ok()) {
        return Fail(out, h.request_id, ErrorCode::kProtocol, st.message());
      }
      return HandleTransaction(h, out);
    case MessageType::kGetSchema: {
      if (Status st = DecodeEmpty(*payload, h.type); !st.ok()) {
        return Fail(out, h.request_id, ErrorCode::kProtocol, st.message());
      }
      auto catalog = txn_ != nullptr ? std::shared_ptr<const engine::Catalog>() : ctx_->db->catalog();
      const engine::Catalog& c = txn_ != nullptr ? txn_->catalog() : *catalog;
      return Reply(out, MessageType::kSchema, h.request_id, EncodeSchema({c.version(), c.text()}));
    }
    case MessageType::kMigratePlan:
    case MessageType::kMigrateApply:
      return HandleMigrate(h, *payload, out);
    case MessageType::kSubscribe:
      return HandleSubscribe(h, *payload, out);
    case MessageType::kPing:
      return Reply(out, MessageType::kPong, h.request_id, *payload);
    case MessageType::kCancel:
      // The event loop answers cancels itself; one reaching a session found
      // nothing to stop.
      return Reply(out, MessageType::kOk, h.request_id, EncodeOk({}));
    default:
      return Fail(out, h.request_id, ErrorCode::kProtocol,
                  std::string(MessageTypeName(h.type)) + " is a reply, not a request");
  }
}

bool Session::HandleWithoutWaiting(const FrameHeader& h, std::string_view payload, std::string* out,
                                   std::unique_ptr<engine::PendingCommit>* pending) {
  // A transaction's request may wait: failing it would fail the transaction.
  if (txn_ != nullptr) return false;
  may_wait_ = false;
  would_wait_ = false;
  defer_ = pending;
  Handle(h, payload, out);
  may_wait_ = true;
  defer_ = nullptr;
  return !would_wait_;
}

void Session::FailCommit(std::string* out, uint64_t id, const Status& st) const { Fail(out, id, ErrorFor(st)); }

void Session::HandleHello(uint64_t id, std::string_view payload, std::string* out) {
  Result<Hello> hello = DecodeHello(payload);
  close_after_ = true;  // until the handshake succeeds
  if (!hello.ok()) return Fail(out, id, ErrorCode::kProtocol, hello.status().message());
  if (hello->min_version > kProtocolVersion || hello->max_version < kProtocolVersion) {
    return Fail(out, id, ErrorCode::kNotSupported,
                "the client speaks protocol versions " + std::to_string(hello->min_version) + " to " +
                    std::to_string(hello->max_version) + ", this server speaks " +
                    std::to_string(kProtocolVersion));
  }
  Status st = ctx_->users->Verify(hello->user, hello->password);
  if (!st.ok()) {
    if (ctx_->metrics != nullptr) ctx_->metrics->CountAuthFailure();
    return Fail(out, id, st.IsNotFound() ? ErrorCode::kAuthFailed : ErrorCodeFor(st),
                st.IsNotFound() ? "password authentication failed for user \"" + hello->user + "\"" : st.message());
  }
  close_after_ = false;
  authenticated_ = true;
  user_ = hello->user;
  features_ = hello->features & (ctx_->compression ? static_cast<uint32_t>(kKnownFeatures) : 0u);
  Welcome w;
  w.features = features_;
  w.session_id = id_;
  const ServerLimits& l = ctx_->limits;
  w.max_frame_bytes = l.max_frame_bytes;
  w.max_in_flight = l.max_in_flight;
  w.idle_timeout_ms = l.idle_timeout_ms;
  w.query_timeout_ms = l.query_timeout_ms;
  w.max_rows_read = l.max_rows_read;
  w.max_rows_returned = l.max_rows_returned;
  w.commit_version = ctx_->db->store().last_committed().value();
  w.server_version = ctx_->server_version;
  // The Welcome goes uncompressed: the client learns only from it whether
  // compression is on.
  AppendFrame(out, MessageType::kWelcome, id, EncodeWelcome(w), false);
}

void Session::HandleSubscribe(const FrameHeader& h, std::string_view payload, std::string* out) {
  Result<QueryMessage> m = DecodeQuery(payload);
  if (!m.ok()) return Fail(out, h.request_id, ErrorCode::kProtocol, m.status().message());
  Result<json::Value> spec = m->encoding == RequestEncoding::kJson ? json::Parse(m->request)
                                                                    : query::DecodeBinaryRequest(m->request);
  if (!spec.ok()) return Fail(out, h.request_id, ErrorCode::kInvalidRequest, spec.status().message());
  Result<std::unique_ptr<engine::Subscription>> sub = ctx_->db->Subscribe(*spec);
  if (!sub.ok()) {
    ErrorMessage e = ErrorFor(sub.status());
    if (e.code == ErrorCode::kTokenExpired) e.token = ctx_->db->changes().stats().horizon;
    return Fail(out, h.request_id, e);
  }
  subscribed_ = std::move(sub).value();
  Reply(out, MessageType::kSubscribed, h.request_id,
        EncodeSubscribed({subscribed_->token(), ctx_->db->changes().stats().horizon}));
}

void Session::HandleQuery(const FrameHeader& h, std::string_view payload, std::string* out) {
  Result<QueryMessage> m = DecodeQuery(payload);
  if (!m.ok()) return Fail(out, h.request_id, ErrorCode::kProtocol, m.status().message());
  Result<json::Value> request = m->encoding == RequestEncoding::kJson ? json::Parse(m->request)
                                                                       : query::DecodeBinaryRequest(m->request);
  if (!request.ok()) return Fail(out, h.request_id, ErrorCode::kInvalidRequest, request.status().message());

  query::ExecuteOptions o;
  const ServerLimits& l = ctx_->limits;
  o.max_rows_read = l.max_rows_read;
  o.max_rows_returned = l.max_rows_returned;
  if (l.query_timeout_ms > 0) {
    o.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(l.query_timeout_ms);
  }
  o.cancel = &cancel_;
  o.accept = h.type == MessageType::kFetch    ? query::ExecuteOptions::Accept::kReads
             : h.type == MessageType::kMutate ? query::ExecuteOptions::Accept::kWrites
                                              : query::ExecuteOptions::Accept::kAny;
  o.explain = h.type == MessageType::kExplain;
  if (o.explain && txn_ == nullptr) o.accept = query::ExecuteOptions::Accept::kReads;
  if (!may_wait_) o.would_wait = &would_wait_;

  Result<query::QueryResult> r = txn_ != nullptr ? txn_->Execute(*request, o) : ctx_->db->Execute(*request, o, defer_);
  if (!r.ok()) {
    if (would_wait_) return;  // nothing kept: the caller runs it again where it may wait
    if (cancel_.load()) return Fail(out, h.request_id, ErrorCode::kCancelled, r.status().message());
    if (r.status().code() == StatusCode::kBusy) {
      if (o.deadline && std::chrono::steady_clock::now() > *o.deadline) {
        return Fail(out, h.request_id, ErrorCode::kTimeout,
                    r.status().message() + " (" + std::to_string(l.query_timeout_ms) + " ms)");
      }
      if (r.status().message().ends_with("(its row budget)")) {
        return Fail(out, h.request_id, ErrorCode::kLimitExceeded, r.status().message());
      }
    }
    return Fail(out, h.request_id, ErrorFor(r.status()));
  }
  // Encoded once, straight into its frame: room for the frame's header and
  // the Result's version (docs/protocol.md), then the blocks.
  constexpr size_t kRoom = kFrameHeaderBytes + 8;
  std::string frame = r->Encode(kRoom);
  const std::string_view reply = std::string_view(frame).substr(kFrameHeaderBytes);
  coding::EncodeFixed64(frame.data() + kFrameHeaderBytes, r->version);
  // A frame's length is 32 bits; the row budget normally keeps results far
  // below, but wide rows could pass it.
  if (reply.size() > kMaxPayloadBytes) {
    return Fail(out, h.request_id, ErrorCode::kLimitExceeded,
                "the result is " + std::to_string(reply.size()) + " bytes, more than a frame holds (" +
                    std::to_string(kMaxPayloadBytes) + "): select fewer fields or take fewer rows");
  }
  if (compress() || !out->empty()) return Reply(out, MessageType::kResult, h.request_id, reply);
  SealFrame(&frame, MessageType::kResult, h.request_id);
  *out = std::move(frame);
}

void Session::HandleTransaction(const FrameHeader& h, std::string* out) {
  switch (h.type) {
    case MessageType::kBegin:
      if (txn_ != nullptr) {
        return Fail(out, h.request_id, ErrorCode::kTransactionState, "Begin inside a transaction: commit or roll back first");
      }
      txn_ = ctx_->db->Begin();
      return Reply(out, MessageType::kOk, h.request_id, EncodeOk({txn_->snapshot_version().value()}));
    case MessageType::kCommit: {
      if (txn_ == nullptr) return Fail(out, h.request_id, ErrorCode::kTransactionState, "Commit without Begin");
      Result<mvcc::CommitVersion> v = txn_->Commit();
      txn_.reset();
      if (!v.ok()) return Fail(out, h.request_id, ErrorFor(v.status()));
      return Reply(out, MessageType::kOk, h.request_id, EncodeOk({v->value()}));
    }
    default:  // Rollback: without a transaction it does nothing, so a client may always clean up
      Close();
      return Reply(out, MessageType::kOk, h.request_id, EncodeOk({}));
  }
}

void Session::HandleMigrate(const FrameHeader& h, std::string_view payload, std::string* out) {
  Result<MigrateMessage> m = DecodeMigrate(payload);
  if (!m.ok()) return Fail(out, h.request_id, ErrorCode::kProtocol, m.status().message());
  if (txn_ != nullptr) {
    return Fail(out, h.request_id, ErrorCode::kTransactionState, "a migration cannot run inside a transaction");
  }
  if (h.type == MessageType::kMigratePlan) {
    if (m->allow_destructive) return Fail(out, h.request_id, ErrorCode::kProtocol, "MigratePlan.flags: must be 0");
    Result<schema::MigrationPlan> p = ctx_->db->PlanMigration(m->file_name, m->schema_text);
    if (!p.ok()) return Fail(out, h.request_id, ErrorFor(p.status()));
    PlanMessage pm;
    pm.grade = p->steps.empty() ? 0 : schema::GradeName(p->overall)[0];
    pm.text = p->steps.empty() ? "nothing to do: the stored schema matches" : schema::FormatPlan(*p);
    return Reply(out, MessageType::kPlan, h.request_id, EncodePlan(pm));
  }
  engine::MigrateOptions o;
  o.allow_destructive = m->allow_destructive;
  o.who = user_;
  Result<engine::MigrateResult> r = ctx_->db->Migrate(m->file_name, m->schema_text, o);
  if (!r.ok()) return Fail(out, h.request_id, ErrorFor(r.status()));
  MigratedMessage mm;
  mm.version = r->version;
  mm.report = r->plan.steps.empty() ? "nothing to do: the stored schema matches" : schema::FormatPlan(r->plan);
  for (const std::string& f : r->failed) mm.report += "\nrolled back: " + f;
  Reply(out, MessageType::kMigrated, h.request_id, EncodeMigrated(mm));
}

}  // namespace ormdb::net
