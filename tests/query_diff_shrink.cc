// Shrinking a failing request of the differential test: single edits
// (drop an include, a filter entry, an argument, a field), enumerated in a
// fixed order so the k-th edit is well defined (tests/query_diff.h, Simplify).
#include <algorithm>

#include "tests/query_diff.h"

namespace ormdb::querydiff {

namespace {

// Counts edit sites down to the chosen one.
class Editor {
 public:
  explicit Editor(int k) : k_(k) {}
  // Whether the next edit site is the chosen one (then the caller edits).
  bool Take() { return k_-- == 0; }

 private:
  int k_;
};

bool EditWhere(WhereObject* w, Editor& e);

bool EditField(FieldFilter* f, Editor& e) {
  if (f->bare) return false;
  for (size_t i = 0; f->ops.size() > 1 && i < f->ops.size(); ++i) {
    if (e.Take()) {
      f->ops.erase(f->ops.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  if (f->insensitive && e.Take()) {
    f->insensitive.reset();
    return true;
  }
  for (FieldFilter::Op& op : f->ops) {
    for (size_t i = 0; (op.name == "in" || op.name == "notIn") && i < op.values.size(); ++i) {
      if (e.Take()) {
        op.values.erase(op.values.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
    }
    if (!op.nested.empty() && EditField(&op.nested[0], e)) return true;
  }
  return false;
}

bool EditWhere(WhereObject* w, Editor& e) {
  for (size_t i = 0; i < w->entries.size(); ++i) {
    if (e.Take()) {
      w->entries.erase(w->entries.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  for (WhereEntry& entry : w->entries) {
    switch (entry.kind) {
      case WhereEntry::Kind::kField:
        if (EditField(&entry.scalar, e)) return true;
        break;
      case WhereEntry::Kind::kRelation:
        for (size_t i = 0; entry.related.parts.size() > 1 && i < entry.related.parts.size(); ++i) {
          if (e.Take()) {
            entry.related.parts.erase(entry.related.parts.begin() + static_cast<std::ptrdiff_t>(i));
            return true;
          }
        }
        for (RelationFilter::Part& p : entry.related.parts) {
          if (!p.inner.empty() && EditWhere(&p.inner[0], e)) return true;
        }
        break;
      case WhereEntry::Kind::kAnd:
      case WhereEntry::Kind::kOr:
      case WhereEntry::Kind::kNot:
        for (size_t i = 0; entry.group.size() > 1 && i < entry.group.size(); ++i) {
          if (e.Take()) {
            WhereObject keep = std::move(entry.group[i]);
            entry.group.clear();
            entry.group.push_back(std::move(keep));
            return true;
          }
        }
        for (WhereObject& g : entry.group) {
          if (EditWhere(&g, e)) return true;
        }
        break;
      case WhereEntry::Kind::kCompound: break;
    }
  }
  return false;
}

void RemoveChild(Level* l, size_t i) {
  l->children.erase(l->children.begin() + static_cast<std::ptrdiff_t>(i));
  std::vector<SelectKey> keys;
  for (SelectKey k : l->keys) {
    if (k.kind == SelectKey::Kind::kChild) {
      if (k.index == i) continue;
      if (k.index > i) --k.index;
    }
    keys.push_back(k);
  }
  l->keys = std::move(keys);
}

bool EditLevel(Level* l, Editor& e, bool unique_root, bool count_root) {
  for (size_t i = 0; i < l->children.size(); ++i) {
    if (e.Take()) {
      RemoveChild(l, i);
      return true;
    }
  }
  if (!l->where.empty() && !unique_root && e.Take()) {
    l->where.clear();
    return true;
  }
  if (!l->order_by.empty() && e.Take()) {
    l->order_by.clear();
    return true;
  }
  for (size_t i = 0; l->order_by.size() > 1 && i < l->order_by.size(); ++i) {
    if (e.Take()) {
      l->order_by.erase(l->order_by.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  if (l->take && e.Take()) {
    l->take.reset();
    return true;
  }
  if (l->skip && e.Take()) {
    l->skip.reset();
    return true;
  }
  if (l->cursor && e.Take()) {
    l->cursor.reset();
    return true;
  }
  if (!l->distinct.empty() && e.Take()) {
    l->distinct.clear();
    return true;
  }
  const bool has_count = l->count_all || !l->counts.empty();
  if (has_count && e.Take()) {
    l->count_all = false;
    l->counts.clear();
    l->keys.erase(std::remove_if(l->keys.begin(), l->keys.end(),
                                 [](const SelectKey& k) { return k.kind == SelectKey::Kind::kCount; }),
                  l->keys.end());
    return true;
  }
  for (size_t i = 0; l->counts.size() > 1 && i < l->counts.size(); ++i) {
    if (e.Take()) {
      l->counts.erase(l->counts.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  for (CountSpec& c : l->counts) {
    if (!c.where.empty() && e.Take()) {
      c.where.clear();
      return true;
    }
  }
  // Every field as an explicit select, whose fields the edits below drop.
  if (l->shape != Level::Shape::kSelect && !count_root && e.Take()) {
    if (l->shape == Level::Shape::kTrue) l->shape = Level::Shape::kAll;  // takes arguments now
    std::vector<SelectKey> keys;
    for (size_t c = 0; c < l->column_count; ++c) keys.push_back(SelectKey{SelectKey::Kind::kScalar, c, true});
    keys.insert(keys.end(), l->keys.begin(), l->keys.end());
    l->keys = std::move(keys);
    l->shape = Level::Shape::kSelect;
    return true;
  }
  for (size_t i = 0; i < l->keys.size(); ++i) {
    if (l->keys[i].kind == SelectKey::Kind::kScalar && e.Take()) {
      l->keys.erase(l->keys.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  if (!l->where.empty() && EditWhere(&l->where[0], e)) return true;
  for (CountSpec& c : l->counts) {
    if (!c.where.empty() && EditWhere(&c.where[0], e)) return true;
  }
  for (Level& child : l->children) {
    if (EditLevel(&child, e, false, false)) return true;
  }
  return false;
}

}  // namespace

bool Simplify(Request* r, int k) {
  Editor e(k);
  return EditLevel(&r->root, e, r->op == Operation::kFindUnique, r->op == Operation::kCount);
}

}  // namespace ormdb::querydiff
