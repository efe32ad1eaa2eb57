#include "btree/check.h"

#include <optional>
#include <vector>

namespace ormdb::btree {
namespace {

class Checker {
 public:
  Checker(Tree& tree, Snapshot snap)
      : tree_(tree), snap_(std::move(snap)), seen_(snap_.meta().page_count, false) {}

  Status Run(IntegrityReport* report) {
    report_ = report;
    const MetaState& m = snap_.meta();
    if (m.root != kNoPage) {
      RETURN_IF_ERROR(Mark(m.root));
      RETURN_IF_ERROR(Walk(m.root, kAnyNode, -1, std::nullopt, std::nullopt, 1));
    }
    if (report_->entries != m.entries) {
      return Status::Corruption("tree holds " + std::to_string(report_->entries) + " entries, the meta page says " +
                                std::to_string(m.entries));
    }
    for (PageId p : tree_.pager().FreeListPages()) RETURN_IF_ERROR(Mark(p));
    std::vector<uint64_t> free_pages = tree_.pager().FreePages();
    for (uint64_t p : free_pages) {
      if (p >= seen_.size()) return Status::Corruption("free page " + std::to_string(p) + " beyond the file");
      if (seen_[p]) return Status::Corruption("page " + std::to_string(p) + " is both reachable and free");
      seen_[p] = true;
    }
    report_->free_pages = free_pages.size();
    for (uint64_t p = kFirstDataPage; p < seen_.size(); ++p) {
      if (!seen_[p]) return Status::Corruption("page " + std::to_string(p) + " is neither reachable nor free (leaked)");
    }
    return Status::OK();
  }

 private:
  Status Mark(PageId id) {
    if (id.value() < kFirstDataPage || id.value() >= seen_.size()) {
      return Status::Corruption("reference to page " + id.ToString() + " outside the file");
    }
    if (seen_[id.value()]) return Status::Corruption("page " + id.ToString() + " is reachable twice");
    seen_[id.value()] = true;
    return Status::OK();
  }

  Status Walk(PageId id, PageType type, int level, const std::optional<std::string>& lo,
              const std::optional<std::string>& hi, int depth) {
    PageSource& src = *snap_.source();
    ASSIGN_OR_RETURN(PageRef page, src.Fetch(id, type));
    NodeView v(page.get(), src.page_size());
    std::string where = "page " + id.ToString();
    if (level >= 0 && v.level() != level) {
      return Status::Corruption(where + ": level " + std::to_string(v.level()) + ", expected " + std::to_string(level));
    }
    report_->depth = std::max(report_->depth, depth);
    std::vector<std::string> keys;
    for (int i = 0; i < v.count(); ++i) {
      keys.push_back(v.Key(i));
      if ((lo && keys.back() < *lo) || (hi && keys.back() >= *hi)) {
        return Status::Corruption(where + ": key " + std::to_string(i) + " lies outside its parent's separators");
      }
    }
    if (v.is_leaf()) {
      ++report_->leaf_pages;
      report_->entries += v.count();
      for (int i = 0; i < v.count(); ++i) {
        LeafValue lv = v.value(i);
        if (!lv.overflow) continue;
        const size_t payload = src.page_size() - kPageHeaderBytes;
        PageId o = lv.first_page;
        for (uint64_t remaining = lv.length; remaining > 0;) {
          RETURN_IF_ERROR(Mark(o));
          ASSIGN_OR_RETURN(PageRef op, src.Fetch(o, PageType::kOverflow));
          ++report_->overflow_pages;
          remaining -= std::min<uint64_t>(remaining, payload);
          o = PageId(ReadHeader(op.get()).aux64);
        }
      }
      return Status::OK();
    }
    ++report_->branch_pages;
    PageType child_type = v.level() == 1 ? PageType::kLeaf : PageType::kBranch;
    for (int i = 0; i <= v.count(); ++i) {
      std::optional<std::string> clo = i == 0 ? lo : std::optional<std::string>(keys[i - 1]);
      std::optional<std::string> chi = i == v.count() ? hi : std::optional<std::string>(keys[i]);
      RETURN_IF_ERROR(Mark(v.child(i)));
      RETURN_IF_ERROR(Walk(v.child(i), child_type, v.level() - 1, clo, chi, depth + 1));
    }
    return Status::OK();
  }

  Tree& tree_;
  Snapshot snap_;
  std::vector<bool> seen_;
  IntegrityReport* report_ = nullptr;
};

}  // namespace

std::string IntegrityReport::ToString() const {
  return "depth " + std::to_string(depth) + ", " + std::to_string(entries) + " entries, " +
         std::to_string(branch_pages) + " branch, " + std::to_string(leaf_pages) + " leaf, " +
         std::to_string(overflow_pages) + " overflow, " + std::to_string(free_pages) + " free pages";
}

Result<IntegrityReport> CheckIntegrity(Tree& tree) {
  IntegrityReport report;
  Checker checker(tree, tree.GetSnapshot());
  RETURN_IF_ERROR(checker.Run(&report));
  return report;
}

}  // namespace ormdb::btree
