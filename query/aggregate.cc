// count, aggregate and groupBy: the rows of the read path, folded.
#include <algorithm>
#include <cmath>
#include <map>

#include "query/exec.h"

namespace ormdb::query {

using schema::Value;

namespace {

// One aggregate over a set of rows.
class Accumulator {
 public:
  Accumulator(const AggregateTerm& term, std::optional<schema::StorageType> type) : term_(term), type_(type) {}

  Status Add(const Row& row) {
    ++rows_;
    if (!term_.column) return Status::OK();
    const Value& v = row[*term_.column];
    if (v.is_null()) return Status::OK();
    ++non_null_;
    switch (term_.fn) {
      case AggregateFn::kCount: break;
      case AggregateFn::kSum:
      case AggregateFn::kAvg:
        if (v.kind() == Value::Kind::kInt32 || v.kind() == Value::Kind::kInt64) {
          int64_t x = v.kind() == Value::Kind::kInt32 ? v.int32_value() : v.int64_value();
          if (__builtin_add_overflow(int_sum_, x, &int_sum_)) overflow_ = true;
          double_sum_ += static_cast<double>(x);
        } else if (v.kind() == Value::Kind::kDouble) {
          double_sum_ += v.double_value();
        } else {
          return Status::NotSupported(std::string(AggregateFnName(term_.fn)) + " over Decimal fields is not supported yet");
        }
        break;
      case AggregateFn::kMin:
        if (!best_ || schema::Compare(v, *best_) < 0) best_ = v;
        break;
      case AggregateFn::kMax:
        if (!best_ || schema::Compare(v, *best_) > 0) best_ = v;
        break;
    }
    return Status::OK();
  }

  ColumnType type() const {
    switch (term_.fn) {
      case AggregateFn::kCount: return ColumnType::kInt64;
      case AggregateFn::kAvg: return ColumnType::kDouble;
      case AggregateFn::kSum:
        return *type_ == schema::StorageType::kFloat ? ColumnType::kDouble : ColumnType::kInt64;
      default: return ColumnTypeOf(*type_);
    }
  }

  Result<Value> Finish() const {
    switch (term_.fn) {
      case AggregateFn::kCount: return Value::Int64(static_cast<int64_t>(term_.column ? non_null_ : rows_));
      case AggregateFn::kSum:
        if (non_null_ == 0) return Value::Null();
        if (*type_ == schema::StorageType::kFloat) return Value::Double(double_sum_);
        if (overflow_) return Status::InvalidArgument("_sum overflows a 64-bit integer");
        return Value::Int64(int_sum_);
      case AggregateFn::kAvg:
        if (non_null_ == 0) return Value::Null();
        return Value::Double(double_sum_ / static_cast<double>(non_null_));
      default:
        return best_ ? *best_ : Value::Null();
    }
  }

 private:
  AggregateTerm term_;
  std::optional<schema::StorageType> type_;
  uint64_t rows_ = 0, non_null_ = 0;
  int64_t int_sum_ = 0;
  double double_sum_ = 0;
  bool overflow_ = false;
  std::optional<Value> best_;
};

std::string TermName(const schema::Model& m, const AggregateTerm& t) {
  std::string n(AggregateFnName(t.fn));
  if (!t.column) return n + "._all";
  return n + "." + m.field(StoredFields(m)[*t.column]).name;
}

}  // namespace

Result<QueryResult> Exec::RunCount(const Request& req) {
  ASSIGN_OR_RETURN(RowSet rows, ReadRoot(req.selection, req.selection.where, true));
  QueryResult q;
  q.shape = ResultShape::kValue;
  EntityBlock b;
  b.rows = 1;
  ColumnBuilder cb("_count", ColumnType::kInt64);
  cb.Append(Value::Int64(static_cast<int64_t>(rows.size())));
  b.columns.push_back(cb.Finish());
  q.entities.push_back(std::move(b));
  return q;
}

Result<QueryResult> Exec::RunAggregate(const Request& req) {
  const schema::Model& m = schema_.model(req.selection.model);
  const std::vector<schema::FieldIndex> fields = StoredFields(m);
  ASSIGN_OR_RETURN(RowSet rows, ReadRoot(req.selection, req.selection.where, true));
  QueryResult q;
  q.shape = ResultShape::kObject;
  EntityBlock b;
  b.rows = 1;
  for (const AggregateTerm& t : req.aggregates) {
    std::optional<schema::StorageType> type;
    if (t.column) type = schema::StorageTypeOf(m.field(fields[*t.column]));
    Accumulator acc(t, type);
    for (const Row& r : rows.rows) RETURN_IF_ERROR(acc.Add(r));
    ColumnBuilder cb(TermName(m, t), acc.type());
    ASSIGN_OR_RETURN(Value v, acc.Finish());
    cb.Append(v);
    b.columns.push_back(cb.Finish());
  }
  q.entities.push_back(std::move(b));
  return q;
}

Result<QueryResult> Exec::RunGroupBy(const Request& req) {
  const Selection& sel = req.selection;
  const schema::Model& m = schema_.model(sel.model);
  const std::vector<schema::FieldIndex> fields = StoredFields(m);
  ASSIGN_OR_RETURN(RowSet rows, ReadRoot(sel, sel.where, false));
  // Groups by their values of `by`, each with one accumulator per term.
  struct Group {
    Row key;  // the row's values, with only the by columns meaningful
    std::vector<Accumulator> acc;
  };
  auto less = [&](const Row& a, const Row& b) {
    for (size_t c : req.group_by) {
      int x = schema::Compare(a[c], b[c]);
      if (x != 0) return x < 0;
    }
    return false;
  };
  std::map<Row, size_t, decltype(less)> index(less);
  std::vector<Group> groups;
  for (const Row& r : rows.rows) {
    auto [it, fresh] = index.emplace(r, groups.size());
    if (fresh) {
      Group g;
      g.key = r;
      for (const AggregateTerm& t : req.aggregates) {
        std::optional<schema::StorageType> type;
        if (t.column) type = schema::StorageTypeOf(m.field(fields[*t.column]));
        g.acc.emplace_back(t, type);
      }
      groups.push_back(std::move(g));
    }
    for (Accumulator& a : groups[it->second].acc) RETURN_IF_ERROR(a.Add(r));
  }
  // Ordered by orderBy (over by fields), then by every by field ascending.
  std::vector<OrderTerm> terms = sel.order_by;
  for (size_t c : req.group_by) terms.push_back(OrderTerm{c, false, std::nullopt});
  RowOrder ro;
  ro.terms = terms;
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ro.Compare(groups[a].key, groups[b].key) < 0; });
  const size_t n = order.size();
  const size_t skip = std::min(n, static_cast<size_t>(sel.skip));
  size_t begin = skip, end = n;
  if (sel.take && *sel.take >= 0) end = std::min(n, skip + static_cast<size_t>(*sel.take));
  if (sel.take && *sel.take < 0) {
    end = n - skip;
    const uint64_t want = 0 - static_cast<uint64_t>(*sel.take);  // |take|, also for INT64_MIN
    begin = end > want ? end - want : 0;
  }
  QueryResult q;
  q.shape = ResultShape::kList;
  EntityBlock b;
  b.model = m.name;
  b.rows = static_cast<uint32_t>(end - begin);
  for (size_t c : req.group_by) {
    const schema::Field& f = m.field(fields[c]);
    ColumnBuilder cb(f.name, ColumnTypeOf(*schema::StorageTypeOf(f)));
    for (size_t i = begin; i < end; ++i) {
      Value v = groups[order[i]].key[c];
      if (f.kind == schema::FieldKind::kEnum && !v.is_null()) {
        for (const schema::EnumValue& ev : schema_.enum_type(f.enum_type).values) {
          if (ev.db_name == v.string_value()) v = Value::String(ev.name);
        }
      }
      cb.Append(v);
    }
    b.columns.push_back(cb.Finish());
  }
  for (size_t t = 0; t < req.aggregates.size(); ++t) {
    std::optional<schema::StorageType> type;
    if (req.aggregates[t].column) type = schema::StorageTypeOf(m.field(fields[*req.aggregates[t].column]));
    ColumnBuilder cb(TermName(m, req.aggregates[t]), Accumulator(req.aggregates[t], type).type());
    for (size_t i = begin; i < end; ++i) {
      ASSIGN_OR_RETURN(Value v, groups[order[i]].acc[t].Finish());
      cb.Append(v);
    }
    b.columns.push_back(cb.Finish());
  }
  q.entities.push_back(std::move(b));
  return q;
}

}  // namespace ormdb::query
