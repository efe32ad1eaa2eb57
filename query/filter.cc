#include "query/filter.h"

#include <algorithm>
#include <cassert>

namespace ormdb::query {

using schema::Value;

namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Folded(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// Values of the same field compare with schema::Compare; insensitive
// comparisons fold ASCII letters of strings first.
int CompareValues(const Value& a, const Value& b, bool insensitive) {
  if (insensitive && a.kind() == Value::Kind::kString && b.kind() == Value::Kind::kString) {
    std::string x = Folded(a.string_value()), y = Folded(b.string_value());
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return schema::Compare(a, b);
}

Tri FromBool(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

Tri EvaluateCompare(const Filter& f, const Row& row) {
  const Value& v = row[f.column];
  if (f.op == CompareOp::kIsNull) return FromBool(v.is_null() == f.values[0].bool_value());
  if (v.is_null()) return Tri::kUnknown;
  switch (f.op) {
    case CompareOp::kEquals: return FromBool(CompareValues(v, f.values[0], f.insensitive) == 0);
    case CompareOp::kNotEquals: return FromBool(CompareValues(v, f.values[0], f.insensitive) != 0);
    case CompareOp::kIn:
    case CompareOp::kNotIn: {
      bool found = std::any_of(f.values.begin(), f.values.end(),
                               [&](const Value& x) { return CompareValues(v, x, f.insensitive) == 0; });
      return FromBool(found == (f.op == CompareOp::kIn));
    }
    case CompareOp::kLt: return FromBool(CompareValues(v, f.values[0], f.insensitive) < 0);
    case CompareOp::kLte: return FromBool(CompareValues(v, f.values[0], f.insensitive) <= 0);
    case CompareOp::kGt: return FromBool(CompareValues(v, f.values[0], f.insensitive) > 0);
    case CompareOp::kGte: return FromBool(CompareValues(v, f.values[0], f.insensitive) >= 0);
    case CompareOp::kContains:
    case CompareOp::kStartsWith:
    case CompareOp::kEndsWith: {
      if (v.kind() != Value::Kind::kString) return Tri::kFalse;
      std::string hay = f.insensitive ? Folded(v.string_value()) : v.string_value();
      std::string needle = f.insensitive ? Folded(f.values[0].string_value()) : f.values[0].string_value();
      if (f.op == CompareOp::kContains) return FromBool(hay.find(needle) != std::string::npos);
      if (needle.size() > hay.size()) return Tri::kFalse;
      if (f.op == CompareOp::kStartsWith) return FromBool(hay.compare(0, needle.size(), needle) == 0);
      return FromBool(hay.compare(hay.size() - needle.size(), needle.size(), needle) == 0);
    }
    case CompareOp::kIsNull: break;
  }
  return Tri::kUnknown;
}

}  // namespace

Tri Evaluate(const Filter& f, const Row& row, size_t row_index, const RelationAnswers* answers) {
  switch (f.kind) {
    case Filter::Kind::kTrue: return Tri::kTrue;
    case Filter::Kind::kCompare: return EvaluateCompare(f, row);
    case Filter::Kind::kAnd:
    case Filter::Kind::kNot: {
      // NOT [a, b] is NOT a AND NOT b (Prisma: every condition is false).
      const bool negate = f.kind == Filter::Kind::kNot;
      Tri acc = Tri::kTrue;
      for (const Filter& c : f.children) {
        Tri t = Evaluate(c, row, row_index, answers);
        if (negate) t = t == Tri::kTrue ? Tri::kFalse : t == Tri::kFalse ? Tri::kTrue : Tri::kUnknown;
        if (t == Tri::kFalse) return Tri::kFalse;
        if (t == Tri::kUnknown) acc = Tri::kUnknown;
      }
      return acc;
    }
    case Filter::Kind::kOr: {
      Tri acc = Tri::kFalse;
      for (const Filter& c : f.children) {
        Tri t = Evaluate(c, row, row_index, answers);
        if (t == Tri::kTrue) return Tri::kTrue;
        if (t == Tri::kUnknown) acc = Tri::kUnknown;
      }
      return acc;
    }
    case Filter::Kind::kRelation: {
      assert(answers != nullptr && answers->count(&f));
      if (answers == nullptr) return Tri::kFalse;
      auto it = answers->find(&f);
      if (it == answers->end()) return Tri::kFalse;
      return FromBool(it->second[row_index]);
    }
  }
  return Tri::kUnknown;
}

bool HasRelationFilter(const Filter& f) {
  if (f.kind == Filter::Kind::kRelation) return true;
  return std::any_of(f.children.begin(), f.children.end(), [](const Filter& c) { return HasRelationFilter(c); });
}

void CollectRelationFilters(const Filter& f, std::vector<const Filter*>* out) {
  if (f.kind == Filter::Kind::kRelation) {
    out->push_back(&f);
    return;
  }
  for (const Filter& c : f.children) CollectRelationFilters(c, out);
}

RowOrder MakeRowOrder(const std::vector<OrderTerm>& order_by, const std::vector<size_t>& pk_columns) {
  RowOrder o;
  o.terms = order_by;
  const bool desc = !order_by.empty() && order_by.back().descending;
  for (size_t c : pk_columns) {
    bool present = std::any_of(order_by.begin(), order_by.end(), [&](const OrderTerm& t) { return t.column == c; });
    if (!present) o.terms.push_back(OrderTerm{c, desc, std::nullopt});
  }
  return o;
}

int RowOrder::Compare(const Row& a, const Row& b) const {
  for (const OrderTerm& t : terms) {
    const Value& x = a[t.column];
    const Value& y = b[t.column];
    if (x.is_null() || y.is_null()) {
      if (x.is_null() && y.is_null()) continue;
      // Key order: nulls first ascending, last descending, unless told.
      const bool nulls_first = t.nulls_first.value_or(!t.descending);
      return x.is_null() == nulls_first ? -1 : 1;
    }
    int c = schema::Compare(x, y);
    if (c != 0) return t.descending ? -c : c;
  }
  return 0;
}

}  // namespace ormdb::query
