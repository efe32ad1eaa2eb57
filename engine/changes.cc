#include "engine/changes.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "engine/database.h"
#include "engine/keyspace.h"
#include "mvcc/store.h"
#include "query/filter.h"
#include "query/parser.h"
#include "schema/literal.h"
#include "schema/record.h"
#include "util/coding.h"
#include "util/thread_name.h"

namespace ormdb::engine {
namespace {

using schema::Value;
using Row = std::vector<Value>;
using Clock = std::chrono::steady_clock;
using Ops = std::array<bool, 4>;  // by ChangeOp

constexpr uint8_t kChangeFormat = 1;
constexpr size_t kHeaderBytes = 1 + 4 + 8;  // format, schema version, commit time

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Header {
  uint32_t schema_version = 0;
  int64_t committed_micros = 0;
  std::string_view events;
};

Result<Header> ParseHeader(std::string_view value, uint64_t version) {
  if (value.size() < kHeaderBytes || static_cast<uint8_t>(value[0]) != kChangeFormat) {
    return Status::Corruption("the change events of commit " + std::to_string(version) +
                              (value.empty() || static_cast<uint8_t>(value[0]) == kChangeFormat
                                   ? std::string(" are cut short")
                                   : " have unknown format " + std::to_string(static_cast<uint8_t>(value[0]))));
  }
  Header h;
  h.schema_version = coding::DecodeFixed32(value.data() + 1);
  h.committed_micros = static_cast<int64_t>(coding::DecodeFixed64(value.data() + 5));
  h.events = value.substr(kHeaderBytes);
  return h;
}

struct Event {
  ChangeOp op;
  uint32_t entity;
  std::string_view old_record, new_record;
};

bool GetBytes(std::string_view* in, std::string_view* out) {
  uint64_t n;
  if (!coding::GetVarint64(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// Calls fn(event) for each event; Corruption when the bytes do not parse.
template <typename Fn>
Status ForEachEvent(std::string_view events, uint64_t version, Fn&& fn) {
  while (!events.empty()) {
    const uint8_t op = static_cast<uint8_t>(events[0]);
    events.remove_prefix(1);
    uint64_t entity;
    Event e{static_cast<ChangeOp>(op), 0, {}, {}};
    if (op < 1 || op > 3 || !coding::GetVarint64(&events, &entity) || entity > UINT32_MAX ||
        !GetBytes(&events, &e.old_record) || !GetBytes(&events, &e.new_record)) {
      return Status::Corruption("the change events of commit " + std::to_string(version) + " do not parse");
    }
    e.entity = static_cast<uint32_t>(entity);
    RETURN_IF_ERROR(fn(e));
  }
  return Status::OK();
}

uint64_t VersionOfKey(std::string_view key) { return coding::DecodeFixed64BE(key.data() + 1); }

void WriteValue(json::Writer* w, const Catalog& c, const FieldInfo& f, const Value& v) {
  if (v.is_null()) return w->Null();
  using K = Value::Kind;
  switch (v.kind()) {
    case K::kBool: return w->Bool(v.bool_value());
    case K::kInt32: return w->Int(v.int32_value());
    case K::kInt64:
      if (f.type == schema::StorageType::kDateTime) return w->String(schema::FormatTimestampMicros(v.int64_value()));
      return w->Int(v.int64_value());
    case K::kDouble: return w->Double(v.double_value());
    case K::kDecimal: return w->String(v.decimal_value().ToString());
    case K::kBytes:
      if (f.type == schema::StorageType::kUuid) return w->String(schema::FormatUuid(v.bytes_value()));
      return w->String(schema::EncodeBase64(v.bytes_value()));
    case K::kString:
      if (f.type == schema::StorageType::kJson && json::Parse(v.string_value()).ok()) return w->Raw(v.string_value());
      if (f.type == schema::StorageType::kEnum) {
        for (const schema::EnumValue& ev : c.schema().enum_type(f.def->enum_type).values) {
          if (ev.db_name == v.string_value()) return w->String(ev.name);
        }
      }
      return w->String(v.string_value());
    case K::kNull: return w->Null();
  }
}

void WriteFields(json::Writer* w, const Catalog& c, const ModelInfo& m, const Row& row,
                 const std::vector<size_t>& columns) {
  w->BeginObject();
  auto one = [&](size_t i) {
    w->Key(m.fields[i].def->name);
    WriteValue(w, c, m.fields[i], row[i]);
  };
  if (columns.empty()) {
    for (size_t i = 0; i < m.fields.size(); ++i) one(i);
  } else {
    for (size_t i : columns) one(i);
  }
  w->EndObject();
}

Status DecodeRecord(const ModelInfo& m, std::string_view record, uint64_t version, Row* row) {
  Result<schema::RecordView> view = schema::RecordView::Open(record, *m.layout);
  if (!view.ok()) {
    return view.status().Annotate("a " + m.name() + " row in the change events of commit " + std::to_string(version));
  }
  return view->ReadAll(row);
}

Result<Ops> ParseOps(const json::Value& v, const std::string& path) {
  Ops ops{false, false, false, false};
  if (!v.is_array() || v.size() == 0) {
    return Status::InvalidArgument(path + ": expected a list of \"create\", \"update\", \"delete\", got " +
                                   v.ToString(60));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const json::Value& o = v.items()[i];
    int op = !o.is_string()                  ? 0
             : o.string_value() == "create" ? 1
             : o.string_value() == "update" ? 2
             : o.string_value() == "delete" ? 3
                                            : 0;
    if (op == 0) {
      return Status::InvalidArgument(path + "[" + std::to_string(i) +
                                     "]: expected \"create\", \"update\" or \"delete\", got " + o.ToString(60));
    }
    ops[op] = true;
  }
  return ops;
}

// A parser error ("where.title: expected ...") at `prefix` in the spec.
Status At(const Status& st, const std::string& prefix) {
  return Status::InvalidArgument(prefix + "." + st.message());
}

}  // namespace

std::string_view ChangeOpName(ChangeOp op) {
  switch (op) {
    case ChangeOp::kCreate: return "create";
    case ChangeOp::kUpdate: return "update";
    case ChangeOp::kDelete: return "delete";
  }
  return "?";
}

// ---------------------------------------------------------------- stored form

void ChangeEncoder::Add(uint32_t schema_version, ChangeOp op, uint32_t entity, std::string_view old_record,
                        std::string_view new_record) {
  schema_version_ = schema_version;
  if (parts_.empty() || parts_.back().size() >= kPartBytes) parts_.emplace_back();
  std::string& p = parts_.back();
  p.push_back(static_cast<char>(op));
  coding::PutVarint64(&p, entity);
  coding::PutVarint64(&p, old_record.size());
  p.append(old_record);
  coding::PutVarint64(&p, new_record.size());
  p.append(new_record);
}

std::vector<std::string> ChangeEncoder::Finish(int64_t now_micros) {
  std::vector<std::string> out;
  for (std::string& events : parts_) {
    std::string v;
    v.reserve(kHeaderBytes + events.size());
    v.push_back(static_cast<char>(kChangeFormat));
    coding::PutFixed32(&v, schema_version_);
    coding::PutFixed64(&v, static_cast<uint64_t>(now_micros));
    v += events;
    out.push_back(std::move(v));
  }
  parts_.clear();
  return out;
}

std::string ChangePrefix() { return std::string(1, kChangeSpace); }

std::string ChangeKey(uint64_t version, uint32_t part) {
  std::string k = ChangePrefix();
  char b[8];
  coding::EncodeFixed64BE(b, version);
  k.append(b, 8);
  schema::AppendU32Key(&k, part);
  return k;
}

std::string ChangeHorizonKey() { return std::string{kCatalogSpace, kChangeHorizonTag}; }

// ---------------------------------------------------------------- ChangeLog

ChangeLog::ChangeLog(Database* db, mvcc::Store* store, ChangeOptions options)
    : db_(db), store_(store), options_(options) {}

ChangeLog::~ChangeLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ChangeLog::Start() {
  std::string value;
  Status st = store_->BeginRead()->Get(ChangeHorizonKey(), &value);
  uint64_t horizon;
  if (st.IsNotFound()) {
    // The history starts now: nothing before this was recorded.
    auto txn = store_->BeginWrite();
    horizon = store_->last_committed().value();
    std::string v;
    coding::PutFixed64(&v, horizon);
    RETURN_IF_ERROR(txn->Put(ChangeHorizonKey(), v));
    RETURN_IF_ERROR(txn->Commit().status());
  } else {
    RETURN_IF_ERROR(st);
    if (value.size() != 8) return Status::Corruption("the change history's horizon is " + std::to_string(value.size()) + " bytes, not 8");
    horizon = coding::DecodeFixed64(value.data());
  }
  auto snap = store_->BeginRead();
  {
    std::lock_guard lock(mu_);
    horizon_ = horizon;
    read_ = ring_base_ = published_ = snap->version().value();
    retained_bytes_ = 0;  // MeasureHistory counts what is stored up to here; Published what comes after
  }
  thread_ = std::thread([this] {
    NameThisThread("ormdb-changes");
    Loop();
  });
  return Status::OK();
}

void ChangeLog::Published(uint64_t version, uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    retained_bytes_ += bytes;
    if (version <= published_) return;
    published_ = version;
    if (subscribers_ == 0) {
      // Nobody listens: what ReadNew would do then, without waking the
      // log's thread for every commit.
      SkipUnheardLocked();
      return;
    }
  }
  cv_.notify_one();
}

void ChangeLog::SkipUnheardLocked() {
  ring_.clear();
  ring_bytes_ = 0;
  read_ = ring_base_ = std::max(read_, published_);
}

uint64_t ChangeLog::read_version() const {
  std::lock_guard lock(mu_);
  return read_;
}

std::shared_ptr<const std::string> ChangeLog::SharedPage(const std::string& spec_key, uint64_t after, uint64_t end,
                                                         size_t* changes) const {
  std::lock_guard lock(pages_mu_);
  for (const Page& p : pages_) {
    if (p.after == after && p.end == end && p.spec_key == spec_key) {
      *changes = p.changes;
      return p.text;
    }
  }
  return nullptr;
}

void ChangeLog::RememberPage(const std::string& spec_key, uint64_t after, uint64_t end, size_t changes,
                             std::shared_ptr<const std::string> text) {
  std::lock_guard lock(pages_mu_);
  if (pages_.size() == kSharedPages) pages_.pop_front();
  pages_.push_back(Page{spec_key, after, end, changes, std::move(text)});
}

ChangeLogStats ChangeLog::stats() const {
  std::lock_guard lock(mu_);
  ChangeLogStats s;
  s.read_version = read_;
  s.horizon = horizon_;
  s.retained_bytes = retained_bytes_;
  s.buffered_bytes = ring_bytes_;
  s.subscribers = subscribers_;
  s.pruned_commits = pruned_commits_;
  return s;
}

void ChangeLog::Loop() {
  if (Status st = MeasureHistory(); !st.ok()) {
    std::fprintf(stderr, "change log: measuring the stored history: %s\n", st.ToString().c_str());
  }
  auto next_prune = Clock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_until(lock, next_prune, [&] { return stop_ || published_ > read_; });
    if (stop_) break;
    lock.unlock();
    if (Status st = ReadNew(); !st.ok()) {
      std::fprintf(stderr, "change log: reading new commits: %s\n", st.ToString().c_str());
    }
    if (Clock::now() >= next_prune) {
      if (Status st = Prune(); !st.ok()) {
        std::fprintf(stderr, "change log: pruning the history: %s\n", st.ToString().c_str());
      }
      next_prune = Clock::now() + std::chrono::milliseconds(options_.prune_interval_ms);
    }
    lock.lock();
  }
}

Result<std::shared_ptr<const Catalog>> ChangeLog::CatalogFor(uint32_t schema_version) {
  {
    std::lock_guard lock(mu_);
    auto it = catalogs_.find(schema_version);
    if (it != catalogs_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> c, db_->CatalogVersion(schema_version));
  std::lock_guard lock(mu_);
  catalogs_[schema_version] = c;
  return c;
}

Status ChangeLog::ReadHistory(uint64_t after, size_t max_bytes,
                              std::vector<std::shared_ptr<const ChangeBatch>>* out, uint64_t* end,
                              uint64_t* horizon) {
  auto snap = store_->BeginRead();
  std::string h;
  RETURN_IF_ERROR(snap->Get(ChangeHorizonKey(), &h));
  if (h.size() != 8) return Status::Corruption("the change history's horizon is not 8 bytes");
  *horizon = coding::DecodeFixed64(h.data());
  const uint64_t newest = snap->version().value();
  *end = std::max(after, newest);
  if (after >= newest) return Status::OK();
  auto cursor = snap->NewCursor(btree::CursorOptions{ChangeKey(after + 1, 0), PrefixEnd(ChangePrefix())});
  std::shared_ptr<ChangeBatch> cur;
  size_t bytes = 0;
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    std::string_view key = cursor->key();
    if (key.size() != 13) return Status::Corruption("a change log key of " + std::to_string(key.size()) + " bytes");
    const uint64_t version = VersionOfKey(key);
    if (!cur || cur->version != version) {
      if (cur) {
        bytes += cur->bytes;
        out->push_back(std::move(cur));
        if (bytes >= max_bytes) {
          *end = out->back()->version;
          return Status::OK();
        }
      }
      cur = std::make_shared<ChangeBatch>();
      cur->version = version;
    }
    ASSIGN_OR_RETURN(Header hd, ParseHeader(cursor->value(), version));
    if (cur->parts.empty()) {
      cur->schema_version = hd.schema_version;
      cur->committed_micros = hd.committed_micros;
      ASSIGN_OR_RETURN(cur->catalog, CatalogFor(hd.schema_version));
    }
    cur->parts.emplace_back(hd.events);
    cur->bytes += cursor->value().size();
  }
  RETURN_IF_ERROR(cursor->status());
  if (cur) out->push_back(std::move(cur));
  return Status::OK();
}

Status ChangeLog::ReadNew() {
  uint64_t from;
  {
    std::lock_guard lock(mu_);
    if (subscribers_ == 0) {
      // Nobody listens: nothing to read. A subscriber that arrives later
      // reads what it needs from the stored history.
      SkipUnheardLocked();
      return Status::OK();
    }
    from = read_;
  }
  std::vector<std::shared_ptr<const ChangeBatch>> batches;
  uint64_t end, horizon;
  RETURN_IF_ERROR(ReadHistory(from, SIZE_MAX, &batches, &end, &horizon));
  if (end <= from) return Status::OK();
  std::unique_lock lock(mu_);
  for (auto& b : batches) {
    ring_bytes_ += b->bytes;
    ring_.push_back(std::move(b));
  }
  read_ = end;
  while (ring_bytes_ > options_.buffer_bytes && !ring_.empty()) {
    ring_base_ = ring_.front()->version;
    ring_bytes_ -= ring_.front()->bytes;
    ring_.pop_front();
  }
  lock.unlock();
  // Not under mu_: writers publishing commits and subscribers polling need
  // it, and a hundred wake-ups take a while.
  std::lock_guard wl(waiters_mu_);
  for (Waiter* w : waiters_) {
    {
      std::lock_guard l(w->mu);
      w->signaled = true;
    }
    w->cv.notify_all();
    if (w->notify) w->notify();
  }
  return Status::OK();
}

Status ChangeLog::MeasureHistory() {
  uint64_t upto;
  {
    std::lock_guard lock(mu_);
    upto = read_;
  }
  auto snap = store_->BeginRead();
  auto cursor = snap->NewCursor(btree::CursorOptions{ChangePrefix(), ChangeKey(upto + 1, 0)});
  uint64_t bytes = 0;
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) bytes += cursor->value().size();
  RETURN_IF_ERROR(cursor->status());
  std::lock_guard lock(mu_);
  retained_bytes_ += bytes;
  measured_ = true;
  return Status::OK();
}

Status ChangeLog::Prune() {
  uint64_t retained;
  {
    std::lock_guard lock(mu_);
    if (!measured_) return Status::OK();
    retained = retained_bytes_;
  }
  const int64_t cutoff = WallMicros() - static_cast<int64_t>(options_.retain_seconds) * 1'000'000;
  constexpr size_t kMaxKeysPerRound = 4096;
  auto txn = store_->BeginWrite();
  auto it = txn->NewIterator(btree::CursorOptions{ChangePrefix(), PrefixEnd(ChangePrefix())});
  uint64_t deleted_bytes = 0, last = 0, commits = 0;
  size_t keys = 0;
  std::vector<std::string> doomed;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t version = VersionOfKey(it->key());
    if (version != last) {  // a new commit: prune it too?
      if (keys >= kMaxKeysPerRound) break;
      ASSIGN_OR_RETURN(Header h, ParseHeader(it->value(), version));
      const bool too_big = retained - deleted_bytes > options_.retain_bytes;
      const bool too_old = h.committed_micros < cutoff;
      if (!too_big && !too_old) break;
      last = version;
      ++commits;
    }
    doomed.emplace_back(it->key());
    deleted_bytes += it->value().size();
    ++keys;
  }
  RETURN_IF_ERROR(it->status());
  it.reset();
  if (doomed.empty()) {
    txn->Rollback();
    return Status::OK();
  }
  for (const std::string& k : doomed) RETURN_IF_ERROR(txn->Delete(k));
  std::string v;
  coding::PutFixed64(&v, last);
  RETURN_IF_ERROR(txn->Put(ChangeHorizonKey(), v));
  RETURN_IF_ERROR(txn->Commit().status());
  std::lock_guard lock(mu_);
  horizon_ = std::max(horizon_, last);
  retained_bytes_ -= std::min(retained_bytes_, deleted_bytes);
  pruned_commits_ += commits;
  return Status::OK();
}

void ChangeLog::Register(Waiter* w) {
  // Under mu_ too: ReadNew decides under it whether anyone listens.
  std::scoped_lock lock(mu_, waiters_mu_);
  waiters_.push_back(w);
  ++subscribers_;
}

void ChangeLog::Unregister(Waiter* w) {
  std::scoped_lock lock(mu_, waiters_mu_);
  const size_t before = waiters_.size();
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w), waiters_.end());
  subscribers_ -= before - waiters_.size();
}

Result<std::unique_ptr<Subscription>> ChangeLog::Subscribe(const json::Value& spec) {
  if (!spec.is_object()) return Status::InvalidArgument("expected a subscription object, got " + spec.ToString(60));
  static const char* const kKeys[] = {"models", "operations", "new", "old", "after"};
  for (const json::Value::Member& m : spec.members()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), m.first) == std::end(kKeys)) {
      return Status::InvalidArgument(m.first + ": not a subscription argument (models, operations, new, old, after)");
    }
  }
  const uint64_t newest = store_->last_committed().value();
  uint64_t after = newest;
  if (const json::Value* a = spec.Find("after"); a != nullptr && !a->is_null()) {
    if (!a->is_integer() || a->int_value() < 0) {
      return Status::InvalidArgument("after: expected a token (a commit version, from a result or a change), got " +
                                     a->ToString(60));
    }
    after = static_cast<uint64_t>(a->int_value());
    if (after > newest) {
      return Status::InvalidArgument("after: token " + std::to_string(after) + " is newer than the newest commit (" +
                                     std::to_string(newest) + "): it is from another database");
    }
  }
  for (const char* k : {"new", "old"}) {
    const json::Value* b = spec.Find(k);
    if (b != nullptr && !b->is_bool()) {
      return Status::InvalidArgument(std::string(k) + ": expected true or false, got " + b->ToString(60));
    }
  }
  std::unique_ptr<Subscription> s(new Subscription(this, spec, after));
  // The filter must apply to the schema now; later versions are checked as
  // their events arrive.
  RETURN_IF_ERROR(s->Compile(db_->catalog()).status());
  {
    std::lock_guard lock(mu_);
    if (after < horizon_) {
      return Status::Expired("after: token " + std::to_string(after) +
                             " is older than the retained change history, which starts after commit " +
                             std::to_string(horizon_) + ": fetch again and subscribe after the fetch's version");
    }
  }
  Register(&s->waiter_);
  return s;
}

// ---------------------------------------------------------------- Subscription

Subscription::Subscription(ChangeLog* log, json::Value spec, uint64_t cursor)
    : log_(log), spec_(std::move(spec)), cursor_(cursor) {
  json::Value key = json::Value::Object();
  for (const json::Value::Member& m : spec_.members()) {
    if (m.first != "after") key.Add(m.first, m.second);
  }
  spec_key_ = key.ToString();
  if (const json::Value* b = spec_.Find("new"); b != nullptr && b->is_bool()) want_new_ = b->bool_value();
  if (const json::Value* b = spec_.Find("old"); b != nullptr && b->is_bool()) want_old_ = b->bool_value();
}

Subscription::~Subscription() {
  // Compile() failures never registered; Unregister tolerates that.
  if (log_ != nullptr) log_->Unregister(&waiter_);
}

Result<ChangePage> Subscription::RenderStored(const json::Value& spec, std::shared_ptr<const Catalog> catalog,
                                              uint64_t version, std::string_view value) {
  if (!spec.is_object()) return Status::InvalidArgument("expected a subscription object");
  Subscription s(nullptr, spec, 0);
  if (const json::Value* b = spec.Find("new"); b != nullptr && !b->is_bool()) return Status::InvalidArgument("new");
  if (const json::Value* b = spec.Find("old"); b != nullptr && !b->is_bool()) return Status::InvalidArgument("old");
  ASSIGN_OR_RETURN(Header h, ParseHeader(value, version));
  ChangeBatch b;
  b.version = version;
  b.schema_version = h.schema_version;
  b.committed_micros = h.committed_micros;
  b.catalog = std::move(catalog);
  b.parts.emplace_back(h.events);
  ChangePage page;
  std::string events;
  RETURN_IF_ERROR(s.RenderUncached(b, &events, &page.changes));
  page.text = std::make_shared<const std::string>("[" + events + "]");
  page.token = version;
  return page;
}

void Subscription::SetNotify(std::function<void()> fn) {
  std::lock_guard lock(log_->waiters_mu_);  // the log's thread calls it under this lock
  waiter_.notify = std::move(fn);
}

Result<Subscription::Compiled> Subscription::Compile(const std::shared_ptr<const Catalog>& catalog) const {
  Compiled c;
  c.catalog = catalog;
  Ops default_ops{false, true, true, true};
  if (const json::Value* ops = spec_.Find("operations")) {
    ASSIGN_OR_RETURN(default_ops, ParseOps(*ops, "operations"));
  }
  auto set_ops = [](ModelFilter* f, const Ops& ops) { std::copy(ops.begin(), ops.end(), f->ops); };
  const json::Value* models = spec_.Find("models");
  if (models == nullptr || models->is_null()) {
    c.all_models = true;
    set_ops(&c.all, default_ops);
    return c;
  }
  auto model = [&](const std::string& name, const std::string& path) -> Result<const ModelInfo*> {
    const ModelInfo* m = catalog->FindModel(name);
    if (m == nullptr) {
      return Status::InvalidArgument(path + ": no model named " + name + " in schema version " +
                                     std::to_string(catalog->version()));
    }
    return m;
  };
  if (models->is_array()) {
    for (size_t i = 0; i < models->size(); ++i) {
      const json::Value& n = models->items()[i];
      const std::string path = "models[" + std::to_string(i) + "]";
      if (!n.is_string()) return Status::InvalidArgument(path + ": expected a model name, got " + n.ToString(60));
      ASSIGN_OR_RETURN(const ModelInfo* m, model(n.string_value(), path));
      set_ops(&c.models[m->entity], default_ops);
    }
    return c;
  }
  if (!models->is_object()) {
    return Status::InvalidArgument("models: expected a list of model names or an object of them, got " +
                                   models->ToString(60));
  }
  for (const json::Value::Member& mem : models->members()) {
    const std::string path = "models." + mem.first;
    ASSIGN_OR_RETURN(const ModelInfo* m, model(mem.first, path));
    ModelFilter& f = c.models[m->entity];
    set_ops(&f, default_ops);
    const json::Value& v = mem.second;
    if (v.is_bool() && v.bool_value()) continue;
    if (!v.is_object()) {
      return Status::InvalidArgument(path + ": expected true or {where, select, operations}, got " + v.ToString(60));
    }
    for (const json::Value::Member& k : v.members()) {
      if (k.first == "operations") {
        ASSIGN_OR_RETURN(Ops ops, ParseOps(k.second, path + ".operations"));
        set_ops(&f, ops);
      } else if (k.first == "where" || k.first == "select") {
        // Read as a findMany's, then kept to what an event can answer.
        json::Value req = json::Value::Object();
        req.Add("findMany", json::Value::String(mem.first));
        req.Add(k.first, k.second);
        Result<query::Request> r = query::ParseRequest(req, catalog->schema());
        if (!r.ok()) return At(r.status(), path);
        if (k.first == "where") {
          if (query::HasRelationFilter(r->selection.where)) {
            return Status::InvalidArgument(path +
                                           ".where: a change stream's where can test the model's own fields only, "
                                           "not its relations");
          }
          f.where = std::move(r->selection.where);
        } else {
          if (!r->selection.includes.empty() || !r->selection.counts.empty()) {
            return Status::InvalidArgument(path + ".select: a change stream selects the model's own fields only");
          }
          f.columns = r->selection.columns;
        }
      } else {
        return Status::InvalidArgument(path + "." + k.first + ": not a model filter argument (where, select, operations)");
      }
    }
  }
  return c;
}

Result<const Subscription::Compiled*> Subscription::FilterFor(const ChangeBatch& b) {
  auto it = compiled_.find(b.schema_version);
  if (it != compiled_.end()) return &it->second;
  Result<Compiled> c = Compile(b.catalog);
  if (!c.ok()) {
    return Status::InvalidArgument("commit " + std::to_string(b.version) + " changed the schema to version " +
                                   std::to_string(b.schema_version) +
                                   ", to which this subscription's filter no longer applies: " + c.status().message());
  }
  return &compiled_.emplace(b.schema_version, std::move(c).value()).first->second;
}

Status Subscription::Render(const ChangeBatch& b, std::string* fragment, size_t* count) {
  const ChangeBatch::Rendered* hit = nullptr;
  {
    std::lock_guard lock(b.rendered_mu);
    for (const ChangeBatch::Rendered& r : b.rendered) {
      if (r.spec == spec_key_) hit = &r;
    }
    if (hit != nullptr) {
      // Entries are only appended and dropped from the front under the
      // lock: copy while holding it.
      if (hit->count > 0) {
        if (!fragment->empty()) fragment->push_back(',');
        fragment->append(hit->fragment);
      }
      *count += hit->count;
      return Status::OK();
    }
  }
  std::string mine;
  size_t n = 0;
  RETURN_IF_ERROR(RenderUncached(b, &mine, &n));
  if (n > 0) {
    if (!fragment->empty()) fragment->push_back(',');
    fragment->append(mine);
  }
  *count += n;
  std::lock_guard lock(b.rendered_mu);
  if (b.rendered.size() == ChangeBatch::kRenderedSpecs) b.rendered.pop_front();
  b.rendered.push_back(ChangeBatch::Rendered{spec_key_, std::move(mine), n});
  return Status::OK();
}

Status Subscription::RenderUncached(const ChangeBatch& b, std::string* fragment, size_t* count) {
  ASSIGN_OR_RETURN(const Compiled* c, FilterFor(b));
  std::string array;
  json::Writer writer(&array);
  json::Writer* w = &writer;
  w->BeginArray();
  const Catalog& cat = *b.catalog;
  Row old_row, new_row;
  for (const std::string& part : b.parts) {
    RETURN_IF_ERROR(ForEachEvent(part, b.version, [&](const Event& e) -> Status {
      const ModelFilter* f = &c->all;
      if (!c->all_models) {
        auto it = c->models.find(e.entity);
        if (it == c->models.end()) return Status::OK();
        f = &it->second;
      }
      if (!f->ops[static_cast<size_t>(e.op)]) return Status::OK();
      const ModelInfo* m = cat.FindEntity(e.entity);
      if (m == nullptr) {
        return Status::Corruption("the change events of commit " + std::to_string(b.version) + " name entity " +
                                  std::to_string(e.entity) + ", which schema version " +
                                  std::to_string(b.schema_version) + " does not have");
      }
      const bool has_old = e.op != ChangeOp::kCreate, has_new = e.op != ChangeOp::kDelete;
      old_row.clear();
      new_row.clear();
      if (has_old) RETURN_IF_ERROR(DecodeRecord(*m, e.old_record, b.version, &old_row));
      if (has_new) RETURN_IF_ERROR(DecodeRecord(*m, e.new_record, b.version, &new_row));
      const Row& row = has_new ? new_row : old_row;
      if (f->where && !query::Matches(*f->where, row)) return Status::OK();
      w->BeginObject();
      w->Key("version");
      w->Uint(b.version);
      w->Key("model");
      w->String(m->name());
      w->Key("op");
      w->String(ChangeOpName(e.op));
      w->Key("key");
      WriteFields(w, cat, *m, row, m->pk);
      if (e.op == ChangeOp::kUpdate) {
        w->Key("changed");
        w->BeginArray();
        for (size_t i = 0; i < m->fields.size(); ++i) {
          if (schema::Compare(old_row[i], new_row[i]) != 0) w->String(m->fields[i].def->name);
        }
        w->EndArray();
      }
      if (want_new_ && has_new) {
        w->Key("new");
        WriteFields(w, cat, *m, new_row, f->columns);
      }
      if (want_old_ && has_old) {
        w->Key("old");
        WriteFields(w, cat, *m, old_row, f->columns);
      }
      w->EndObject();
      ++*count;
      return Status::OK();
    }));
  }
  w->EndArray();
  fragment->append(array, 1, array.size() - 2);  // without the brackets
  return Status::OK();
}

Result<ChangePage> Subscription::Poll(size_t max_bytes, uint64_t through) {
  std::vector<std::shared_ptr<const ChangeBatch>> batches;
  uint64_t end = cursor_;
  bool from_history = false;
  {
    std::lock_guard lock(log_->mu_);
    if (cursor_ < log_->horizon_) {
      return Status::Expired("token " + std::to_string(cursor_) +
                             " is older than the retained change history, which starts after commit " +
                             std::to_string(log_->horizon_) + ": fetch again and subscribe after the fetch's version");
    }
    if (cursor_ >= log_->ring_base_) {
      live_ = true;
      const uint64_t limit = std::min(through, log_->read_);
      if (cursor_ < limit) {
        auto& ring = log_->ring_;
        auto it = std::upper_bound(ring.begin(), ring.end(), cursor_,
                                   [](uint64_t v, const std::shared_ptr<const ChangeBatch>& b) { return v < b->version; });
        size_t bytes = 0;
        for (; it != ring.end() && (*it)->version <= limit && bytes < max_bytes; ++it) {
          bytes += (*it)->bytes;
          batches.push_back(*it);
        }
        end = it == ring.end() || (*it)->version > limit ? limit : batches.back()->version;
      }
    } else if (live_) {
      return Status::Lagging("the subscriber fell more than " + std::to_string(log_->options_.buffer_bytes) +
                             " bytes of changes behind; subscribe again after token " + std::to_string(cursor_));
    } else {
      from_history = true;
    }
  }
  ChangePage page;
  page.token = end;
  if (!from_history && end > cursor_) {
    // A live page is the same for every subscriber of this spec that reads
    // (cursor_, end]: the first renders it, the others share the text.
    page.text = log_->SharedPage(spec_key_, cursor_, end, &page.changes);
    if (page.text != nullptr) {
      cursor_ = end;
      return page;
    }
  }
  if (from_history) {
    uint64_t horizon;
    RETURN_IF_ERROR(log_->ReadHistory(cursor_, max_bytes, &batches, &end, &horizon));
    if (horizon > cursor_) {
      return Status::Expired("token " + std::to_string(cursor_) +
                             " is older than the retained change history, which starts after commit " +
                             std::to_string(horizon) + ": fetch again and subscribe after the fetch's version");
    }
    page.token = end;
  }
  std::string events;
  for (const auto& b : batches) RETURN_IF_ERROR(Render(*b, &events, &page.changes));
  auto text = std::make_shared<std::string>();
  text->reserve(events.size() + 40);
  *text += "{\"token\":";
  *text += std::to_string(end);
  *text += ",\"changes\":[";
  *text += events;
  *text += "]}";
  page.text = std::move(text);
  if (!from_history && end > cursor_) log_->RememberPage(spec_key_, cursor_, end, page.changes, page.text);
  cursor_ = end;
  return page;
}

Result<ChangePage> Subscription::Wait(std::chrono::milliseconds timeout, size_t max_bytes) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(waiter_.mu);
      waiter_.signaled = false;
    }
    ASSIGN_OR_RETURN(ChangePage page, Poll(max_bytes));
    if (page.changes > 0) return page;
    std::unique_lock lock(waiter_.mu);
    if (!waiter_.cv.wait_until(lock, deadline, [&] { return waiter_.signaled; })) return page;
  }
}

}  // namespace ormdb::engine
