#include "query/planner.h"

#include <algorithm>
#include <map>

namespace ormdb::query {

using schema::Value;

std::vector<schema::FieldIndex> StoredFields(const schema::Model& m) {
  std::vector<schema::FieldIndex> out;
  for (const schema::Field& f : m.fields) {
    if (!f.is_relation()) out.push_back(f.index);
  }
  return out;
}

std::vector<int> ColumnOfField(const schema::Model& m) {
  std::vector<int> out(m.fields.size(), -1);
  int next = 0;
  for (const schema::Field& f : m.fields) {
    if (!f.is_relation()) out[f.index.value()] = next++;
  }
  return out;
}

std::vector<size_t> PrimaryKeyColumns(const schema::Model& m) {
  std::vector<int> col = ColumnOfField(m);
  std::vector<size_t> out;
  for (const schema::KeyPart& kp : m.primary_key.parts) out.push_back(static_cast<size_t>(col[kp.field.value()]));
  return out;
}

namespace {

// What the top-level conjuncts of a where say about each column.
struct ColumnBounds {
  std::vector<Value> equals;  // one value: equality; several: an in-list
  std::optional<KeyBound> lo, hi;
};

void Tighten(std::optional<KeyBound>* b, const Value& v, bool inclusive, bool lower) {
  if (!*b) {
    *b = KeyBound{{v}, inclusive};
    return;
  }
  int c = schema::Compare(v, (*b)->values[0]);
  bool tighter = lower ? c > 0 : c < 0;
  if (tighter || (c == 0 && !inclusive)) *b = KeyBound{{v}, inclusive};
}

std::map<size_t, ColumnBounds> BoundsOf(const Filter& where) {
  std::map<size_t, ColumnBounds> out;
  std::vector<const Filter*> stack = {&where};
  while (!stack.empty()) {
    const Filter* f = stack.back();
    stack.pop_back();
    if (f->kind == Filter::Kind::kAnd) {
      for (const Filter& c : f->children) stack.push_back(&c);
      continue;
    }
    if (f->kind != Filter::Kind::kCompare || f->insensitive) continue;
    ColumnBounds& b = out[f->column];
    switch (f->op) {
      case CompareOp::kEquals:
        if (!f->values[0].is_null()) b.equals = {f->values[0]};
        break;
      case CompareOp::kIn:
        if (b.equals.empty() && !f->values.empty()) b.equals = f->values;
        break;
      case CompareOp::kGt: Tighten(&b.lo, f->values[0], false, true); break;
      case CompareOp::kGte: Tighten(&b.lo, f->values[0], true, true); break;
      case CompareOp::kLt: Tighten(&b.hi, f->values[0], false, false); break;
      case CompareOp::kLte: Tighten(&b.hi, f->values[0], true, false); break;
      default: break;
    }
  }
  return out;
}

std::string Quote(const Value& v) { return v.ToString(); }

}  // namespace

std::string DescribeRange(const KeyRange& r) {
  auto tuple = [](const Row& vals) {
    std::string s = "(";
    for (size_t i = 0; i < vals.size(); ++i) s += (i ? ", " : "") + Quote(vals[i]);
    return s + ")";
  };
  if (r.lo && r.hi && r.lo->inclusive && r.hi->inclusive && r.lo->values.size() == r.hi->values.size() &&
      std::equal(r.lo->values.begin(), r.lo->values.end(), r.hi->values.begin())) {
    return "= " + tuple(r.lo->values);
  }
  std::string s = r.lo ? (r.lo->inclusive ? "[" : "(") + tuple(r.lo->values) : std::string("(-inf");
  s += " .. ";
  s += r.hi ? tuple(r.hi->values) + (r.hi->inclusive ? "]" : ")") : std::string("+inf)");
  return s;
}

bool IndexServesOrder(const IndexDesc& index, size_t bound, const RowOrder& order,
                      const std::vector<size_t>& pk_columns, bool* reverse) {
  const auto bound_end = index.columns.begin() + static_cast<std::ptrdiff_t>(bound);
  const auto in_index = [&](size_t c) {
    return std::find(index.columns.begin(), index.columns.end(), c) != index.columns.end();
  };
  // Walks the requested order without the columns the bound prefix fixes,
  // against the scan's order: the index's columns after the bound ones,
  // then the primary key columns the index lacks (non-unique entries end
  // with them). Compared term by term, in place: the planner asks this for
  // every index of every request.
  for (int flip = 0; flip < 2; ++flip) {
    size_t next_index = bound, next_pk = 0;
    bool ok = true;
    for (const OrderTerm& t : order.terms) {
      if (std::find(index.columns.begin(), bound_end, t.column) != bound_end) continue;
      size_t column;
      bool desc;
      if (next_index < index.columns.size()) {
        column = index.columns[next_index];
        desc = index.order[next_index] == schema::SortOrder::kDesc;
        ++next_index;
      } else {
        while (next_pk < pk_columns.size() && in_index(pk_columns[next_pk])) ++next_pk;
        if (next_pk == pk_columns.size()) return false;  // the order asks for more than the scan's
        column = pk_columns[next_pk++];
        desc = false;
      }
      desc = desc != (flip == 1);
      if (t.column != column || t.descending != desc || (t.nulls_first && *t.nulls_first != !desc)) {
        ok = false;
        break;
      }
    }
    // The requested order ends with the primary key, so once it is a prefix
    // of the scan's order the two orders are the same (no terms left: any
    // order serves, forward).
    if (ok) {
      *reverse = flip == 1;
      return true;
    }
  }
  return false;
}

const IndexDesc* IndexOnColumns(const Storage& storage, schema::ModelIndex m, const std::vector<size_t>& columns,
                                std::vector<size_t>* order) {
  const IndexDesc* best = nullptr;
  for (const IndexDesc& ix : storage.Indexes(m)) {
    if (ix.columns.size() < columns.size()) continue;
    std::vector<size_t> lead(ix.columns.begin(), ix.columns.begin() + static_cast<std::ptrdiff_t>(columns.size()));
    std::vector<size_t> a = lead, b = columns;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) continue;
    // Prefer an exact unique key, then the shortest index.
    const bool exact_unique = ix.unique && ix.columns.size() == columns.size();
    const bool best_exact = best != nullptr && best->unique && best->columns.size() == columns.size();
    if (best == nullptr || (exact_unique && !best_exact) ||
        (exact_unique == best_exact && ix.columns.size() < best->columns.size())) {
      best = &ix;
      *order = lead;
    }
  }
  return best;
}

Access PlanRoot(const Storage& storage, const Selection& sel, const Filter& where, bool describe) {
  const schema::Model& m = storage.schema().model(sel.model);
  const std::vector<size_t>& pk = storage.ColumnsOf(sel.model).primary_key;
  const RowOrder order = MakeRowOrder(sel.order_by, pk);
  std::map<size_t, ColumnBounds> bounds = BoundsOf(where);

  struct Candidate {
    const IndexDesc* index = nullptr;
    size_t eq = 0;          // leading columns bound by equalities (or in-lists)
    bool range = false;     // and the next one by a range
    bool point = false;     // a unique key named whole, by single values
    bool ordered = false;
    bool reverse = false;
    size_t fanout = 1;      // ranges the in-lists make
  };
  constexpr size_t kMaxRanges = 4096;
  std::optional<Candidate> best;
  auto score = [](const Candidate& c) {
    return (c.point ? 1000 : 0) + static_cast<int>(c.eq) * 10 + (c.range ? 5 : 0) + (c.ordered ? 3 : 0);
  };
  for (const IndexDesc& ix : storage.Indexes(sel.model)) {
    Candidate c;
    c.index = &ix;
    bool single = true;
    while (c.eq < ix.columns.size()) {
      auto it = bounds.find(ix.columns[c.eq]);
      if (it == bounds.end() || it->second.equals.empty()) break;
      if (c.fanout * it->second.equals.size() > kMaxRanges) break;
      c.fanout *= it->second.equals.size();
      single = single && it->second.equals.size() == 1;
      ++c.eq;
    }
    if (c.eq < ix.columns.size()) {
      auto it = bounds.find(ix.columns[c.eq]);
      c.range = it != bounds.end() && (it->second.lo || it->second.hi);
    }
    c.point = ix.unique && single && c.eq == ix.columns.size();
    // An index that neither bounds nor (with a take to stop at) orders is
    // no better than the primary key scan, which needs no second lookup.
    if (c.eq == 0 && !c.range && !sel.take) continue;
    // At most one row is in every order. In-lists make several ranges,
    // which arrive range by range: ordered only when there is one.
    c.ordered = c.point || (c.fanout == 1 && IndexServesOrder(ix, c.eq, order, pk, &c.reverse));
    if (c.eq == 0 && !c.range && !c.ordered) continue;
    if (!best || score(c) > score(*best)) best = c;
  }

  Access a;
  if (!best) {
    a.kind = Access::Kind::kFullScan;
    a.index = IndexDesc::kPrimaryKey;
    a.ranges.push_back(KeyRange{});
    a.ordered = IndexServesOrder(storage.Indexes(sel.model)[0], 0, order, pk, &a.reverse);
    if (describe) a.text = "full scan of " + m.name + (a.ordered ? " in order" : "");
    return a;
  }
  const IndexDesc& ix = *best->index;
  a.kind = best->index->primary && best->eq == 0 && !best->range ? Access::Kind::kFullScan : Access::Kind::kIndex;
  a.index = ix.handle;
  a.ordered = best->ordered;
  a.reverse = best->reverse;
  // The ranges: the cartesian product of the equality lists, each with the
  // range of the next column.
  std::vector<Row> prefixes = {Row{}};
  for (size_t i = 0; i < best->eq; ++i) {
    std::vector<Value>& vals = bounds[ix.columns[i]].equals;
    if (vals.size() == 1) {  // an equality: one more value in each prefix
      for (Row& p : prefixes) p.push_back(vals[0]);
      continue;
    }
    const bool desc = ix.order[i] == schema::SortOrder::kDesc;
    std::sort(vals.begin(), vals.end(), [&](const Value& x, const Value& y) {
      int c = schema::Compare(x, y);
      return desc ? c > 0 : c < 0;
    });
    vals.erase(std::unique(vals.begin(), vals.end(), [](const Value& x, const Value& y) { return schema::Compare(x, y) == 0; }),
               vals.end());
    std::vector<Row> next;
    for (const Row& p : prefixes) {
      for (const Value& v : vals) {
        Row r = p;
        r.push_back(v);
        next.push_back(std::move(r));
      }
    }
    prefixes = std::move(next);
  }
  for (const Row& p : prefixes) {
    KeyRange r;
    if (!p.empty()) {
      r.lo = KeyBound{p, true};
      r.hi = KeyBound{p, true};
    }
    if (best->range) {
      const ColumnBounds& b = bounds[ix.columns[best->eq]];
      const bool desc = ix.order[best->eq] == schema::SortOrder::kDesc;
      // On a descending column the value's lower bound is the key's upper.
      const std::optional<KeyBound>& key_lo = desc ? b.hi : b.lo;
      const std::optional<KeyBound>& key_hi = desc ? b.lo : b.hi;
      if (key_lo) {
        Row v = p;
        v.push_back(key_lo->values[0]);
        r.lo = KeyBound{std::move(v), key_lo->inclusive};
      }
      if (key_hi) {
        Row v = p;
        v.push_back(key_hi->values[0]);
        r.hi = KeyBound{std::move(v), key_hi->inclusive};
      }
    }
    a.ranges.push_back(std::move(r));
  }
  if (a.reverse) std::reverse(a.ranges.begin(), a.ranges.end());
  if (!describe) return a;
  a.text = std::string(best->point ? "unique lookup" : "index") + " " + ix.name + " ";
  if (a.ranges.size() == 1) {
    a.text += DescribeRange(a.ranges[0]);
  } else {
    a.text += std::to_string(a.ranges.size()) + " ranges";
  }
  if (a.reverse) a.text += " reverse";
  if (a.ordered && !best->point) a.text += ", in order";
  return a;
}

}  // namespace ormdb::query
