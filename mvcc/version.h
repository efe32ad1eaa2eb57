// Commit versions: strictly increasing, one per committed transaction; the
// version token change streams carry.
#pragma once

#include "util/strong_id.h"

namespace ormdb::mvcc {
using CommitVersion = StrongId<struct CommitVersionTag>;
}  // namespace ormdb::mvcc
