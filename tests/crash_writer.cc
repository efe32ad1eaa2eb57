// The process the crash test kills. It commits numbered batches to a tree,
// durably, and prints each batch number on stdout once Commit has returned,
// so the parent knows what was acknowledged when it sent SIGKILL.
//
//   crash_writer batches <file> <seed> <page size>
//       commits batches last+1, last+2, ... forever
//   crash_writer store <dir> <seed>
//       the same through the transactional store (log + checkpoints)
//   crash_writer fsize <file> <byte limit>
//       commits until RLIMIT_FSIZE stops it; checks the error and the state
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "btree/check.h"
#include "btree/tree.h"
#include "mvcc/store.h"
#include "tests/crash_batches.h"

using namespace ormdb;
using namespace ormdb::btree;

static int Die(const char* what, const Status& st) {
  std::fprintf(stderr, "crash_writer: %s: %s\n", what, st.ToString().c_str());
  return 2;
}

static int RunBatches(const std::string& path, uint64_t seed, uint32_t page_size) {
  TreeOptions opts;
  opts.page_size = page_size;
  opts.sync = true;
  auto opened = Tree::Open(path, opts);
  if (!opened.ok()) return Die("open", opened.status());
  auto tree = std::move(opened).value();
  uint64_t batch = testing::LastBatch(tree->GetSnapshot());
  for (;;) {
    ++batch;
    auto txn = tree->BeginWrite();
    Status st = testing::ApplyBatch(seed, batch, *txn);
    if (st.ok()) st = txn->Commit();
    if (!st.ok()) return Die("commit", st);
    std::printf("%llu\n", static_cast<unsigned long long>(batch));
    std::fflush(stdout);
  }
}

// Commits batches through the transactional store: durable in the log at
// Commit, written to the data file by background checkpoints (made frequent).
static int RunStore(const std::string& dir, uint64_t seed) {
  mvcc::StoreOptions opts;
  opts.checkpoint_log_bytes = 48 << 10;
  opts.checkpoint_interval_ms = 20;
  auto opened = mvcc::Store::Open(dir, opts);
  if (!opened.ok()) return Die("open", opened.status());
  auto store = std::move(opened).value();
  uint64_t batch = testing::LastBatch(*store->BeginRead());
  for (;;) {
    ++batch;
    auto txn = store->BeginWrite();
    Status st = testing::ApplyBatch(seed, batch, *txn);
    if (st.ok()) st = txn->Commit().status();
    if (!st.ok()) return Die("commit", st);
    std::printf("%llu\n", static_cast<unsigned long long>(batch));
    std::fflush(stdout);
  }
}

static int RunFsize(const std::string& path, uint64_t limit) {
  signal(SIGXFSZ, SIG_IGN);  // the write then fails with EFBIG instead of killing us
  rlimit rl{limit, limit};
  if (setrlimit(RLIMIT_FSIZE, &rl) != 0) return 3;
  TreeOptions opts;
  opts.page_size = 4096;
  opts.sync = true;
  auto opened = Tree::Open(path, opts);
  if (!opened.ok()) return Die("open", opened.status());
  auto tree = std::move(opened).value();
  uint64_t batch = 0;
  Status failure;
  for (; batch < 1000000; ++batch) {
    // New keys every batch, so the file has to grow until the limit stops it.
    auto txn = tree->BeginWrite();
    Status st;
    for (int i = 0; i < 100 && st.ok(); ++i) st = txn->Put("grow" + std::to_string(batch * 100 + i), std::string(300, 'g'));
    if (st.ok()) st = txn->Put(testing::kBatchKey, std::to_string(batch + 1));
    if (st.ok()) st = txn->Commit();
    if (!st.ok()) {
      failure = st;
      break;
    }
  }
  if (failure.ok()) return Die("the file never reached its size limit", Status::Internal("no failure"));
  std::printf("failed as expected after %llu batches: %s\n", static_cast<unsigned long long>(batch),
              failure.ToString().c_str());
  if (!failure.IsNoSpace()) return Die("expected a NoSpace error", failure);
  if (failure.message().find(path) == std::string::npos) return Die("error does not name the file", failure);
  // The state is the last successful batch, readable and whole.
  if (testing::LastBatch(tree->GetSnapshot()) != batch) return Die("state after failure", Status::Corruption("batch"));
  auto report = CheckIntegrity(*tree);
  if (!report.ok()) return Die("integrity after failure", report.status());
  // Smaller commits (deleting) still work within the limit.
  auto txn = tree->BeginWrite();
  Status st = txn->Delete("grow1");
  if (st.ok()) st = txn->Commit();
  if (!st.ok()) return Die("a commit that fits after the failure", st);
  std::printf("ok\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "batches") {
    return RunBatches(argv[2], std::strtoull(argv[3], nullptr, 10), static_cast<uint32_t>(std::atoi(argv[4])));
  }
  if (argc == 4 && std::string(argv[1]) == "store") return RunStore(argv[2], std::strtoull(argv[3], nullptr, 10));
  if (argc == 4 && std::string(argv[1]) == "fsize") return RunFsize(argv[2], std::strtoull(argv[3], nullptr, 10));
  std::fprintf(stderr, "usage: crash_writer batches <file> <seed> <page size> | fsize <file> <limit>\n");
  return 64;
}
