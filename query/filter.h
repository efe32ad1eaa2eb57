// Evaluating a filter on a row, with SQL's three-valued logic: a comparison
// with a null field is unknown, NOT unknown is unknown, and a row passes a
// where only when it is true. Relation filters are not evaluated here: the
// executor answers each for a whole batch of rows at once (a semi-join) and
// hands the answers in.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "query/request.h"

namespace ormdb::query {

enum class Tri : uint8_t { kFalse, kTrue, kUnknown };

// Answers of the relation filters of a where, per row of the batch.
using RelationAnswers = std::map<const Filter*, std::vector<bool>>;

Tri Evaluate(const Filter& f, const Row& row, size_t row_index, const RelationAnswers* answers);
inline bool Matches(const Filter& f, const Row& row, size_t row_index = 0, const RelationAnswers* answers = nullptr) {
  return Evaluate(f, row, row_index, answers) == Tri::kTrue;
}

// Whether the filter has relation filters at its top (outside of the
// filters on related rows, which their own batch answers).
bool HasRelationFilter(const Filter& f);
// The relation filters at the top of `f`, in a stable order.
void CollectRelationFilters(const Filter& f, std::vector<const Filter*>* out);

// Sorts by the order terms, then by the primary key columns (ties broken in
// the direction of the last term; ascending when there are none), so every
// order is total and the same in every system.
struct RowOrder {
  std::vector<OrderTerm> terms;  // with the primary key columns appended
  // -1, 0, 1
  int Compare(const Row& a, const Row& b) const;
};
RowOrder MakeRowOrder(const std::vector<OrderTerm>& order_by, const std::vector<size_t>& pk_columns);

}  // namespace ormdb::query
