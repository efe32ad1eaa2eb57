// Access paths: how one level of a graph fetch reaches its rows. For the
// root, the planner reads the where's top-level conjuncts and picks the
// index that bounds the most columns (a unique key named whole is a point
// lookup), preferring one whose order is the requested order so a take can
// stop early. For an include, the access follows the relation: children
// clustered under their parents are one prefix scan per parent, children
// holding a foreign key are ranges of an index on it, one per parent, a
// to-one target is a point lookup per distinct key, and a many-to-many
// relation goes through its join model. Every access takes the whole batch
// of parents in one call (query/storage.h): never a lookup per parent issued
// on its own.
//
// An access only narrows: the executor evaluates the whole where on every
// row it reads, so a plan can be conservative without being wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "query/filter.h"
#include "query/request.h"
#include "query/storage.h"

namespace ormdb::query {

struct Access {
  enum class Kind : uint8_t { kFullScan, kIndex, kClustered };
  Kind kind = Kind::kFullScan;
  int index = IndexDesc::kPrimaryKey;
  std::vector<KeyRange> ranges;
  bool reverse = false;
  // Rows arrive in the level's requested order (with its tie-break), so a
  // take can stop reading once it has its rows.
  bool ordered = false;
  std::string text;  // for explain: "index Post(createdAt) range [..] reverse, ordered"
};

// How the root rows of a selection are read, given its where (the
// selection's own, or the one a mutation names its rows by).
// `describe`: fill Access::text (for explain only; it formats values).
Access PlanRoot(const Storage& storage, const Selection& sel, const Filter& where, bool describe = true);

// Whether scanning `index` (its first `bound` columns fixed by equalities),
// forward or in reverse, yields rows in the order `order` (a full order,
// ending with the primary key: MakeRowOrder). Sets *reverse.
bool IndexServesOrder(const IndexDesc& index, size_t bound, const RowOrder& order,
                      const std::vector<size_t>& pk_columns, bool* reverse);

// The primary key columns of a model.
std::vector<size_t> PrimaryKeyColumns(const schema::Model& m);

// An index whose first columns are exactly `columns` (in any order), the
// primary key and unique indexes first. Sets *order to the index's order of
// those columns. Null when there is none.
const IndexDesc* IndexOnColumns(const Storage& storage, schema::ModelIndex m, const std::vector<size_t>& columns,
                                std::vector<size_t>* order);

std::string DescribeRange(const KeyRange& r);

}  // namespace ormdb::query
