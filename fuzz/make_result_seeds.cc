// Writes seed inputs for result_decoder_fuzzer that track the result layout
// (docs/result-format.md): results with every column type, nulls, a shared
// edge block with targets and a contiguous one, and an explain text.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "query/result.h"

using namespace ormdb;
using namespace ormdb::query;
using schema::Value;

namespace {

void Write(const std::string& dir, const std::string& name, const QueryResult& r) {
  std::ofstream(dir + "/" + name, std::ios::binary) << r.Encode();
}

Column Make(std::string name, ColumnType type, std::initializer_list<Value> values) {
  ColumnBuilder b(std::move(name), type);
  for (const Value& v : values) b.Append(v);
  return b.Finish();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);

  QueryResult graph;
  graph.shape = ResultShape::kList;
  graph.version = 42;
  graph.explain = "findMany User\n";
  EntityBlock users{"", "User", 2, {}};
  users.columns.push_back(Make("id", ColumnType::kInt32, {Value::Int32(1), Value::Int32(2)}));
  users.columns.push_back(Make("name", ColumnType::kString, {Value::String("Ada"), Value::Null()}));
  users.columns.push_back(Make("ok", ColumnType::kBool, {Value::Bool(true), Value::Bool(false)}));
  users.columns.push_back(Make("_count.posts", ColumnType::kInt64, {Value::Int64(2), Value::Int64(0)}));
  EntityBlock posts{"posts", "Post", 2, {}};
  posts.columns.push_back(Make("at", ColumnType::kDateTime, {Value::Int64(1700000000000000), Value::Null()}));
  posts.columns.push_back(Make("score", ColumnType::kDouble, {Value::Double(1.5), Value::Double(-0.0)}));
  posts.columns.push_back(Make("uuid", ColumnType::kUuid, {Value::Bytes(std::string(16, 'u')), Value::Null()}));
  posts.columns.push_back(Make("blob", ColumnType::kBytes, {Value::Bytes("\x01\x02"), Value::Bytes("")}));
  posts.columns.push_back(Make("price", ColumnType::kDecimal, {Value::String("12.50"), Value::Null()}));
  posts.columns.push_back(Make("meta", ColumnType::kJson, {Value::String("{\"a\":[1]}"), Value::String("null")}));
  posts.columns.push_back(Make("kind", ColumnType::kEnum, {Value::String("DRAFT"), Value::Null()}));
  EntityBlock authors{"posts.author", "User", 1, {}};
  authors.columns.push_back(Make("id", ColumnType::kInt32, {Value::Int32(1)}));
  graph.entities = {users, posts, authors};
  graph.edges.push_back(EdgeBlock{"posts", "posts", 0, 1, true, {0, 2, 2}, {}});
  graph.edges.push_back(EdgeBlock{"posts.author", "author", 1, 2, false, {0, 1, 2}, {0, 0}});
  Write(dir, "graph", graph);

  QueryResult count;
  count.shape = ResultShape::kValue;
  count.entities.push_back(EntityBlock{"", "", 1, {Make("_count", ColumnType::kInt64, {Value::Int64(7)})}});
  Write(dir, "count", count);

  QueryResult empty;
  empty.shape = ResultShape::kOne;
  empty.entities.push_back(EntityBlock{"", "User", 0, {Make("id", ColumnType::kInt32, {})}});
  Write(dir, "empty", empty);
  return 0;
}
