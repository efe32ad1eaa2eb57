// Runs a bound request over a Storage: reads level by level, each level in
// one batch for all the rows of the level above, and writes the blocks of
// query/result.h. Mutations write through the same Storage (so inside the
// caller's transaction) and answer with the written rows read back through
// the read path.
#pragma once

#include <cstdint>
#include <memory>

#include "query/request.h"
#include "query/result.h"
#include "query/storage.h"

namespace ormdb::query {

struct ExecuteOptions {
  // Rows a request may read (all levels together) before it fails with an
  // error naming the level: a runaway include never eats the server.
  uint64_t max_rows_read = 10'000'000;
  // Rows a request may return (all blocks together).
  uint64_t max_rows_returned = 1'000'000;
};

Result<QueryResult> Execute(Storage& storage, const Request& request, const ExecuteOptions& options = {});

}  // namespace ormdb::query
