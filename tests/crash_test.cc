// Crash test with real processes: a writer commits numbered batches and
// reports each acknowledgement through a pipe; we SIGKILL it at random
// moments, reopen, and check that the state is exactly one committed batch,
// at or after the last acknowledged one, and that every page is sound.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "btree/check.h"
#include "btree/tree.h"
#include "mvcc/store.h"
#include "tests/crash_batches.h"
#include "tests/test_util.h"

namespace ormdb::btree {
namespace {

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of the child's stdout
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  return Child{pid, fds[0]};
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

uint64_t LastAck(const std::string& out) {
  // Only whole lines count: a number cut off by the kill was never acknowledged.
  uint64_t last = 0;
  size_t start = 0;
  for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    last = std::stoull(out.substr(start, nl - start));
  }
  return last;
}

// store=false: the tree alone, each batch a durable tree commit.
// store=true: the transactional store, durable by its log, checkpointing in
// the background (so kills also land inside checkpoints and log recycling).
void RunCrashLoop(uint32_t page_size, int iterations, bool store = false) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir dir;
  const std::string path = store ? dir.File("store") : dir.File("crash.odb");
  uint64_t acked = 0;
  std::map<std::string, std::string> model;
  uint64_t model_batch = 0;
  for (int it = 0; it < iterations; ++it) {
    Child c = store ? Spawn({CRASH_WRITER_PATH, "store", path, std::to_string(seed)})
                    : Spawn({CRASH_WRITER_PATH, "batches", path, std::to_string(seed), std::to_string(page_size)});
    // Kill it after a random while: sometimes at once (mid-open or mid-first
    // commit), mostly after some commits.
    int ms = rng() % 8 == 0 ? static_cast<int>(rng() % 5) : 5 + static_cast<int>(rng() % 150);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(c.pid, SIGKILL);
    int status = 0;
    waitpid(c.pid, &status, 0);
    std::string out = ReadAll(c.out);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited by itself (status " << status << "), output: " << out;
    acked = std::max(acked, LastAck(out));

    std::unique_ptr<mvcc::Store> st;
    std::unique_ptr<Tree> tree_only;
    if (store) {
      mvcc::StoreOptions so;
      so.background_checkpoints = false;
      auto s = mvcc::Store::Open(path, so);
      ASSERT_OK(s.status());
      st = std::move(s).value();
    } else {
      TreeOptions opts;
      opts.page_size = page_size;
      auto t = Tree::Open(path, opts);
      ASSERT_OK(t.status());
      tree_only = std::move(t).value();
    }
    Tree* tree = store ? &st->tree() : tree_only.get();
    Snapshot snap = tree->GetSnapshot();
    uint64_t got = testing::LastBatch(snap);
    // Every acknowledged batch survived; at most the one in flight was added.
    ASSERT_GE(got, acked) << "iteration " << it << ": acknowledged batch lost";
    ASSERT_LE(got, acked + 1) << "iteration " << it;
    ASSERT_GE(got, model_batch);
    while (model_batch < got) testing::ApplyBatch(seed, ++model_batch, &model);
    // The state is exactly batch `got` (the model holds the batch key too):
    // nothing of a later batch, all of this one.
    auto cur = snap.NewCursor();
    auto m = model.begin();
    for (cur->SeekToFirst(); cur->Valid(); cur->Next(), ++m) {
      ASSERT_NE(m, model.end()) << "iteration " << it;
      ASSERT_EQ(cur->key(), m->first) << "iteration " << it;
      ASSERT_EQ(cur->value(), m->second) << "iteration " << it;
    }
    ASSERT_OK(cur->status());
    ASSERT_EQ(m, model.end()) << "iteration " << it << ": batch " << got << ", tree has " << snap.entries()
                              << " entries, model " << model.size();
    auto report = CheckIntegrity(*tree);
    ASSERT_OK(report.status());
    acked = got;
  }
  std::printf("%d kills, %llu batches committed\n", iterations, static_cast<unsigned long long>(acked));
}

TEST(CrashTest, KilledWriterLosesNoAcknowledgedBatch4K) { RunCrashLoop(4096, 60); }
TEST(CrashTest, KilledWriterLosesNoAcknowledgedBatch512) { RunCrashLoop(512, 40); }

TEST(CrashTest, KilledStoreLosesNoAcknowledgedCommit) { RunCrashLoop(4096, 60, /*store=*/true); }

TEST(CrashTest, FileSizeLimitFailsTheCommitAndKeepsTheState) {
  testing::TempDir dir;
  Child c = Spawn({CRASH_WRITER_PATH, "fsize", dir.File("full.odb"), std::to_string(3 << 20)});
  int status = 0;
  waitpid(c.pid, &status, 0);
  std::string out = ReadAll(c.out);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << ", output: " << out;
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
  // And the file opens afterwards, sound.
  auto tree = Tree::Open(dir.File("full.odb"), TreeOptions{});
  ASSERT_OK(tree.status());
  ASSERT_OK(CheckIntegrity(**tree).status());
}

}  // namespace
}  // namespace ormdb::btree
