// The entity-level embedded API: a database of models (schema.prisma) on the
// transactional store. A Transaction inserts, reads, updates, deletes and
// scans rows by model and field names and enforces, inside the transaction,
// what the schema declares: types, required fields, defaults (constants,
// autoincrement(), uuid(), cuid(), now(), @updatedAt), unique constraints,
// foreign keys and their onDelete / onUpdate actions. Errors name the model,
// the field and the constraint.
//
// A failed operation leaves the transaction aborted (as PostgreSQL does):
// whatever it had written so far is not undone piecemeal, so every later
// operation and the commit fail with that error; roll back and retry.
// Constraint checks are validated at commit (mvcc::WriteTxn::ValidateRead),
// so two concurrent transactions cannot both pass a check the other breaks:
// one of them gets a retryable Conflict.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/catalog.h"
#include "engine/changes.h"
#include "mvcc/store.h"
#include "mvcc/write_txn.h"
#include "query/executor.h"
#include "query/request.h"
#include "query/result.h"
#include "schema/migration_plan.h"
#include "schema/value.h"
#include "util/json.h"

namespace ormdb::engine {

// Field values by field name (stored fields only; relation fields hold none).
using Fields = std::map<std::string, schema::Value, std::less<>>;

struct DatabaseOptions {
  mvcc::StoreOptions store;
  mvcc::Isolation isolation = mvcc::Isolation::kSnapshot;
  ChangeOptions changes;
};

// A range of an index (or of the primary key): rows whose key columns lie
// between the bounds, compared column by column like a tuple. A bound may
// name fewer columns than the index has: it then covers every row with that
// prefix. No bound: unbounded on that side.
struct ScanSpec {
  std::string index;  // "" = the primary key; else the index's field names joined by ',' ("authorId,createdAt")
  std::optional<std::vector<schema::Value>> from;  // inclusive
  std::optional<std::vector<schema::Value>> to;    // inclusive
  bool reverse = false;
  size_t limit = SIZE_MAX;
};

struct MigrateOptions {
  bool allow_destructive = false;  // run D steps (they destroy data)
  std::string who;                 // recorded with the migration
  size_t batch_rows = 1000;        // rows per transaction of an index build or a drop
  // Long steps report here: what is being done, and how many rows so far.
  std::function<void(const std::string& what, uint64_t rows)> progress;
};

struct MigrateResult {
  schema::MigrationPlan plan;
  uint32_t version = 0;              // the schema version now current
  std::vector<std::string> failed;   // B steps rolled back, each with why and the offending rows
};

class Database;

class Transaction {
 public:
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Inserts a row; returns it as stored (defaults and generated values filled in).
  Result<Fields> Insert(std::string_view model, const Fields& values);
  // The row whose primary key or one unique constraint equals `where`
  // (exactly that constraint's fields), if any.
  Result<std::optional<Fields>> FindUnique(std::string_view model, const Fields& where);
  // Changes the given fields of the row `where` names; NotFound if none.
  // Returns the row as stored.
  Result<Fields> Update(std::string_view model, const Fields& where, const Fields& changes);
  // Deletes the row `where` names, applying onDelete to rows that reference
  // it; NotFound if none.
  Status Delete(std::string_view model, const Fields& where);
  // Rows in index order.
  Result<std::vector<Fields>> Scan(std::string_view model, const ScanSpec& spec);

  // Runs a graph fetch or a mutation (query/request.h) inside this
  // transaction. A failed mutation aborts the transaction, as every failed
  // write does.
  Result<query::QueryResult> Execute(const query::Request& request, const query::ExecuteOptions& options = {});
  // The same for a request's argument tree (text or binary form, parsed),
  // bound against this transaction's schema.
  Result<query::QueryResult> Execute(const json::Value& request, const query::ExecuteOptions& options = {});
  // The snapshot this transaction reads.
  mvcc::CommitVersion snapshot_version() const { return txn_->snapshot_version(); }

  Result<mvcc::CommitVersion> Commit();
  void Rollback();

  const Catalog& catalog() const { return *catalog_; }

 private:
  friend class Database;
  friend class PendingCommit;
  friend class TxnStorage;
  // Commit, split where a caller that must not wait parts from it: up to
  // the log append (the transaction holds its gates until FinishCommit),
  // and then durable and visible, the gates left and the changes published.
  Result<mvcc::Appended> AppendCommit(uint64_t* change_bytes);
  // What both commits do first: the transaction's change events stored
  // with it; returns their size.
  Result<uint64_t> PrepareCommit();
  Status FinishCommit(const mvcc::Appended& a, uint64_t change_bytes);
  Transaction(Database* db, std::shared_ptr<const Catalog> catalog, std::unique_ptr<mvcc::WriteTxn> txn);

  // Runs an operation; its error aborts the transaction.
  template <typename F>
  auto Run(F&& f) -> decltype(f());

  Result<const ModelInfo*> Model(std::string_view name) const;
  Status CheckOpen() const;
  // Values of `fields` by name into positions, type-checked and coerced.
  Status Assign(const ModelInfo& m, const Fields& values, std::vector<schema::Value>* row, std::vector<bool>* given);
  Result<schema::Value> Coerce(const ModelInfo& m, size_t pos, const schema::Value& v) const;
  Status FillDefaults(const ModelInfo& m, std::vector<schema::Value>* row, const std::vector<bool>& given);
  Status CheckRequired(const ModelInfo& m, const std::vector<schema::Value>& row) const;
  // Inserts a row given in storage form (`given` marks the fields set);
  // returns it as stored.
  Result<std::vector<schema::Value>> InsertRow(const ModelInfo& m, std::vector<schema::Value> row,
                                               const std::vector<bool>& given);

  Result<std::string> PrimaryKeyBytes(const ModelInfo& m, const std::vector<schema::Value>& row) const;
  // The row key of a row of `m` with primary key `pk` (the locator's for a
  // clustered model; NotFound when it has none). `row` (when given) is
  // the row itself, whose foreign key names the parent.
  Result<std::string> RowKey(const ModelInfo& m, std::string_view pk, const std::vector<schema::Value>* row);
  Result<std::optional<std::string>> LocateRow(const ModelInfo& m, std::string_view pk);
  Result<std::vector<schema::Value>> DecodeRow(const ModelInfo& m, std::string_view record);
  Result<std::optional<std::vector<schema::Value>>> GetRow(const ModelInfo& m, std::string_view pk,
                                                           std::string* row_key);
  // `where` (names) to the primary key bytes of the row it names, if any.
  Result<std::optional<std::string>> ResolveWhere(const ModelInfo& m, const Fields& where);

  Result<std::string> IndexKey(const ModelInfo& m, const IndexInfo& ix, const std::vector<schema::Value>& row,
                               std::string_view pk) const;
  // `old_pk`: the row's key before an update (its own entry is no clash).
  Status CheckUnique(const ModelInfo& m, const IndexInfo& ix, const std::vector<schema::Value>& row,
                     std::string_view pk, std::string_view old_pk);
  Status CheckForeignKeys(const ModelInfo& m, const std::vector<schema::Value>& row,
                          const std::vector<schema::Value>* before);
  // *record (when given): the record written.
  Status WriteRow(const ModelInfo& m, const std::vector<schema::Value>& row, std::string_view pk,
                  const std::string& row_key, std::string* record = nullptr);
  // Records a change event for the change log (engine/changes.h).
  Status RecordChange(const ModelInfo& m, ChangeOp op, const std::vector<schema::Value>* before,
                      std::string_view new_record);
  Status WriteIndexes(const ModelInfo& m, const std::vector<schema::Value>* before,
                      const std::vector<schema::Value>* after, std::string_view old_pk, std::string_view new_pk);
  // Rows of `child` whose foreign key of `rel` names the row `parent_row` of `parent`.
  Result<std::vector<std::string>> Children(const ModelInfo& parent, const std::vector<schema::Value>& parent_row,
                                            const std::string& parent_key, const schema::Relation& rel);
  Status DeleteRow(const ModelInfo& m, std::string_view pk, int depth);
  Result<std::vector<schema::Value>> UpdateRow(const ModelInfo& m, std::string_view pk,
                                               std::vector<schema::Value> changes, std::vector<bool> given,
                                               int depth);
  Fields ToFields(const ModelInfo& m, const std::vector<schema::Value>& row) const;
  // Adds the entries of rows after primary key *after (at most `limit`) to
  // the index being built; a unique clash goes to *clashes. Sets *after to
  // the last row's key, or clears *more when the model has no more rows.
  Status BackfillIndex(const ModelInfo& m, const IndexInfo& ix, std::string* after, size_t limit, bool* more,
                       uint64_t* rows, std::vector<std::string>* clashes);
  // Writes `old_row` of `old_m` (another catalog's) as a row of `m`: fields
  // matched by database name and converted, new ones defaulted, required
  // fields and unique keys checked (foreign keys are the caller's).
  Status RewriteRow(const ModelInfo& old_m, const std::vector<schema::Value>& old_row, const ModelInfo& m);
  // Checks every row of `m` against this transaction's schema (required
  // fields, types, foreign keys); problems (at most `max`) go to *problems.
  Status ValidateRows(const ModelInfo& m, size_t max, std::vector<std::string>* problems);
  // Rows of `m` in primary key order, after primary key `after` (empty:
  // from the first), at most `limit`; with `validate`, the range read is
  // validated at commit (a concurrent insert into it fails one of the two).
  Result<std::vector<std::pair<std::string, std::vector<schema::Value>>>> AllRows(const ModelInfo& m,
                                                                                   std::string_view after = {},
                                                                                   size_t limit = SIZE_MAX,
                                                                                   bool validate = true);

  // Holds the model's write gate (shared) until the transaction ends; waits
  // while a migration rewrites the model's rows (fails instead when the
  // request running must not wait: ExecuteOptions::would_wait).
  Status Enter(const ModelInfo& m);
  void Leave();

  Database* db_;
  std::shared_ptr<const Catalog> catalog_;
  std::unique_ptr<mvcc::WriteTxn> txn_;
  std::map<uint32_t, std::shared_ptr<std::shared_mutex>> gates_;  // entered, by entity id
  bool* would_wait_ = nullptr;  // the running request's ExecuteOptions::would_wait
  // How rows written under older schema versions read, by (entity, version).
  struct OldLayout {
    std::shared_ptr<const Catalog> catalog;  // owns the layout
    const schema::RecordLayout* layout = nullptr;
    std::optional<schema::LayoutMapping> map;
  };
  std::map<std::pair<uint32_t, uint32_t>, OldLayout> mappings_;
  ChangeEncoder changes_;
  Status failed_;
  bool done_ = false;
};

template <typename F>
auto Transaction::Run(F&& f) -> decltype(f()) {
  RETURN_IF_ERROR(CheckOpen());
  auto r = f();
  if constexpr (std::is_same_v<decltype(r), Status>) {
    if (!r.ok()) failed_ = r;
  } else {
    if (!r.ok()) failed_ = r.status();
  }
  return r;
}

// A write whose commit is in the log but not yet known durable
// (Database::Execute with `deferred`): nobody may be told it happened
// until Finish returns OK, and Finish may only be called once Settled.
// The caller learns when to look from the store's applied listeners
// (mvcc::Store::AddAppliedListener).
class PendingCommit {
 public:
  ~PendingCommit();  // unfinished: finishes it, waiting (a logged commit cannot be taken back)
  PendingCommit(const PendingCommit&) = delete;
  PendingCommit& operator=(const PendingCommit&) = delete;

  uint64_t version() const { return appended_.version.value(); }
  // Durable and visible, or failed (Finish then says why at once).
  bool Settled() const;
  // OK: durable and visible to new readers. Ends the transaction.
  Status Finish();

 private:
  friend class Database;
  PendingCommit(std::unique_ptr<Transaction> txn, mvcc::Appended a, uint64_t change_bytes)
      : txn_(std::move(txn)), appended_(a), change_bytes_(change_bytes) {}

  std::unique_ptr<Transaction> txn_;
  mvcc::Appended appended_;
  uint64_t change_bytes_;
  bool finished_ = false;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& dir, const DatabaseOptions& options = {});
  ~Database();

  std::shared_ptr<const Catalog> catalog() const;
  // `read_only`: the transaction reads its snapshot and refuses writes;
  // it takes no lock and is not registered for commit validation.
  std::unique_ptr<Transaction> Begin(bool read_only = false);
  mvcc::Store& store() { return *store_; }

  // Migrate with the default options (no destructive steps), returning the
  // catalog then current: the schema changes only by migrations.
  Result<std::shared_ptr<const Catalog>> InstallSchema(std::string file_name, std::string text);
  // The steps from the current schema to `text`, graded (`migrate plan`).
  Result<schema::MigrationPlan> PlanMigration(std::string_view file_name, std::string_view text);
  // Runs the plan (`migrate apply`): catalog-only steps at once; index
  // builds online (writers maintain the new index while existing rows are
  // added in batches; a unique clash rolls that index back and is reported);
  // validations of required-ness and foreign keys over the rows; drops of
  // models and indexes after the switch, in batches. D steps only with
  // allow_destructive. One migration at a time. A crash leaves either the
  // old schema or, once the new one was installed, the new one: an
  // unfinished index build is finished when the database next opens.
  Result<MigrateResult> Migrate(std::string file_name, std::string text, const MigrateOptions& options = {});
  // The migration record stored with a schema version (when, who, the plan).
  Result<std::string> MigrationRecord(uint32_t version);

  // Runs one request given in its JSON text form (docs/query.md) in a
  // transaction of its own: reads see one snapshot, writes commit (retried
  // on a conflict, since nothing was acknowledged yet). The result carries
  // the commit version it was read at or written by.
  Result<query::QueryResult> Execute(std::string_view json_request, const query::ExecuteOptions& options = {});
  // The same for a request's argument tree (text or binary form, parsed).
  // With `deferred`, a write does not wait for its commit's flush: the
  // result (with its commit version) comes back as soon as the commit is
  // in the log, and *deferred holds what must settle before anyone may
  // learn of it. Reads and failed writes leave *deferred empty.
  Result<query::QueryResult> Execute(const json::Value& request, const query::ExecuteOptions& options = {},
                                     std::unique_ptr<PendingCommit>* deferred = nullptr);
  // Several requests in one transaction, all or nothing.
  Result<std::vector<query::QueryResult>> ExecuteBatch(const std::vector<std::string>& json_requests,
                                                       const query::ExecuteOptions& options = {});

  // A change stream (docs/change-streams.md): `spec` names the models,
  // operations, filters and the token to start after.
  Result<std::unique_ptr<Subscription>> Subscribe(const json::Value& spec);
  ChangeLog& changes() { return *changes_; }

  // The catalog a row was written under (older versions stay readable).
  Result<std::shared_ptr<const Catalog>> CatalogVersion(uint32_t version) const;

 private:
  friend class Transaction;
  Database() = default;
  Status LoadCatalogs();
  // Whether `c` is the newest catalog stored in txn's snapshot.
  static bool SnapshotHolds(mvcc::WriteTxn& txn, const Catalog& c);
  Result<std::shared_ptr<const Catalog>> Install(std::shared_ptr<const Catalog> next, const std::string& record);
  // Fills the indexes `building` marks, then installs the final catalog.
  Status FinishBuild(const std::shared_ptr<const Catalog>& building, const MigrateOptions& options,
                     std::vector<std::string>* failed, std::shared_ptr<const Catalog>* final_catalog,
                     const std::string& record);
  // At open: finishes an index build a crash interrupted.
  Status ResumeMigration();
  // Runs the drops a migration recorded with its switch (at its end, or at
  // the next open after a crash), then forgets them.
  Status FinishDrops(const MigrateOptions& options);
  // Deletes the rows of models and the entries of indexes `old` has and `now` lacks.
  Status DropRemoved(const Catalog& old, const Catalog& now, const MigrateOptions& options);
  Status DeleteRange(const std::string& lo, const std::string& hi, const MigrateOptions& options);
  // The next value of an autoincrement field.
  Result<int64_t> NextSequence(const ModelInfo& m, size_t field);
  // `used` was stored explicitly: later values of the sequence come after it.
  Status AdvanceSequence(const ModelInfo& m, size_t field, int64_t used);

  // Per entity id: writers hold it shared until they finish; a migration
  // rewriting a model's rows holds it exclusively, so writes to it wait.
  std::shared_ptr<std::shared_mutex> Gate(uint32_t entity);
  // Rewrites the rows of the models `rewrite` names (database names) from
  // `base` into `next` (new entity ids), with their clustered descendants.
  Status RewriteModels(const Catalog& base, const std::shared_ptr<const Catalog>& next,
                       const std::vector<const ModelInfo*>& order, const MigrateOptions& options);
  // At open: removes what an interrupted row rewrite wrote.
  Status DiscardUnfinishedRewrite();

  DatabaseOptions options_;
  std::unique_ptr<mvcc::Store> store_;
  std::map<uint32_t, std::shared_ptr<std::shared_mutex>> gates_;  // guarded by mu_
  std::mutex migrate_mu_;  // one migration at a time
  // Catalog installs started and finished: a read-only Begin that saw none
  // running or starting knows which catalog its snapshot sees without
  // reading the catalog keys (Begin in database.cc says why).
  std::atomic<uint64_t> installs_started_{0}, installs_finished_{0};
  // Counts one install, from before its commit to after current_ is set.
  struct InstallWindow {
    explicit InstallWindow(Database* db) : db_(db) { db_->installs_started_.fetch_add(1); }
    ~InstallWindow() { db_->installs_finished_.fetch_add(1); }
    InstallWindow(const InstallWindow&) = delete;
    InstallWindow& operator=(const InstallWindow&) = delete;
    Database* db_;
  };
  mutable std::mutex mu_;  // guards everything below
  std::shared_ptr<const Catalog> current_;
  uint64_t current_installed_at_ = 0;  // the commit that stored current_ (0: before this open)
  std::map<uint32_t, std::shared_ptr<const Catalog>> versions_;
  std::map<std::pair<uint32_t, uint32_t>, int64_t> sequences_;  // (entity, field id) -> last value handed out
  std::unique_ptr<ChangeLog> changes_;  // after store_: stopped before it closes
};

}  // namespace ormdb::engine
