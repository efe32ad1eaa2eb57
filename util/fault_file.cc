#include "util/fault_file.h"

#include <cerrno>
#include <vector>

namespace ormdb {
namespace {

class FaultInjectingFile final : public File {
 public:
  FaultInjectingFile(std::unique_ptr<File> base, std::shared_ptr<FaultPlan> plan)
      : File(base->path(), base->direct_io()), base_(std::move(base)), plan_(std::move(plan)) {}

  Status ReadBatch(std::span<ReadRequest> reads) override {
    int64_t bad = plan_->fail_read_offset.load();
    if (bad >= 0) {
      for (const auto& r : reads) {
        if (static_cast<uint64_t>(bad) >= r.offset && static_cast<uint64_t>(bad) < r.offset + r.buf.size()) {
          return Status::FromErrno(EIO, "read " + path() + " at offset " + std::to_string(r.offset) + " (injected)");
        }
      }
    }
    return base_->ReadBatch(reads);
  }

  Status WriteBatch(std::span<const WriteRequest> writes) override {
    plan_->writes.fetch_add(writes.size());
    for (const auto& w : writes) {
      int64_t budget = plan_->write_budget_bytes.load();
      if (budget < 0) {
        RETURN_IF_ERROR(base_->WriteAt(w.offset, w.data));
        continue;
      }
      size_t fits = std::min<size_t>(static_cast<size_t>(budget), w.data.size());
      // A torn write keeps whole alignment units, as a device would.
      fits -= fits % alignment();
      if (fits > 0) RETURN_IF_ERROR(base_->WriteAt(w.offset, w.data.first(fits)));
      plan_->write_budget_bytes.store(budget - static_cast<int64_t>(fits));
      if (fits < w.data.size()) {
        return Status::FromErrno(plan_->write_errno.load(),
                                 "write " + path() + " at offset " + std::to_string(w.offset + fits) + " (injected)");
      }
    }
    return Status::OK();
  }

  Status Sync() override {
    plan_->syncs.fetch_add(1);
    if (plan_->fail_sync.load()) return Status::FromErrno(EIO, "fdatasync " + path() + " (injected)");
    return base_->Sync();
  }

  Result<uint64_t> Size() override { return base_->Size(); }
  Status Truncate(uint64_t size) override { return base_->Truncate(size); }

 private:
  std::unique_ptr<File> base_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace

FileOpener FaultInjectingOpener(std::shared_ptr<FaultPlan> plan, FileOpener base) {
  return [plan, base](const std::string& path, const FileOptions& options) -> Result<std::unique_ptr<File>> {
    ASSIGN_OR_RETURN(std::unique_ptr<File> f, base(path, options));
    return std::unique_ptr<File>(new FaultInjectingFile(std::move(f), plan));
  };
}

}  // namespace ormdb
