// Writes: create with nested creates and connects, createMany, update and
// updateMany with their operators, upsert, delete and deleteMany. Rows are
// found through the read path and written through the Storage, whose
// transaction enforces the schema (and fails whole on a violation).
#include <algorithm>
#include <cmath>

#include "query/exec.h"

namespace ormdb::query {

using schema::Value;

namespace {

std::string DescribeKey(const schema::Model& m, const std::vector<size_t>& cols, const Row& values) {
  const std::vector<schema::FieldIndex> fields = StoredFields(m);
  std::string s;
  for (size_t c : cols) {
    s += (s.empty() ? "" : ", ") + m.field(fields[c]).name + " = ";
    const Value& v = values[c];
    s += m.field(fields[c]).uuid_bytes && !v.is_null() ? "\"" + schema::FormatUuid(v.bytes_value()) + "\"" : v.ToString();
  }
  return s;
}

Result<Value> Arithmetic(UpdateOp op, const Value& current, const Value& operand, const std::string& what) {
  if (current.is_null()) return Value::Null();  // as SQL: null + 1 is null
  using K = Value::Kind;
  if (current.kind() == K::kDouble) {
    double a = current.double_value();
    double b = operand.kind() == K::kDouble  ? operand.double_value()
               : operand.kind() == K::kInt64 ? static_cast<double>(operand.int64_value())
                                             : static_cast<double>(operand.int32_value());
    double r = 0;
    switch (op) {
      case UpdateOp::kIncrement: r = a + b; break;
      case UpdateOp::kDecrement: r = a - b; break;
      case UpdateOp::kMultiply: r = a * b; break;
      case UpdateOp::kDivide:
        if (b == 0) return Status::InvalidArgument(what + ": division by zero");
        r = a / b;
        break;
      case UpdateOp::kSet: return operand;
    }
    // A Float holds finite numbers only (JSON has no infinity).
    if (!std::isfinite(r)) return Status::InvalidArgument(what + ": the result overflows Float");
    return Value::Double(r);
  }
  const bool narrow = current.kind() == K::kInt32;
  int64_t a = narrow ? current.int32_value() : current.int64_value();
  int64_t b = operand.kind() == K::kInt32 ? operand.int32_value() : operand.int64_value();
  int64_t r = 0;
  bool overflow = false;
  switch (op) {
    case UpdateOp::kIncrement: overflow = __builtin_add_overflow(a, b, &r); break;
    case UpdateOp::kDecrement: overflow = __builtin_sub_overflow(a, b, &r); break;
    case UpdateOp::kMultiply: overflow = __builtin_mul_overflow(a, b, &r); break;
    case UpdateOp::kDivide:
      if (b == 0) return Status::InvalidArgument(what + ": division by zero");
      if (a == INT64_MIN && b == -1) overflow = true;
      else r = a / b;
      break;
    case UpdateOp::kSet: return operand;
  }
  if (narrow && (r < INT32_MIN || r > INT32_MAX)) overflow = true;
  if (overflow) return Status::InvalidArgument(what + ": the result overflows " + (narrow ? "Int" : "BigInt"));
  return narrow ? Value::Int32(static_cast<int32_t>(r)) : Value::Int64(r);
}

Result<QueryResult> CountResult(uint64_t n) {
  QueryResult q;
  q.shape = ResultShape::kObject;
  EntityBlock b;
  b.rows = 1;
  ColumnBuilder cb("count", ColumnType::kInt64);
  cb.Append(Value::Int64(static_cast<int64_t>(n)));
  b.columns.push_back(cb.Finish());
  q.entities.push_back(std::move(b));
  return q;
}

}  // namespace

Filter Exec::KeyFilter(schema::ModelIndex m, const Row& row, const std::vector<size_t>& cols) const {
  (void)m;
  Filter f;
  f.kind = Filter::Kind::kAnd;
  for (size_t c : cols) {
    Filter e;
    e.kind = Filter::Kind::kCompare;
    e.column = c;
    e.op = CompareOp::kEquals;
    e.values = {row[c]};
    f.children.push_back(std::move(e));
  }
  return f;
}

Result<QueryResult> Exec::ReadBack(const Selection& sel, const Row& row) {
  const std::vector<size_t>& pk = s_.ColumnsOf(sel.model).primary_key;
  ASSIGN_OR_RETURN(RowSet rows, ReadRoot(sel, KeyFilter(sel.model, row, pk), false));
  QueryResult q;
  q.shape = ResultShape::kOne;
  RETURN_IF_ERROR(BuildLevel(sel, std::move(rows), &q).status());
  return q;
}

Result<bool> Exec::HasDuplicate(schema::ModelIndex m, const CreateData& data) {
  const schema::Model& model = schema_.model(m);
  std::vector<std::vector<size_t>> keys = {s_.ColumnsOf(m).primary_key};
  for (const schema::UniqueConstraint& u : model.uniques) {
    std::vector<schema::FieldIndex> f;
    for (const schema::KeyPart& kp : u.parts) f.push_back(kp.field);
    keys.push_back(Columns(s_.ColumnsOf(m), f));
  }
  for (const std::vector<size_t>& cols : keys) {
    // Generated values (autoincrement, uuid) are never given, so never clash.
    if (!std::all_of(cols.begin(), cols.end(), [&](size_t c) { return data.given[c] && !data.values[c].is_null(); })) {
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<Row> found, FindByKey(m, cols, Project(data.values, cols)));
    if (found) return true;
  }
  return false;
}

Result<Row> Exec::ConnectTarget(const NestedWrite& w, size_t i, schema::ModelIndex target) {
  const auto& [key, cols] = w.connect[i];
  ASSIGN_OR_RETURN(std::optional<Row> row, FindByKey(target, cols, Project(key, cols)));
  if (!row) {
    return Status::NotFound(w.path + (w.connect.size() > 1 ? "[" + std::to_string(i) + "]" : "") + ": no " +
                            schema_.model(target).name + " with " + DescribeKey(schema_.model(target), cols, key) +
                            (w.kind == NestedWrite::Kind::kDisconnect ? " to disconnect" : " to connect"));
  }
  return std::move(*row);
}

Status Exec::ResolveReferenced(schema::ModelIndex m, const std::vector<NestedWrite>& nested, Row* values,
                               std::vector<bool>* given) {
  const schema::Model& model = schema_.model(m);
  for (const NestedWrite& w : nested) {
    const schema::Field& f = model.field(w.field);
    const schema::Relation& r = schema_.relation(f.relation);
    if (r.kind == schema::RelationKind::kManyToMany || !(IsFromSide(r, m, f))) continue;
    const std::vector<size_t> fk = Columns(s_.ColumnsOf(m), r.fk_fields);
    const std::vector<size_t> ref = Columns(s_.ColumnsOf(f.related_model), r.referenced_fields);
    Row target;
    if (w.kind == NestedWrite::Kind::kDisconnect) {
      for (size_t j = 0; j < fk.size(); ++j) {
        (*values)[fk[j]] = schema::Value::Null();
        (*given)[fk[j]] = true;
      }
      continue;
    }
    if (w.kind == NestedWrite::Kind::kCreate) {
      ASSIGN_OR_RETURN(target, InsertTree(f.related_model, w.create[0], w.path));
    } else {
      ASSIGN_OR_RETURN(target, ConnectTarget(w, 0, f.related_model));
    }
    for (size_t j = 0; j < fk.size(); ++j) {
      (*values)[fk[j]] = target[ref[j]];
      (*given)[fk[j]] = true;
    }
  }
  return Status::OK();
}

Status Exec::WriteReferencing(schema::ModelIndex m, const Row& row, std::vector<NestedWrite>& nested) {
  const schema::Model& model = schema_.model(m);
  for (NestedWrite& w : nested) {
    const schema::Field& f = model.field(w.field);
    const schema::Relation& r = schema_.relation(f.relation);
    const size_t n = w.kind == NestedWrite::Kind::kCreate ? w.create.size() : w.connect.size();
    auto item_path = [&](size_t i) { return w.path + (n > 1 ? "[" + std::to_string(i) + "]" : ""); };
    if (r.kind == schema::RelationKind::kManyToMany) {
      const size_t side = IsFromSide(r, m, f) ? 0 : 1;
      const schema::Relation& near = schema_.relation(r.join_keys[side]);
      const schema::Relation& far = schema_.relation(r.join_keys[1 - side]);
      const schema::Model& join = schema_.model(near.from.model);
      const ModelColumns& join_columns = s_.ColumnsOf(join.index);
      const std::vector<size_t> near_fk = Columns(join_columns, near.fk_fields);
      const std::vector<size_t> far_fk = Columns(join_columns, far.fk_fields);
      const std::vector<size_t> near_ref = Columns(s_.ColumnsOf(m), near.referenced_fields);
      const std::vector<size_t> far_ref = Columns(s_.ColumnsOf(f.related_model), far.referenced_fields);
      for (size_t i = 0; i < n; ++i) {
        Row target;
        if (w.kind == NestedWrite::Kind::kCreate) {
          ASSIGN_OR_RETURN(target, InsertTree(f.related_model, std::move(w.create[i]), item_path(i)));
        } else {
          ASSIGN_OR_RETURN(target, ConnectTarget(w, i, f.related_model));
        }
        Row link(join_columns.fields.size());
        for (size_t j = 0; j < near_fk.size(); ++j) link[near_fk[j]] = row[near_ref[j]];
        for (size_t j = 0; j < far_fk.size(); ++j) link[far_fk[j]] = target[far_ref[j]];
        ASSIGN_OR_RETURN(std::optional<Row> exists, FindByKey(join.index, join_columns.primary_key, link));
        if (w.kind == NestedWrite::Kind::kDisconnect) {
          if (exists) RETURN_IF_ERROR(s_.Delete(join.index, link).status().Annotate(item_path(i)));
          continue;  // not linked: nothing to undo
        }
        if (exists) continue;  // connected twice: one link
        Result<Row> linked = s_.Insert(join.index, std::move(link), std::vector<bool>(join_columns.fields.size(), true));
        if (!linked.ok()) return linked.status().Annotate(w.path);
      }
      continue;
    }
    if (IsFromSide(r, m, f)) continue;  // done by ResolveReferenced
    const std::vector<size_t> fk = Columns(s_.ColumnsOf(f.related_model), r.fk_fields);
    const std::vector<size_t> ref = Columns(s_.ColumnsOf(m), r.referenced_fields);
    if (w.kind == NestedWrite::Kind::kCreate) {
      for (size_t i = 0; i < w.create.size(); ++i) {
        CreateData c = std::move(w.create[i]);
        for (size_t j = 0; j < fk.size(); ++j) {
          c.values[fk[j]] = row[ref[j]];
          c.given[fk[j]] = true;
        }
        RETURN_IF_ERROR(InsertTree(f.related_model, std::move(c), item_path(i)).status());
      }
      continue;
    }
    // connect: the child's foreign key names this row; disconnect: the
    // child that names this row names none (a to-one disconnect finds it
    // by its foreign key, which is unique there).
    std::vector<Row> targets;
    if (w.kind == NestedWrite::Kind::kDisconnect && w.connect.empty()) {
      ASSIGN_OR_RETURN(std::optional<Row> child_row, FindByKey(f.related_model, fk, Project(row, ref)));
      if (child_row) targets.push_back(std::move(*child_row));
    } else {
      for (size_t i = 0; i < w.connect.size(); ++i) {
        ASSIGN_OR_RETURN(Row t, ConnectTarget(w, i, f.related_model));
        if (w.kind == NestedWrite::Kind::kDisconnect && Project(t, fk) != Project(row, ref)) continue;
        targets.push_back(std::move(t));
      }
    }
    for (const Row& target : targets) {
      Row changes(s_.ColumnsOf(f.related_model).fields.size());
      std::vector<bool> given(changes.size(), false);
      for (size_t j = 0; j < fk.size(); ++j) {
        changes[fk[j]] = w.kind == NestedWrite::Kind::kConnect ? row[ref[j]] : schema::Value::Null();
        given[fk[j]] = true;
      }
      Result<Row> moved = s_.Update(f.related_model, target, std::move(changes), std::move(given));
      if (!moved.ok()) return moved.status().Annotate(w.path);
    }
  }
  return Status::OK();
}

Result<Row> Exec::InsertTree(schema::ModelIndex m, CreateData data, const std::string& path) {
  // Rows this one references come first: their keys are its foreign keys.
  RETURN_IF_ERROR(ResolveReferenced(m, data.nested, &data.values, &data.given));
  Result<Row> inserted = s_.Insert(m, std::move(data.values), std::move(data.given));
  if (!inserted.ok()) return inserted.status().Annotate(path);
  // Then the rows that reference this one, and many-to-many links.
  RETURN_IF_ERROR(WriteReferencing(m, *inserted, data.nested));
  return inserted;
}

Result<Row> Exec::ApplyUpdate(schema::ModelIndex m, const Row& row, const std::vector<FieldUpdate>& updates,
                              std::vector<NestedWrite>* nested) {
  const schema::Model& model = schema_.model(m);
  const std::vector<schema::FieldIndex>& fields = s_.ColumnsOf(m).fields;
  Row changes(row.size());
  std::vector<bool> given(row.size(), false);
  for (const FieldUpdate& u : updates) {
    const std::string what = "data." + model.field(fields[u.column]).name;
    if (u.op == UpdateOp::kSet) {
      changes[u.column] = u.value;
    } else {
      ASSIGN_OR_RETURN(changes[u.column], Arithmetic(u.op, row[u.column], u.value, what));
    }
    given[u.column] = true;
  }
  if (nested == nullptr || nested->empty()) return s_.Update(m, row, std::move(changes), std::move(given));
  RETURN_IF_ERROR(ResolveReferenced(m, *nested, &changes, &given));
  ASSIGN_OR_RETURN(Row updated, s_.Update(m, row, std::move(changes), std::move(given)));
  RETURN_IF_ERROR(WriteReferencing(m, updated, *nested));
  return updated;
}

Result<QueryResult> Exec::RunWrite(const Request& req) {
  const Selection& sel = req.selection;
  const schema::Model& m = schema_.model(sel.model);
  auto not_found = [&](std::string_view what) {
    return Status::NotFound("no " + m.name + " matches the where of the " + std::string(what));
  };
  switch (req.op) {
    case Operation::kCreate: {
      ASSIGN_OR_RETURN(Row row, InsertTree(sel.model, req.create[0], "data"));
      return ReadBack(sel, row);
    }
    case Operation::kCreateMany: {
      uint64_t n = 0;
      for (size_t i = 0; i < req.create.size(); ++i) {
        if (req.skip_duplicates) {
          ASSIGN_OR_RETURN(bool dup, HasDuplicate(sel.model, req.create[i]));
          if (dup) continue;
        }
        RETURN_IF_ERROR(InsertTree(sel.model, req.create[i], "data[" + std::to_string(i) + "]").status());
        ++n;
      }
      return CountResult(n);
    }
    case Operation::kUpdate:
    case Operation::kUpsert: {
      ASSIGN_OR_RETURN(RowSet rows, ReadRoot(sel, sel.where, false));
      if (rows.size() == 0) {
        if (req.op == Operation::kUpdate) return not_found("update");
        ASSIGN_OR_RETURN(Row row, InsertTree(sel.model, req.create[0], "create"));
        return ReadBack(sel, row);
      }
      std::vector<NestedWrite> nested = req.update_nested;
      ASSIGN_OR_RETURN(Row row, ApplyUpdate(sel.model, rows.rows[0], req.update, &nested));
      return ReadBack(sel, row);
    }
    case Operation::kUpdateMany: {
      ASSIGN_OR_RETURN(RowSet rows, ReadRoot(sel, sel.where, false));
      for (const Row& row : rows.rows) RETURN_IF_ERROR(ApplyUpdate(sel.model, row, req.update, nullptr).status());
      return CountResult(rows.size());
    }
    case Operation::kDelete: {
      ASSIGN_OR_RETURN(RowSet rows, ReadRoot(sel, sel.where, false));
      if (rows.size() == 0) return not_found("delete");
      const Row pk = rows.rows[0];
      QueryResult q;
      q.shape = ResultShape::kOne;
      RETURN_IF_ERROR(BuildLevel(sel, std::move(rows), &q).status());  // the row as it was
      ASSIGN_OR_RETURN(bool deleted, s_.Delete(sel.model, pk));
      if (!deleted) return not_found("delete");
      return q;
    }
    case Operation::kDeleteMany: {
      ASSIGN_OR_RETURN(RowSet rows, ReadRoot(sel, sel.where, false));
      for (const Row& row : rows.rows) {
        // An earlier row's cascade may have deleted this one already; it
        // still counts, as in SQL: the count is of the rows matched.
        RETURN_IF_ERROR(s_.Delete(sel.model, row).status());
      }
      return CountResult(rows.size());
    }
    default: break;
  }
  return Status::Internal("not a write: " + std::string(OperationName(req.op)));
}

}  // namespace ormdb::query
