#include "query/request.h"

namespace ormdb::query {

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kFindUnique: return "findUnique";
    case Operation::kFindFirst: return "findFirst";
    case Operation::kFindMany: return "findMany";
    case Operation::kCount: return "count";
    case Operation::kAggregate: return "aggregate";
    case Operation::kGroupBy: return "groupBy";
    case Operation::kCreate: return "create";
    case Operation::kCreateMany: return "createMany";
    case Operation::kUpdate: return "update";
    case Operation::kUpdateMany: return "updateMany";
    case Operation::kUpsert: return "upsert";
    case Operation::kDelete: return "delete";
    case Operation::kDeleteMany: return "deleteMany";
  }
  return "?";
}

std::optional<Operation> OperationFromName(std::string_view name) {
  for (uint8_t i = 0; i <= static_cast<uint8_t>(Operation::kDeleteMany); ++i) {
    const auto op = static_cast<Operation>(i);
    if (OperationName(op) == name) return op;
  }
  return std::nullopt;
}

std::optional<Operation> OperationOf(const json::Value& request) {
  if (request.kind() != json::Value::Kind::kObject) return std::nullopt;
  for (const auto& [key, val] : request.members()) {
    std::optional<Operation> op = OperationFromName(key);
    if (op && val.kind() == json::Value::Kind::kString) return op;
  }
  return std::nullopt;
}

bool IsRead(Operation op) {
  switch (op) {
    case Operation::kFindUnique:
    case Operation::kFindFirst:
    case Operation::kFindMany:
    case Operation::kCount:
    case Operation::kAggregate:
    case Operation::kGroupBy: return true;
    default: return false;
  }
}

std::string_view CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEquals: return "equals";
    case CompareOp::kNotEquals: return "not";
    case CompareOp::kIn: return "in";
    case CompareOp::kNotIn: return "notIn";
    case CompareOp::kLt: return "lt";
    case CompareOp::kLte: return "lte";
    case CompareOp::kGt: return "gt";
    case CompareOp::kGte: return "gte";
    case CompareOp::kContains: return "contains";
    case CompareOp::kStartsWith: return "startsWith";
    case CompareOp::kEndsWith: return "endsWith";
    case CompareOp::kIsNull: return "isNull";
  }
  return "?";
}

std::string_view AggregateFnName(AggregateFn f) {
  switch (f) {
    case AggregateFn::kCount: return "_count";
    case AggregateFn::kSum: return "_sum";
    case AggregateFn::kAvg: return "_avg";
    case AggregateFn::kMin: return "_min";
    case AggregateFn::kMax: return "_max";
  }
  return "?";
}

}  // namespace ormdb::query
