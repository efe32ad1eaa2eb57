// Transaction: update and delete, and what they set off in the rows that
// reference the changed row (onUpdate, onDelete), including clustered rows
// that move with their parent.
#include <algorithm>
#include <deque>

#include "engine/database.h"
#include "engine/generate.h"
#include "engine/keyspace.h"
#include "engine/row_text.h"
#include "mvcc/write_txn.h"

namespace ormdb::engine {

using schema::Value;
using Row = std::vector<Value>;

namespace {

// Cascades (onDelete / onUpdate) deeper than this are refused rather than
// followed: a chain of self-references could otherwise recurse without end.
constexpr int kMaxCascadeDepth = 64;

}  // namespace

// ---------------------------------------------------------------- Delete

Status Transaction::Delete(std::string_view model, const Fields& where) {
  return Run([&]() -> Status {
    ASSIGN_OR_RETURN(const ModelInfo* m, Model(model));
    ASSIGN_OR_RETURN(std::optional<std::string> pk, ResolveWhere(*m, where));
    std::optional<Row> row;
    if (pk) {
      ASSIGN_OR_RETURN(row, GetRow(*m, *pk, nullptr));
    }
    if (!row) return Status::NotFound("no " + m->name() + " matches the where of the delete");
    return DeleteRow(*m, *pk, 0);
  });
}

Status Transaction::DeleteRow(const ModelInfo& root, std::string_view root_pk, int depth) {
  if (depth > kMaxCascadeDepth) {
    return Status::InvalidArgument("cascade deeper than " + std::to_string(kMaxCascadeDepth) + " levels at " +
                                   root.name());
  }
  // Breadth first: a cascade's rows are queued, not recursed into, so a
  // long chain of self-references does not grow the stack.
  std::deque<std::pair<const ModelInfo*, std::string>> queue;
  queue.emplace_back(&root, std::string(root_pk));
  while (!queue.empty()) {
    auto [mp, pk] = std::move(queue.front());
    queue.pop_front();
    const ModelInfo& m = *mp;
    std::string key;
    ASSIGN_OR_RETURN(std::optional<Row> row, GetRow(m, pk, &key));
    if (!row) continue;  // reached twice through different relations
    for (const schema::Relation& r : catalog_->schema().relations) {
      if (r.to.model != m.def->index || r.fk_fields.empty() || r.kind == schema::RelationKind::kManyToMany) continue;
      ASSIGN_OR_RETURN(std::vector<std::string> children, Children(m, *row, key, r));
      if (children.empty()) continue;
      const ModelInfo& child = catalog_->model(r.from.model);
      switch (r.on_delete) {
        case schema::ReferentialAction::kRestrict:
        case schema::ReferentialAction::kNoAction:
          return Status::InvalidArgument("cannot delete " + m.name() + "(" + Describe(m, m.pk, *row) + "): " +
                                         std::to_string(children.size()) + " " + child.name() +
                                         " row(s) reference it through relation " + r.name + " (onDelete: " +
                                         std::string(schema::ReferentialActionName(r.on_delete)) + ")");
        case schema::ReferentialAction::kCascade:
          for (auto& c : children) queue.emplace_back(&child, std::move(c));
          break;
        case schema::ReferentialAction::kSetNull:
        case schema::ReferentialAction::kSetDefault:
          if (r.on_delete == schema::ReferentialAction::kSetDefault) {
            // A default that names this very row would leave the children
            // pointing at a row that is gone (PostgreSQL refuses it too).
            bool names_this_row = true;
            for (size_t j = 0; j < r.fk_fields.size(); ++j) {
              size_t p = static_cast<size_t>(child.field_position[r.fk_fields[j].value()]);
              size_t q = static_cast<size_t>(m.field_position[r.referenced_fields[j].value()]);
              names_this_row = names_this_row && schema::Compare(child.defaults[p], (*row)[q]) == 0;
            }
            if (names_this_row) {
              return Status::InvalidArgument("cannot delete " + m.name() + "(" + Describe(m, m.pk, *row) + "): " +
                                             child.name() + " rows reference it through relation " + r.name +
                                             " (onDelete: SetDefault), and their default names this same row");
            }
          }
          for (const std::string& c : children) {
            Row changes(child.fields.size());
            std::vector<bool> given(child.fields.size(), false);
            for (schema::FieldIndex f : r.fk_fields) {
              size_t p = static_cast<size_t>(child.field_position[f.value()]);
              changes[p] = r.on_delete == schema::ReferentialAction::kSetNull ? Value::Null() : child.defaults[p];
              given[p] = true;
            }
            RETURN_IF_ERROR(UpdateRow(child, c, std::move(changes), std::move(given), depth + 1).status());
          }
          break;
      }
    }
    RETURN_IF_ERROR(Enter(m));
    RETURN_IF_ERROR(txn_->Delete(key));
    if (m.cluster) RETURN_IF_ERROR(txn_->Delete(SpacePrefix(kLocatorSpace, m.entity).append(pk)));
    RETURN_IF_ERROR(WriteIndexes(m, &*row, nullptr, pk, {}));
    RETURN_IF_ERROR(RecordChange(m, ChangeOp::kDelete, &*row, {}));
  }
  return Status::OK();
}

// ---------------------------------------------------------------- Update

Result<Fields> Transaction::Update(std::string_view model, const Fields& where, const Fields& changes) {
  return Run([&]() -> Result<Fields> {
    ASSIGN_OR_RETURN(const ModelInfo* m, Model(model));
    ASSIGN_OR_RETURN(std::optional<std::string> pk, ResolveWhere(*m, where));
    Row values;
    std::vector<bool> given;
    RETURN_IF_ERROR(Assign(*m, changes, &values, &given));
    if (!pk) return Status::NotFound("no " + m->name() + " matches the where of the update");
    ASSIGN_OR_RETURN(Row row, UpdateRow(*m, *pk, std::move(values), std::move(given), 0));
    return ToFields(*m, row);
  });
}

Result<Row> Transaction::UpdateRow(const ModelInfo& m, std::string_view pk_view, Row changes, std::vector<bool> given,
                                   int depth) {
  if (depth > kMaxCascadeDepth) {
    return Status::InvalidArgument("cascade deeper than " + std::to_string(kMaxCascadeDepth) + " levels at " +
                                   m.name());
  }
  const std::string pk(pk_view);
  std::string old_key;
  ASSIGN_OR_RETURN(std::optional<Row> found, GetRow(m, pk, &old_key));
  if (!found) return Status::NotFound("no " + m.name() + " matches the where of the update");
  const Row before = std::move(*found);
  Row row = before;
  // A row that only moves (its clustering parent's key changed) keeps its
  // @updatedAt: nothing of its own changed.
  const bool touched = std::find(given.begin(), given.end(), true) != given.end();
  for (size_t i = 0; i < row.size(); ++i) {
    if (given[i]) {
      row[i] = std::move(changes[i]);
    } else if (touched && m.fields[i].def->updated_at) {
      row[i] = Value::Int64(NowMicros());
    }
  }
  // A row that, once changed, references its own old key while this update
  // changes that key follows its relation's onUpdate itself, as SQL's ON
  // UPDATE does for every row referencing the old key.
  for (const schema::Relation& r : catalog_->schema().relations) {
    if (r.from.model != m.def->index || r.to.model != m.def->index || r.fk_fields.empty() ||
        r.kind == schema::RelationKind::kManyToMany) {
      continue;
    }
    bool names_old_key = true, moved = false;
    for (size_t j = 0; j < r.fk_fields.size(); ++j) {
      size_t f = static_cast<size_t>(m.field_position[r.fk_fields[j].value()]);
      size_t o = static_cast<size_t>(m.field_position[r.referenced_fields[j].value()]);
      names_old_key = names_old_key && !row[f].is_null() && schema::Compare(row[f], before[o]) == 0;
      moved = moved || schema::Compare(row[o], before[o]) != 0;
    }
    if (!names_old_key || !moved) continue;
    if (r.on_update == schema::ReferentialAction::kRestrict || r.on_update == schema::ReferentialAction::kNoAction) {
      return Status::InvalidArgument("cannot change the key of " + m.name() + "(" + Describe(m, m.pk, before) +
                                     "): it references itself through relation " + r.name + " (onUpdate: " +
                                     std::string(schema::ReferentialActionName(r.on_update)) + ")");
    }
    for (size_t j = 0; j < r.fk_fields.size(); ++j) {
      size_t f = static_cast<size_t>(m.field_position[r.fk_fields[j].value()]);
      size_t o = static_cast<size_t>(m.field_position[r.referenced_fields[j].value()]);
      row[f] = r.on_update == schema::ReferentialAction::kSetNull      ? Value::Null()
               : r.on_update == schema::ReferentialAction::kSetDefault ? m.defaults[f]
                                                                       : row[o];
    }
  }
  RETURN_IF_ERROR(CheckRequired(m, row));
  ASSIGN_OR_RETURN(std::string new_pk, PrimaryKeyBytes(m, row));
  if (new_pk != pk) {
    ASSIGN_OR_RETURN(std::optional<Row> dup, GetRow(m, new_pk, nullptr));
    if (dup) {
      return Status::InvalidArgument("Unique constraint failed on " + m.name() + "(" + ColumnNames(m, m.pk) +
                                     "): a row with " + Describe(m, m.pk, row) + " exists");
    }
  }
  for (const IndexInfo& ix : m.indexes) {
    if (ix.kind == IndexInfo::Kind::kUnique) RETURN_IF_ERROR(CheckUnique(m, ix, row, new_pk, pk));
  }
  RETURN_IF_ERROR(CheckForeignKeys(m, row, &before));

  // A clustered row's key starts with its parent's, which may have moved
  // even when nothing of this row changed: always derive it again.
  std::string new_key = old_key;
  if (new_pk != pk || m.cluster) {
    ASSIGN_OR_RETURN(new_key, RowKey(m, new_pk, &row));
  }

  // The rows that reference this one, found before anything moves: by the
  // old key values and under the old row key.
  struct Referencing {
    const schema::Relation* rel;
    std::vector<std::string> children;
    bool values_changed;
  };
  std::vector<Referencing> referencing;
  for (const schema::Relation& r : catalog_->schema().relations) {
    if (r.to.model != m.def->index || r.fk_fields.empty() || r.kind == schema::RelationKind::kManyToMany) continue;
    bool changed = false;
    for (schema::FieldIndex f : r.referenced_fields) {
      size_t p = static_cast<size_t>(m.field_position[f.value()]);
      if (schema::Compare(row[p], before[p]) != 0) changed = true;
    }
    const ModelInfo& child = catalog_->model(r.from.model);
    bool moves_children = child.cluster && child.cluster->relation == r.index && new_key != old_key;
    if (!changed && !moves_children) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> children, Children(m, before, old_key, r));
    if (!children.empty()) referencing.push_back(Referencing{&r, std::move(children), changed});
  }

  RETURN_IF_ERROR(Enter(m));
  if (new_key != old_key) RETURN_IF_ERROR(txn_->Delete(old_key));
  if (new_pk != pk && m.cluster) RETURN_IF_ERROR(txn_->Delete(SpacePrefix(kLocatorSpace, m.entity).append(pk)));
  std::string record;
  RETURN_IF_ERROR(WriteRow(m, row, new_pk, new_key, &record));
  RETURN_IF_ERROR(WriteIndexes(m, &before, &row, pk, new_pk));
  RETURN_IF_ERROR(RecordChange(m, ChangeOp::kUpdate, &before, record));

  for (Referencing& ref : referencing) {
    const schema::Relation& r = *ref.rel;
    const ModelInfo& child = catalog_->model(r.from.model);
    if (ref.values_changed) {
      switch (r.on_update) {
        case schema::ReferentialAction::kRestrict:
        case schema::ReferentialAction::kNoAction:
          return Status::InvalidArgument("cannot change the key of " + m.name() + "(" + Describe(m, m.pk, before) +
                                         "): " + std::to_string(ref.children.size()) + " " + child.name() +
                                         " row(s) reference it through relation " + r.name + " (onUpdate: " +
                                         std::string(schema::ReferentialActionName(r.on_update)) + ")");
        default:
          break;
      }
    }
    for (const std::string& c : ref.children) {
      if (&child == &m && c == pk) continue;  // the row itself: done above
      Row ch(child.fields.size());
      std::vector<bool> g(child.fields.size(), false);
      if (ref.values_changed) {
        for (size_t j = 0; j < r.fk_fields.size(); ++j) {
          size_t cp = static_cast<size_t>(child.field_position[r.fk_fields[j].value()]);
          size_t pp = static_cast<size_t>(m.field_position[r.referenced_fields[j].value()]);
          g[cp] = true;
          if (r.on_update == schema::ReferentialAction::kSetNull) {
            ch[cp] = Value::Null();
          } else if (r.on_update == schema::ReferentialAction::kSetDefault) {
            ch[cp] = child.defaults[cp];
          } else {
            ch[cp] = row[pp];
          }
        }
      }
      // With no change of its own, a clustered child still moves: its key
      // starts with this row's, which changed.
      RETURN_IF_ERROR(UpdateRow(child, c, std::move(ch), std::move(g), depth + 1).status());
    }
  }
  return row;
}

}  // namespace ormdb::engine
