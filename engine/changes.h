// Change streams (docs/change-streams.md): every commit that changes rows
// stores its change events in the same commit, under a key stamped with its
// commit version (mvcc::WriteTxn::PutStamped), so the history is exactly as
// durable as the data and in commit order by construction. A subscriber
// names what it wants (models, operations, a where on the new values,
// fields) and a token (a commit version); it reads every matching event
// after the token, first from the stored history, then from the recent
// commits the change log keeps in memory, with no gap and no duplicate
// across the switch because both are read by commit version.
//
//   ChangeLog     one per Database: a thread that reads each new commit's
//                 events once into a bounded in-memory ring, wakes the
//                 subscribers, and prunes the stored history to its
//                 retention (size and age).
//   Subscription  one subscriber's cursor and filter. Poll returns the next
//                 page of matching events as JSON; a subscriber that the
//                 ring overran while it was live gets Lagging (resume from
//                 its token), a token older than the history gets Expired.
//
// Writers never wait for subscribers: the ring evicts its oldest commits
// whatever the subscribers have read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/catalog.h"
#include "query/request.h"
#include "util/json.h"
#include "util/status.h"

namespace ormdb::mvcc {
class Store;
}

namespace ormdb::engine {

class Database;

struct ChangeOptions {
  bool capture = true;  // off: commits store no events (subscribers then see none)
  // The stored history is pruned, oldest commits first, past either bound.
  uint64_t retain_bytes = uint64_t{256} << 20;
  uint64_t retain_seconds = 7 * 24 * 3600;
  // Recent commits' events held in memory for live subscribers; one that
  // falls further behind than this is told it lags.
  size_t buffer_bytes = size_t{16} << 20;
  uint32_t prune_interval_ms = 1000;
};

enum class ChangeOp : uint8_t { kCreate = 1, kUpdate = 2, kDelete = 3 };
std::string_view ChangeOpName(ChangeOp op);  // "create", "update", "delete"

// A transaction's events as they are stored (docs/change-streams.md,
// "Stored form"): a header, then per event the operation, the entity id,
// and the row's records before and after (empty when there is none), in
// the schema version of the header.
class ChangeEncoder {
 public:
  // Parts stay under this size; a larger transaction stores several.
  static constexpr size_t kPartBytes = size_t{1} << 20;

  bool empty() const { return parts_.empty(); }
  void Add(uint32_t schema_version, ChangeOp op, uint32_t entity, std::string_view old_record,
           std::string_view new_record);
  // The parts, each with the header (format, schema version, commit time).
  std::vector<std::string> Finish(int64_t now_micros);

 private:
  uint32_t schema_version_ = 0;
  std::vector<std::string> parts_;  // events only; Finish adds headers
};

// The key of part `part` of the events of commit `version`, and the key
// that holds the version through which history was pruned.
std::string ChangeKey(uint64_t version, uint32_t part);
std::string ChangePrefix();
std::string ChangeHorizonKey();

// One commit's stored events, read back.
struct ChangeBatch {
  uint64_t version = 0;
  int64_t committed_micros = 0;
  uint32_t schema_version = 0;
  std::shared_ptr<const Catalog> catalog;  // of schema_version
  std::vector<std::string> parts;          // events only (headers checked and removed)
  size_t bytes = 0;

  // The events as rendered for the last few distinct specs: subscribers
  // with the same filter (every cache of one model, say) render a commit
  // once between them.
  struct Rendered {
    std::string spec;      // Subscription::spec_key_
    std::string fragment;  // the events' JSON objects, comma-separated
    size_t count = 0;
  };
  static constexpr size_t kRenderedSpecs = 4;
  mutable std::mutex rendered_mu;
  mutable std::deque<Rendered> rendered;
};

struct ChangePage {
  // Every matching event of a commit up to this version has been returned:
  // subscribe again `after` it to resume.
  uint64_t token = 0;
  size_t changes = 0;  // events in json()
  // {"token": N, "changes": [{"version", "model", "op", "key", "changed",
  //  "new", "old"}, ...]}. Shared, never copied, between the subscribers
  // with the same filter that read the same commits.
  std::shared_ptr<const std::string> text;

  std::string_view json() const { return text != nullptr ? std::string_view(*text) : std::string_view(); }
};

struct ChangeLogStats {
  uint64_t read_version = 0;      // newest commit read into the ring
  uint64_t horizon = 0;           // history before (and at) this version is pruned
  uint64_t retained_bytes = 0;    // stored history
  uint64_t buffered_bytes = 0;    // in the ring
  uint64_t subscribers = 0;
  uint64_t pruned_commits = 0;
};

class Subscription;

class ChangeLog {
 public:
  ChangeLog(Database* db, mvcc::Store* store, ChangeOptions options);
  ~ChangeLog();
  ChangeLog(const ChangeLog&) = delete;
  ChangeLog& operator=(const ChangeLog&) = delete;

  // Reads the horizon (starting the history at the newest commit the first
  // time), then starts the thread.
  Status Start();
  // A commit that stored `bytes` of change events became visible: wake
  // the reader.
  void Published(uint64_t version, uint64_t bytes);
  // The newest commit read into the buffer: what a live subscriber can be
  // given now. A caller that polls many subscriptions at once passes it to
  // each Poll as `through`, so subscribers at the same token get the same
  // page (rendered once, docs/change-streams.md "Delivery").
  uint64_t read_version() const;

  // `spec`: docs/change-streams.md, "Subscribing".
  Result<std::unique_ptr<Subscription>> Subscribe(const json::Value& spec);

  const ChangeOptions& options() const { return options_; }
  ChangeLogStats stats() const;

 private:
  friend class Subscription;
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool signaled = false;
    std::function<void()> notify;
  };

  void Loop();
  // Reads the commits after read_ into the ring.
  Status ReadNew();
  // With no subscriber: drop the ring and count everything published as read.
  void SkipUnheardLocked();
  // Deletes the oldest stored commits past the retention bounds.
  Status Prune();
  Status MeasureHistory();
  // Stored batches after `after`, at most about `max_bytes` (whole
  // commits), from a snapshot; *end: the version read through, *horizon:
  // the snapshot's horizon.
  Status ReadHistory(uint64_t after, size_t max_bytes, std::vector<std::shared_ptr<const ChangeBatch>>* out,
                     uint64_t* end, uint64_t* horizon);
  Result<std::shared_ptr<const Catalog>> CatalogFor(uint32_t schema_version);
  void Register(Waiter* w);
  void Unregister(Waiter* w);
  // The live page of the commits in (after, end] for a spec, if a
  // subscriber with the same spec rendered it lately; Remember keeps one.
  std::shared_ptr<const std::string> SharedPage(const std::string& spec_key, uint64_t after, uint64_t end,
                                                size_t* changes) const;
  void RememberPage(const std::string& spec_key, uint64_t after, uint64_t end, size_t changes,
                    std::shared_ptr<const std::string> text);

  Database* db_;
  mvcc::Store* store_;
  const ChangeOptions options_;

  mutable std::mutex mu_;  // guards what follows
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t published_ = 0;
  uint64_t read_ = 0;       // the ring holds every batch of a version in (ring_base_, read_]
  uint64_t ring_base_ = 0;
  std::deque<std::shared_ptr<const ChangeBatch>> ring_;
  size_t ring_bytes_ = 0;
  uint64_t horizon_ = 0;
  uint64_t retained_bytes_ = 0;
  bool measured_ = false;
  uint64_t pruned_commits_ = 0;
  size_t subscribers_ = 0;  // waiters_.size()
  std::map<uint32_t, std::shared_ptr<const Catalog>> catalogs_;

  std::mutex waiters_mu_;  // guards waiters_ and their notify; taken after mu_ when both are
  std::vector<Waiter*> waiters_;

  // The last few live pages rendered, for subscribers with the same spec
  // at the same token (a cache tier's many followers of one model).
  struct Page {
    std::string spec_key;
    uint64_t after = 0, end = 0;
    size_t changes = 0;
    std::shared_ptr<const std::string> text;
  };
  static constexpr size_t kSharedPages = 8;
  mutable std::mutex pages_mu_;  // guards pages_; taken alone
  std::deque<Page> pages_;

  std::thread thread_;
};

class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next matching events after token(), at most about `max_bytes` of
  // stored events read (whole commits: a commit's events always arrive
  // together) and none of a commit after `through`. An empty page when
  // there is nothing new. Expired when the token is older than the
  // history; Lagging when this subscriber fell more than the ring behind:
  // subscribe again after token().
  Result<ChangePage> Poll(size_t max_bytes = size_t{1} << 20, uint64_t through = UINT64_MAX);
  // Poll, waiting up to `timeout` for something to return.
  Result<ChangePage> Wait(std::chrono::milliseconds timeout, size_t max_bytes = size_t{1} << 20);
  // Called from the change log's thread whenever new commits are readable;
  // must return at once (post a wake-up, no Poll inside).
  void SetNotify(std::function<void()> fn);
  uint64_t token() const { return cursor_; }

  // The page one stored value of commit `version` makes for `spec`
  // against `catalog`, outside any database: what the change-stream fuzzer
  // feeds damaged values and specs through.
  static Result<ChangePage> RenderStored(const json::Value& spec, std::shared_ptr<const Catalog> catalog,
                                         uint64_t version, std::string_view value);

 private:
  friend class ChangeLog;
  struct ModelFilter {
    bool ops[4] = {false, true, true, true};  // by ChangeOp
    std::optional<query::Filter> where;
    std::vector<size_t> columns;  // selected stored fields; empty: all
  };
  struct Compiled {
    std::shared_ptr<const Catalog> catalog;
    std::map<uint32_t, ModelFilter> models;  // by entity id
    bool all_models = false;
    ModelFilter all;  // for every model when all_models
  };

  Subscription(ChangeLog* log, json::Value spec, uint64_t cursor);
  // The filter against a catalog; errors name the path in the spec.
  Result<Compiled> Compile(const std::shared_ptr<const Catalog>& catalog) const;
  Result<const Compiled*> FilterFor(const ChangeBatch& b);
  // Appends the batch's matching events to *fragment (comma-separated
  // objects, with a leading comma when *fragment is not empty).
  Status Render(const ChangeBatch& b, std::string* fragment, size_t* count);
  Status RenderUncached(const ChangeBatch& b, std::string* fragment, size_t* count);

  ChangeLog* log_;
  json::Value spec_;
  std::string spec_key_;  // the spec without its token: what decides the rendering
  bool want_new_ = true, want_old_ = false;
  uint64_t cursor_;
  bool live_ = false;  // has read from the ring
  std::map<uint32_t, Compiled> compiled_;  // by schema version
  ChangeLog::Waiter waiter_;
};

}  // namespace ormdb::engine
