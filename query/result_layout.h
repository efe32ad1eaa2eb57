// Constants of the encoded result (docs/result-format.md), shared by the
// encoder (result.cc) and the reader (result_view.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ormdb::query::layout {

constexpr char kResultMagic[4] = {'O', 'R', 'M', 'R'};
constexpr uint16_t kResultFormatVersion = 1;
constexpr uint32_t kEntityBlockKind = 1;
constexpr uint32_t kEdgeBlockKind = 2;
constexpr uint32_t kNoTargets = 0xffffffffu;
constexpr size_t kHeaderBytes = 32;
// A block with no columns (a select of relations only) takes no bytes per
// row, so its row count is bounded here rather than by the input's size.
constexpr uint32_t kMaxRowsPerBlock = uint32_t{1} << 24;

}  // namespace ormdb::query::layout
