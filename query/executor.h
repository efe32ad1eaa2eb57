// Runs a bound request over a Storage: reads level by level, each level in
// one batch for all the rows of the level above, and writes the blocks of
// query/result.h. Mutations write through the same Storage (so inside the
// caller's transaction) and answer with the written rows read back through
// the read path.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "query/request.h"
#include "query/result.h"
#include "query/storage.h"

namespace ormdb::query {

struct ExecuteOptions {
  // Rows a request may read (all levels together) before it fails (Busy)
  // with an error naming the level: a runaway include never eats the server.
  uint64_t max_rows_read = 10'000'000;
  // Rows a request may return (all blocks together).
  uint64_t max_rows_returned = 1'000'000;
  // When the request must have finished (none: no time budget), and a flag
  // another thread sets to stop it (a client's cancel). Both are looked at
  // every few hundred rows read; either stops the request with Busy.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  const std::atomic<bool>* cancel = nullptr;
  // What the caller accepts: a server's Fetch message carries reads only
  // and its Mutate writes only, so a client cannot write by mistake
  // through a path it believes read-only.
  enum class Accept : uint8_t { kAny, kReads, kWrites };
  Accept accept = Accept::kAny;
  // Explain this request whatever the request says.
  bool explain = false;
  // Set: the caller must not wait (an event loop running a write inline).
  // Where the request would wait, at a model a migration is rewriting or
  // before retrying a conflict, it fails instead, sets *would_wait and
  // keeps nothing, for the caller to run it again where waiting is fine.
  bool* would_wait = nullptr;
};

Result<QueryResult> Execute(Storage& storage, const Request& request, const ExecuteOptions& options = {});
// InvalidArgument when `options.accept` refuses the request's kind.
Status CheckAccepted(const Request& request, const ExecuteOptions& options);

}  // namespace ormdb::query
