// The read path: root access, batched relation access, windows, relation
// filters as semi-joins over a whole level, and the blocks.
#include <algorithm>
#include <numeric>
#include <set>

#include "query/exec.h"

namespace ormdb::query {

using schema::Value;

namespace {

bool AnyNull(const Row& r) {
  return std::any_of(r.begin(), r.end(), [](const Value& v) { return v.is_null(); });
}

int CompareRows(const Row& a, const Row& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    int c = schema::Compare(a[i], b[i]);
    if (c != 0) return c;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

struct RowLess {
  bool operator()(const Row& a, const Row& b) const { return CompareRows(a, b) < 0; }
};

// A row that several keys share (equal keys of different parents) goes to
// each; the range ends only when every key is done with it.
template <typename Visitor>
Result<Visit> VisitKeys(const Visitor& visit, const std::vector<size_t>& keys, std::string& row_key, Row& row) {
  bool all_done = true;
  for (size_t i = 0; i < keys.size(); ++i) {
    const bool last = i + 1 == keys.size();
    Row row_copy;
    std::string key_copy;
    if (!last) {
      row_copy = row;
      key_copy = row_key;
    }
    ASSIGN_OR_RETURN(Visit v, visit(keys[i], last ? row_key : key_copy, last ? row : row_copy));
    if (v == Visit::kStop) return v;
    all_done = all_done && v == Visit::kNextRange;
  }
  return all_done ? Visit::kNextRange : Visit::kContinue;
}

// The rows' storage keys ascending, as a clustered scan takes its parents;
// (*by_key)[i] is the row whose key is i-th.
std::vector<std::string> KeysInOrder(const RowSet& rows, std::vector<uint32_t>* by_key) {
  by_key->resize(rows.size());
  std::iota(by_key->begin(), by_key->end(), 0);
  std::sort(by_key->begin(), by_key->end(), [&](uint32_t a, uint32_t b) { return rows.keys[a] < rows.keys[b]; });
  std::vector<std::string> keys;
  keys.reserve(rows.size());
  for (uint32_t i : *by_key) keys.push_back(rows.keys[i]);
  return keys;
}

}  // namespace

std::vector<size_t> Columns(const ModelColumns& m, const std::vector<schema::FieldIndex>& fields) {
  std::vector<size_t> out;
  out.reserve(fields.size());
  for (schema::FieldIndex f : fields) out.push_back(static_cast<size_t>(m.column_of_field[f.value()]));
  return out;
}

Row Project(const Row& row, const std::vector<size_t>& cols) {
  Row out;
  out.reserve(cols.size());
  for (size_t c : cols) out.push_back(row[c]);
  return out;
}

Status CheckAccepted(const Request& request, const ExecuteOptions& options) {
  using Accept = ExecuteOptions::Accept;
  if ((options.accept == Accept::kReads && !IsRead(request.op)) ||
      (options.accept == Accept::kWrites && IsRead(request.op))) {
    return Status::InvalidArgument(std::string(OperationName(request.op)) + ": " +
                                   (IsRead(request.op) ? "a read" : "a write") + " where only " +
                                   (options.accept == Accept::kReads ? "reads" : "writes") + " are accepted");
  }
  return Status::OK();
}

Result<QueryResult> Execute(Storage& storage, const Request& request, const ExecuteOptions& options) {
  RETURN_IF_ERROR(CheckAccepted(request, options));
  return Exec(storage, options, request.explain || options.explain).Run(request);
}

LevelStats* Exec::Stats(const std::string& path) {
  for (LevelStats& s : stats_) {
    if (s.path == path) return &s;
  }
  stats_.push_back(LevelStats{path});
  return &stats_.back();
}

Status Exec::ChargeRead(const std::string& path, uint64_t n) {
  constexpr int kCheckEveryRowsLog2 = 8;  // a clock read per 256 rows is lost in the noise
  const bool check = (rows_read_ >> kCheckEveryRowsLog2) != ((rows_read_ + n) >> kCheckEveryRowsLog2);
  rows_read_ += n;
  if (check) RETURN_IF_ERROR(CheckInterrupt(path));
  if (rows_read_ > options_.max_rows_read) {
    return Status::Busy((path.empty() ? std::string("the root") : "include " + path) +
                        ": the request read more than " + std::to_string(options_.max_rows_read) +
                        " rows (its row budget)");
  }
  return Status::OK();
}

Status Exec::CheckInterrupt(const std::string& path) const {
  const std::string where = path.empty() ? std::string("the root") : "include " + path;
  if (options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed)) {
    return Status::Busy(where + ": the request was cancelled after reading " + std::to_string(rows_read_) + " rows");
  }
  if (options_.deadline && std::chrono::steady_clock::now() > *options_.deadline) {
    return Status::Busy(where + ": the request ran past its time budget after reading " +
                        std::to_string(rows_read_) + " rows");
  }
  return Status::OK();
}

Result<QueryResult> Exec::Run(const Request& req) {
  RETURN_IF_ERROR(CheckInterrupt(""));
  const uint64_t pages_before = Pages();
  Result<QueryResult> out = [&]() -> Result<QueryResult> {
    switch (req.op) {
      case Operation::kCount: return RunCount(req);
      case Operation::kAggregate: return RunAggregate(req);
      case Operation::kGroupBy: return RunGroupBy(req);
      case Operation::kFindUnique:
      case Operation::kFindFirst:
      case Operation::kFindMany: {
        QueryResult q;
        q.shape = req.op == Operation::kFindMany ? ResultShape::kList : ResultShape::kOne;
        ASSIGN_OR_RETURN(RowSet rows, ReadRoot(req.selection, req.selection.where, true));
        if (q.shape == ResultShape::kOne && rows.size() > 1) {
          rows.rows.resize(1);
          rows.keys.resize(1);
        }
        RETURN_IF_ERROR(BuildLevel(req.selection, std::move(rows), &q).status());
        return q;
      }
      default: return RunWrite(req);
    }
  }();
  if (out.ok() && explain_) {
    out->explain = Explain(req);
    out->explain += "total: " + std::to_string(rows_read_) + " rows read, " + std::to_string(Pages() - pages_before) +
                    " pages\n";
  }
  return out;
}

std::string Exec::Explain(const Request& req) const {
  std::string s = std::string(OperationName(req.op)) + " " + schema_.model(req.selection.model).name + "\n";
  for (const LevelStats& st : stats_) {
    s += "  " + (st.path.empty() ? std::string("root") : st.path) + ": " + st.access + "\n";
    s += "    rows read " + std::to_string(st.read) + ", returned " + std::to_string(st.returned) + ", pages " +
         std::to_string(st.pages) + "\n";
  }
  return s;
}

// ================================================================ root

Result<RowSet> Exec::ReadRoot(const Selection& sel, const Filter& where, bool window) {
  LevelStats* st = Stats(sel.path);
  const uint64_t pages_before = Pages();
  Access access = PlanRoot(s_, sel, where, explain_);
  if (explain_) {
    if (!st->access.empty()) st->access += "; ";
    st->access += access.text;
  }
  const bool relation_filter = HasRelationFilter(where);
  // A take can stop the scan once the rows arrive in order and nothing
  // after the scan drops or reorders them.
  std::optional<uint64_t> limit;
  if (window && access.ordered && !relation_filter && sel.distinct.empty() && !sel.cursor && sel.take &&
      *sel.take >= 0) {
    limit = static_cast<uint64_t>(sel.skip) + static_cast<uint64_t>(*sel.take);
  }
  RowSet rows;
  if (limit && *limit == 0) return rows;
  uint64_t read = 0;
  Status charge = Status::OK();
  RETURN_IF_ERROR(s_.Scan(sel.model, access.index, access.ranges, access.reverse,
                          [&](size_t, std::string& key, Row& row) -> Result<Visit> {
                            ++read;
                            if ((read & 1023) == 0) RETURN_IF_ERROR(ChargeRead(sel.path, 1024));
                            if (!relation_filter && !Matches(where, row)) return Visit::kContinue;
                            rows.Add(std::move(key), std::move(row));
                            return limit && rows.size() >= *limit ? Visit::kStop : Visit::kContinue;
                          }));
  RETURN_IF_ERROR(ChargeRead(sel.path, read & 1023));
  st->read += read;
  if (relation_filter) {
    ASSIGN_OR_RETURN(std::vector<bool> keep, EvalWhere(sel.model, where, rows));
    RowSet kept;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (keep[i]) kept.Add(std::move(rows.keys[i]), std::move(rows.rows[i]));
    }
    rows = std::move(kept);
  }
  std::vector<uint32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  if (window) {
    RETURN_IF_ERROR(Window(sel, rows.rows, &order, access.ordered));
  } else if (!access.ordered) {
    const RowOrder ro = MakeRowOrder(sel.order_by, s_.ColumnsOf(sel.model).primary_key);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return ro.Compare(rows.rows[a], rows.rows[b]) < 0; });
  }
  RowSet out;
  out.rows.reserve(order.size());
  for (uint32_t i : order) out.Add(std::move(rows.keys[i]), std::move(rows.rows[i]));
  st->pages += Pages() - pages_before;
  return out;
}

// ================================================================ windows

Status Exec::Window(const Selection& sel, const std::vector<Row>& rows, std::vector<uint32_t>* group, bool ordered) {
  const RowOrder ro = MakeRowOrder(sel.order_by, s_.ColumnsOf(sel.model).primary_key);
  if (!ordered) {
    std::stable_sort(group->begin(), group->end(),
                     [&](uint32_t a, uint32_t b) { return ro.Compare(rows[a], rows[b]) < 0; });
  }
  if (!sel.distinct.empty()) {
    std::set<Row, RowLess> seen;
    std::vector<uint32_t> kept;
    for (uint32_t i : *group) {
      if (seen.insert(Project(rows[i], sel.distinct)).second) kept.push_back(i);
    }
    *group = std::move(kept);
  }
  const bool backwards = sel.take && *sel.take < 0;
  if (sel.cursor) {
    auto it = cursor_rows_.find(&sel);
    if (it == cursor_rows_.end()) {
      ASSIGN_OR_RETURN(std::optional<Row> row, FindByKey(sel.model, sel.cursor_columns,
                                                         Project(*sel.cursor, sel.cursor_columns)));
      it = cursor_rows_.emplace(&sel, std::move(row)).first;
    }
    if (!it->second) {
      group->clear();  // the cursor's row does not exist: nothing follows it
      return Status::OK();
    }
    const Row& c = *it->second;
    std::vector<uint32_t> kept;
    for (uint32_t i : *group) {
      int cmp = ro.Compare(rows[i], c);
      if (backwards ? cmp <= 0 : cmp >= 0) kept.push_back(i);
    }
    *group = std::move(kept);
  }
  const size_t n = group->size();
  const size_t skip = std::min(n, static_cast<size_t>(sel.skip));
  if (!backwards) {
    size_t end = n;
    if (sel.take) end = std::min(n, skip + static_cast<size_t>(*sel.take));
    *group = std::vector<uint32_t>(group->begin() + static_cast<std::ptrdiff_t>(skip),
                                   group->begin() + static_cast<std::ptrdiff_t>(end));
  } else {
    // The last |take| rows before the skipped ones at the end, in order.
    const size_t end = n - skip;
    const uint64_t want = 0 - static_cast<uint64_t>(*sel.take);  // |take|, also for INT64_MIN
    const size_t begin = end > want ? end - want : 0;
    *group = std::vector<uint32_t>(group->begin() + static_cast<std::ptrdiff_t>(begin),
                                   group->begin() + static_cast<std::ptrdiff_t>(end));
  }
  return Status::OK();
}

// ================================================================ filters

Result<std::vector<bool>> Exec::EvalWhere(schema::ModelIndex m, const Filter& where, const RowSet& rows) {
  std::vector<bool> out(rows.size());
  if (!HasRelationFilter(where)) {
    for (size_t i = 0; i < rows.size(); ++i) out[i] = Matches(where, rows.rows[i]);
    return out;
  }
  std::vector<const Filter*> nodes;
  CollectRelationFilters(where, &nodes);
  RelationAnswers answers;
  const schema::Model& model = schema_.model(m);
  for (const Filter* n : nodes) {
    const schema::Field& f = model.field(n->relation_field);
    // Every related row, then which of them match: `every` needs both counts.
    ASSIGN_OR_RETURN(Related rel, FetchRelated(m, rows, f, Filter{}, nullptr, nullptr));
    ASSIGN_OR_RETURN(std::vector<bool> match, EvalWhere(f.related_model, *n->related, rel.rows));
    std::vector<bool>& ans = answers[n];
    ans.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      size_t total = rel.groups[i].size(), matched = 0;
      for (uint32_t k : rel.groups[i]) matched += match[k] ? 1 : 0;
      bool is = n->null_target ? total == 0 : matched > 0;
      switch (n->quantifier) {
        case RelationQuantifier::kSome: ans[i] = matched > 0; break;
        case RelationQuantifier::kEvery: ans[i] = matched == total; break;
        case RelationQuantifier::kNone: ans[i] = matched == 0; break;
        case RelationQuantifier::kIs: ans[i] = is; break;
        case RelationQuantifier::kIsNot: ans[i] = !is; break;
      }
    }
  }
  for (size_t i = 0; i < rows.size(); ++i) out[i] = Matches(where, rows.rows[i], i, &answers);
  return out;
}

// ================================================================ relations

Status Exec::ScanKeys(schema::ModelIndex m, const std::vector<size_t>& cols, const std::vector<Row>& keys,
                      const KeyVisitor& visit, const Selection* order_hint, bool* ordered, std::string* how) {
  const schema::Model& model = schema_.model(m);
  if (ordered != nullptr) *ordered = false;
  std::vector<size_t> ix_cols;
  const IndexDesc* ix = IndexOnColumns(s_, m, cols, &ix_cols);
  if (ix == nullptr) {
    // No index leads with these columns: one full scan, matched by value.
    if (how != nullptr && explain_) *how = "full scan of " + model.name + " (no index on the key)";
    std::map<Row, std::vector<size_t>, RowLess> by_value;
    for (size_t k = 0; k < keys.size(); ++k) {
      if (!AnyNull(keys[k])) by_value[keys[k]].push_back(k);
    }
    if (by_value.empty()) return Status::OK();
    std::vector<KeyRange> all(1);
    return s_.Scan(m, IndexDesc::kPrimaryKey, all, false, [&](size_t, std::string& key, Row& row) -> Result<Visit> {
      auto it = by_value.find(Project(row, cols));
      if (it == by_value.end()) return Visit::kContinue;
      ASSIGN_OR_RETURN(Visit v, VisitKeys(visit, it->second, key, row));
      // One range holds every key here: a key that is done must not end it.
      return v == Visit::kStop ? v : Visit::kContinue;
    });
  }
  // Keys as the index orders its columns, sorted and distinct; equal keys
  // share one range.
  std::vector<size_t> perm;
  for (size_t c : ix_cols) perm.push_back(static_cast<size_t>(std::find(cols.begin(), cols.end(), c) - cols.begin()));
  std::vector<std::pair<Row, size_t>> sorted;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (AnyNull(keys[k])) continue;
    Row r;
    for (size_t p : perm) r.push_back(keys[k][p]);
    sorted.emplace_back(std::move(r), k);
  }
  auto key_less = [&](const Row& a, const Row& b) {
    for (size_t i = 0; i < a.size(); ++i) {
      int c = schema::Compare(a[i], b[i]);
      if (ix->order[i] == schema::SortOrder::kDesc) c = -c;
      if (c != 0) return c < 0;
    }
    return false;
  };
  std::stable_sort(sorted.begin(), sorted.end(), [&](const auto& a, const auto& b) { return key_less(a.first, b.first); });
  std::vector<KeyRange> ranges;
  std::vector<std::vector<size_t>> range_keys;
  for (auto& [r, k] : sorted) {
    if (!ranges.empty() && !key_less(ranges.back().lo->values, r)) {
      range_keys.back().push_back(k);
      continue;
    }
    ranges.push_back(KeyRange{KeyBound{r, true}, KeyBound{r, true}});
    range_keys.push_back({k});
  }
  bool reverse = false;
  if (order_hint != nullptr && ordered != nullptr) {
    const std::vector<size_t>& pk = s_.ColumnsOf(m).primary_key;
    *ordered = IndexServesOrder(*ix, cols.size(), MakeRowOrder(order_hint->order_by, pk), pk, &reverse);
  }
  if (how != nullptr && explain_) {
    *how = std::string(ix->unique && ix->columns.size() == cols.size() ? "unique lookups" : "index ranges") + " on " +
           ix->name + ", " + std::to_string(ranges.size()) + (ranges.size() == 1 ? " key" : " keys") + " in one pass" +
           (ordered != nullptr && *ordered ? (reverse ? ", reverse, in order" : ", in order") : "");
  }
  if (ranges.empty()) return Status::OK();
  if (reverse) {
    std::reverse(ranges.begin(), ranges.end());
    std::reverse(range_keys.begin(), range_keys.end());
  }
  return s_.Scan(m, ix->handle, ranges, reverse, [&](size_t range, std::string& key, Row& row) -> Result<Visit> {
    return VisitKeys(visit, range_keys[range], key, row);
  });
}

Result<std::optional<Row>> Exec::FindByKey(schema::ModelIndex m, const std::vector<size_t>& cols, const Row& key) {
  std::optional<Row> found;
  RETURN_IF_ERROR(ScanKeys(m, cols, {key},
                           [&](size_t, std::string&, Row& row) -> Result<Visit> {
                             found = std::move(row);
                             return Visit::kStop;
                           },
                           nullptr, nullptr, nullptr));
  return found;
}

Result<Related> Exec::FetchRelated(schema::ModelIndex m, const RowSet& parents, const schema::Field& f,
                                   const Filter& where, const Selection* window, LevelStats* stats) {
  const schema::Relation& r = schema_.relation(f.relation);
  const schema::Model& parent_model = schema_.model(m);
  const schema::ModelIndex target = f.related_model;
  const std::string path = window != nullptr ? window->path : parent_model.name + "." + f.name;
  Related rel;
  rel.groups.resize(parents.size());
  uint64_t read = 0;
  std::string how;
  const uint64_t pages_before = Pages();
  const bool filter_now = !HasRelationFilter(where);  // else: in a batch afterwards

  // A window can stop each parent's scan early when rows arrive in its
  // order and only the where (no distinct, cursor, relation filter) drops rows.
  auto early_limit = [&](bool ordered) -> std::optional<size_t> {
    if (window == nullptr || !ordered || !filter_now || !window->distinct.empty() || window->cursor || !window->take ||
        *window->take < 0) {
      return std::nullopt;
    }
    // In unsigned arithmetic: skip + take may pass INT64_MAX.
    const uint64_t sum = static_cast<uint64_t>(window->skip) + static_cast<uint64_t>(*window->take);
    return static_cast<size_t>(std::min<uint64_t>(sum, SIZE_MAX));
  };

  if (r.kind == schema::RelationKind::kManyToMany) {
    // Through the join model: its rows naming the parents, then the targets they name.
    const size_t side = IsFromSide(r, m, f) ? 0 : 1;
    const schema::Relation& near = schema_.relation(r.join_keys[side]);
    const schema::Relation& far = schema_.relation(r.join_keys[1 - side]);
    const schema::Model& join = schema_.model(near.from.model);
    const std::vector<size_t> near_ref = Columns(s_.ColumnsOf(m), near.referenced_fields);
    const std::vector<size_t> near_fk = Columns(s_.ColumnsOf(join.index), near.fk_fields);
    const std::vector<size_t> far_fk = Columns(s_.ColumnsOf(join.index), far.fk_fields);
    const std::vector<size_t> far_ref = Columns(s_.ColumnsOf(target), far.referenced_fields);
    std::vector<Row> keys;
    for (const Row& p : parents.rows) keys.push_back(Project(p, near_ref));
    std::vector<std::vector<Row>> far_keys(parents.size());
    std::string how_join, how_target;
    RETURN_IF_ERROR(ScanKeys(near.from.model, near_fk, keys,
                             [&](size_t k, std::string&, Row& row) -> Result<Visit> {
                               ++read;
                               far_keys[k].push_back(Project(row, far_fk));
                               return Visit::kContinue;
                             },
                             nullptr, nullptr, &how_join));
    std::vector<Row> targets;
    std::map<Row, size_t, RowLess> target_index;
    for (auto& fk : far_keys) {
      for (Row& k : fk) {
        if (target_index.emplace(k, targets.size()).second) targets.push_back(k);
      }
    }
    std::vector<int64_t> row_of_target(targets.size(), -1);
    RETURN_IF_ERROR(ScanKeys(target, far_ref, targets,
                             [&](size_t k, std::string& key, Row& row) -> Result<Visit> {
                               ++read;
                               if (filter_now && !Matches(where, row)) return Visit::kContinue;
                               row_of_target[k] = static_cast<int64_t>(rel.rows.size());
                               rel.rows.Add(std::move(key), std::move(row));
                               return Visit::kContinue;
                             },
                             nullptr, nullptr, &how_target));
    for (size_t i = 0; i < parents.size(); ++i) {
      for (const Row& k : far_keys[i]) {
        int64_t at = row_of_target[target_index[k]];
        if (at >= 0) rel.groups[i].push_back(static_cast<uint32_t>(at));
      }
    }
    rel.shared = true;
    if (explain_) how = "through " + join.name + ": " + how_join + "; then " + how_target;
  } else if (IsFromSide(r, m, f)) {
    // This row holds the foreign key: one target per distinct key.
    const std::vector<size_t> fk = Columns(s_.ColumnsOf(m), r.fk_fields);
    const std::vector<size_t> ref = Columns(s_.ColumnsOf(target), r.referenced_fields);
    std::vector<Row> keys;
    for (const Row& p : parents.rows) keys.push_back(Project(p, fk));
    std::map<size_t, std::vector<size_t>> parents_of;  // distinct key -> parents
    std::map<Row, size_t, RowLess> distinct;
    std::vector<Row> unique_keys;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (AnyNull(keys[i])) continue;
      auto [it, fresh] = distinct.emplace(keys[i], unique_keys.size());
      if (fresh) unique_keys.push_back(keys[i]);
      parents_of[it->second].push_back(i);
    }
    RETURN_IF_ERROR(ScanKeys(target, ref, unique_keys,
                             [&](size_t k, std::string& key, Row& row) -> Result<Visit> {
                               ++read;
                               if (filter_now && !Matches(where, row)) return Visit::kNextRange;
                               for (size_t p : parents_of[k]) rel.groups[p].push_back(static_cast<uint32_t>(rel.rows.size()));
                               rel.rows.Add(std::move(key), std::move(row));
                               return Visit::kNextRange;
                             },
                             nullptr, nullptr, &how));
    rel.shared = true;
  } else {
    // The related rows hold the foreign key: children of each parent.
    const std::vector<size_t> fk = Columns(s_.ColumnsOf(target), r.fk_fields);
    const std::vector<size_t> ref = Columns(s_.ColumnsOf(m), r.referenced_fields);
    std::vector<size_t> counts(parents.size(), 0);
    std::optional<size_t> limit;
    auto take_row = [&](size_t p, std::string& key, Row& row) -> Visit {
      ++read;
      if (filter_now && !Matches(where, row)) return Visit::kContinue;
      rel.groups[p].push_back(static_cast<uint32_t>(rel.rows.size()));
      rel.rows.Add(std::move(key), std::move(row));
      return limit && ++counts[p] >= *limit ? Visit::kNextRange : Visit::kContinue;
    };
    if (s_.ClusteredUnder(target, r.index)) {
      // Stored under each parent: one prefix scan per parent, in key order.
      std::vector<uint32_t> by_key;
      const std::vector<std::string> keys = KeysInOrder(parents, &by_key);
      bool reverse = false, ordered = false;
      if (window != nullptr) {
        const IndexDesc& pk = s_.Indexes(target)[0];
        const std::vector<size_t>& pk_columns = s_.ColumnsOf(target).primary_key;
        ordered = IndexServesOrder(pk, 0, MakeRowOrder(window->order_by, pk_columns), pk_columns, &reverse);
      }
      limit = early_limit(ordered);
      rel.ordered = ordered;
      RETURN_IF_ERROR(s_.ScanClustered(target, keys, reverse,
                                       [&](size_t range, std::string& key, Row& row) -> Result<Visit> {
                                         return take_row(by_key[range], key, row);
                                       }));
      if (explain_) how = "clustered under " + parent_model.name + ": " + std::to_string(keys.size()) +
            " prefix scans in one pass" + (ordered ? ", in order" : "") + (limit ? ", stopping at the take" : "");
    } else {
      std::vector<Row> keys;
      for (const Row& p : parents.rows) keys.push_back(Project(p, ref));
      bool ordered = false;
      // Whether the index serves the order is known once ScanKeys picks it;
      // the limit is read through `limit`, set before the first row.
      bool decided = false;
      RETURN_IF_ERROR(ScanKeys(target, fk, keys,
                               [&](size_t k, std::string& key, Row& row) -> Result<Visit> {
                                 if (!decided) {
                                   limit = early_limit(ordered);
                                   decided = true;
                                 }
                                 return take_row(k, key, row);
                               },
                               window, &ordered, &how));
      rel.ordered = ordered;
      if (limit && explain_) how += ", stopping at the take";
    }
  }
  RETURN_IF_ERROR(ChargeRead(path, read));
  if (!filter_now) {
    ASSIGN_OR_RETURN(std::vector<bool> keep, EvalWhere(target, where, rel.rows));
    for (auto& g : rel.groups) {
      g.erase(std::remove_if(g.begin(), g.end(), [&](uint32_t i) { return !keep[i]; }), g.end());
    }
  }
  if (stats != nullptr) {
    stats->read += read;
    stats->pages += Pages() - pages_before;
    if (stats->access.empty()) stats->access = how;
  }
  return rel;
}

// ================================================================ blocks

Result<uint32_t> Exec::BuildLevel(const Selection& sel, RowSet rows, QueryResult* out) {
  const schema::Model& m = schema_.model(sel.model);
  const std::vector<schema::FieldIndex>& fields = s_.ColumnsOf(sel.model).fields;
  RETURN_IF_ERROR(ChargeReturned(sel.path, rows.size()));
  Stats(sel.path)->returned += rows.size();
  const uint32_t index = static_cast<uint32_t>(out->entities.size());
  out->entities.emplace_back();
  {
    EntityBlock b;
    b.path = sel.path;
    b.model = m.name;
    b.rows = static_cast<uint32_t>(rows.size());
    b.columns.reserve(sel.columns.size() + sel.counts.size());
    for (size_t c : sel.columns) {
      const schema::Field& f = m.field(fields[c]);
      const schema::StorageType type = *schema::StorageTypeOf(f);
      ColumnBuilder cb(f.name, ColumnTypeOf(type), rows.size());
      for (const Row& row : rows.rows) AppendValue(f, type, row[c], &cb);
      b.columns.push_back(cb.Finish());
    }
    for (const RelationCount& rc : sel.counts) {
      const schema::Field& f = m.field(rc.field);
      LevelStats* st = Stats(sel.path.empty() ? "_count." + rc.name : sel.path + "._count." + rc.name);
      ASSIGN_OR_RETURN(Related rel, FetchRelated(sel.model, rows, f, rc.where, nullptr, st));
      ColumnBuilder cb("_count." + rc.name, ColumnType::kInt64, rel.groups.size());
      for (const auto& g : rel.groups) cb.Append(Value::Int64(static_cast<int64_t>(g.size())));
      b.columns.push_back(cb.Finish());
    }
    out->entities[index] = std::move(b);
  }
  for (const Include& inc : sel.includes) {
    const Selection& child = *inc.selection;
    const schema::Field& f = m.field(inc.field);
    LevelStats* st = Stats(child.path);
    EdgeBlock e;
    e.path = child.path;
    e.field = inc.name;
    e.parent_block = index;
    e.list = f.list;
    if (ReadsStored(sel.model, f, child)) {
      ASSIGN_OR_RETURN(e.child_block, BuildStored(sel.model, rows, child, &e, st, out));
      out->edges.push_back(std::move(e));
      continue;
    }
    ASSIGN_OR_RETURN(Related rel, FetchRelated(sel.model, rows, f, child.where, &child, st));
    e.offsets.reserve(rows.size() + 1);
    e.offsets.push_back(0);
    RowSet child_rows;
    std::vector<int64_t> placed;  // shared rows: their row in the child block
    if (rel.shared) placed.assign(rel.rows.size(), -1);
    for (size_t p = 0; p < rows.size(); ++p) {
      std::vector<uint32_t>& g = rel.groups[p];
      RETURN_IF_ERROR(Window(child, rel.rows.rows, &g, rel.ordered));
      for (uint32_t i : g) {
        if (!rel.shared) {
          child_rows.Add(std::move(rel.rows.keys[i]), std::move(rel.rows.rows[i]));
          continue;
        }
        if (placed[i] < 0) {
          placed[i] = static_cast<int64_t>(child_rows.size());
          child_rows.Add(rel.rows.keys[i], Row(rel.rows.rows[i]));
        }
        e.targets.push_back(static_cast<uint32_t>(placed[i]));
      }
      e.offsets.push_back(static_cast<uint32_t>(rel.shared ? e.targets.size() : child_rows.size()));
    }
    // A shared block whose rows happen to be in parent order needs no targets.
    if (rel.shared) {
      bool identity = true;
      for (size_t i = 0; i < e.targets.size() && identity; ++i) identity = e.targets[i] == i;
      if (identity) e.targets.clear();
    }
    ASSIGN_OR_RETURN(e.child_block, BuildLevel(child, std::move(child_rows), out));
    out->edges.push_back(std::move(e));
  }
  return index;
}

Status Exec::ChargeReturned(const std::string& path, uint64_t n) {
  rows_returned_ += n;
  if (rows_returned_ > options_.max_rows_returned) {
    return Status::Busy((path.empty() ? std::string("the root") : "include " + path) + ": the result holds more than " +
                        std::to_string(options_.max_rows_returned) + " rows (its row budget)");
  }
  return Status::OK();
}

void Exec::AppendValue(const schema::Field& f, schema::StorageType type, const Value& v, ColumnBuilder* cb) const {
  if (type == schema::StorageType::kEnum && !v.is_null()) {
    // Stored by the value's database name; answered by its name.
    for (const schema::EnumValue& ev : schema_.enum_type(f.enum_type).values) {
      if (ev.db_name == v.string_value()) {
        cb->Append(Value::String(ev.name));
        return;
      }
    }
  }
  cb->Append(v);
}

// ================================================================ stored includes

bool Exec::ReadsStored(schema::ModelIndex m, const schema::Field& f, const Selection& child) const {
  const schema::Relation& r = schema_.relation(f.relation);
  if (r.kind == schema::RelationKind::kManyToMany || IsFromSide(r, m, f) || !s_.ClusteredUnder(child.model, r.index)) {
    return false;
  }
  return child.where.is_true() && child.distinct.empty() && !child.cursor && child.includes.empty() &&
         child.counts.empty() && !(child.take && *child.take < 0);
}

Result<uint32_t> Exec::BuildStored(schema::ModelIndex m, const RowSet& parents, const Selection& child, EdgeBlock* e,
                                   LevelStats* st, QueryResult* out) {
  const schema::Model& cm = schema_.model(child.model);
  const uint64_t pages_before = Pages();
  std::vector<uint32_t> by_key;
  const std::vector<std::string> keys = KeysInOrder(parents, &by_key);

  // In the stored order (the primary key's), each parent's window applies
  // as its rows arrive; in another, its rows are sorted on the order's
  // fields alone, then windowed.
  const std::vector<size_t>& pk = s_.ColumnsOf(child.model).primary_key;
  const RowOrder ro = MakeRowOrder(child.order_by, pk);
  bool reverse = false;
  const bool stored_order = IndexServesOrder(s_.Indexes(child.model)[0], 0, ro, pk, &reverse) && !reverse;
  const std::vector<schema::FieldIndex>& fields = s_.ColumnsOf(child.model).fields;
  std::vector<Row> sort_rows;  // by row appended: the order's fields, the others null
  std::vector<ColumnBuilder> columns;
  std::vector<schema::StorageType> types;
  columns.reserve(child.columns.size());
  for (size_t c : child.columns) {
    const schema::Field& cf = cm.field(fields[c]);
    types.push_back(*schema::StorageTypeOf(cf));
    columns.emplace_back(cf.name, ColumnTypeOf(types.back()));
  }
  const uint64_t skip = static_cast<uint64_t>(child.skip);
  std::optional<uint64_t> take;
  if (child.take) take = static_cast<uint64_t>(*child.take);
  std::vector<uint64_t> seen(parents.size(), 0), kept(parents.size(), 0);  // by scan range
  uint64_t read = 0, appended = 0;
  if (!take || *take > 0) {
    RETURN_IF_ERROR(s_.ScanClusteredStored(child.model, keys, [&](size_t range, const StoredRow& row) -> Result<Visit> {
      ++read;
      if (stored_order && seen[range]++ < skip) return Visit::kContinue;
      for (size_t k = 0; k < columns.size(); ++k) {
        const size_t c = child.columns[k];
        if (!row.AppendStored(c, &columns[k])) {
          ASSIGN_OR_RETURN(Value v, row.Get(c));
          AppendValue(cm.field(fields[c]), types[k], v, &columns[k]);
        }
      }
      if (!stored_order) {
        Row& sr = sort_rows.emplace_back(fields.size());
        for (const OrderTerm& t : ro.terms) {
          ASSIGN_OR_RETURN(sr[t.column], row.Get(t.column));
        }
      }
      ++appended;
      ++kept[range];
      return stored_order && take && kept[range] >= *take ? Visit::kNextRange : Visit::kContinue;
    }));
  }
  RETURN_IF_ERROR(ChargeRead(child.path, read));

  // The rows arrived parent by parent in key order, range r's at
  // [start[r], start[r + 1]); the block lists them in the parents' order.
  std::vector<uint64_t> start(parents.size() + 1, 0);
  for (size_t r = 0; r < parents.size(); ++r) start[r + 1] = start[r] + kept[r];
  std::vector<size_t> range_of(parents.size());
  for (size_t r = 0; r < parents.size(); ++r) range_of[by_key[r]] = r;
  std::vector<uint32_t> order;  // the block's rows, as indexes of the rows appended
  order.reserve(appended);
  e->offsets.reserve(parents.size() + 1);
  e->offsets.push_back(0);
  for (size_t p = 0; p < parents.size(); ++p) {
    const size_t r = range_of[p];
    const size_t first = order.size();
    for (uint64_t i = start[r]; i < start[r + 1]; ++i) order.push_back(static_cast<uint32_t>(i));
    if (!stored_order) {
      auto group = order.begin() + static_cast<std::ptrdiff_t>(first);
      std::stable_sort(group, order.end(), [&](uint32_t a, uint32_t b) {
        return ro.Compare(sort_rows[a], sort_rows[b]) < 0;
      });
      // The window: skip, then take (in unsigned arithmetic: skip + take may pass INT64_MAX).
      const size_t n = order.size() - first;
      const size_t from = static_cast<size_t>(std::min<uint64_t>(n, skip));
      const size_t to = take ? static_cast<size_t>(std::min<uint64_t>(n - from, *take)) + from : n;
      order.erase(group + static_cast<std::ptrdiff_t>(to), order.end());
      order.erase(group, group + static_cast<std::ptrdiff_t>(from));
    }
    e->offsets.push_back(static_cast<uint32_t>(order.size()));
  }
  const uint64_t rows = order.size();
  RETURN_IF_ERROR(ChargeReturned(child.path, rows));
  bool in_order = rows == appended;
  for (size_t i = 0; i < order.size() && in_order; ++i) in_order = order[i] == i;
  EntityBlock b;
  b.path = child.path;
  b.model = cm.name;
  b.rows = static_cast<uint32_t>(rows);
  b.columns.reserve(columns.size());
  for (ColumnBuilder& cb : columns) {
    Column col = cb.Finish();
    b.columns.push_back(in_order ? std::move(col) : ReorderRows(col, order));
  }
  st->read += read;
  st->returned += rows;
  st->pages += Pages() - pages_before;
  if (explain_ && st->access.empty()) {
    st->access = "clustered under " + schema_.model(m).name + ": " + std::to_string(keys.size()) +
                 " prefix scans in one pass, " +
                 (stored_order ? std::string("in order") + (take ? ", stopping at the take" : "")
                               : std::string("sorted per parent")) +
                 ", records copied into the columns";
  }
  const uint32_t index = static_cast<uint32_t>(out->entities.size());
  out->entities.push_back(std::move(b));
  return index;
}

}  // namespace ormdb::query
