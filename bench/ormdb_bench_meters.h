// What a cell cost besides time (BENCH.md, "Metrics"): CPU of the server and
// of the client, and the fdatasyncs the system issued. Each is a counter
// read before and after the cell; the cell divides the difference by the
// operations it completed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "util/status.h"

namespace ormdb::bench::whole {

// CPU time (user + system) of a process from /proc/PID/stat; with
// `children`, also that of its children it has waited for. 0 when the
// process is gone.
uint64_t ProcessCpuNs(pid_t pid, bool children = false);
// A process and every live descendant (PostgreSQL's postmaster and its
// backends), plus the children the postmaster has reaped.
uint64_t ProcessTreeCpuNs(pid_t root);
// This process, every thread.
uint64_t SelfCpuNs();

// SQLite's fdatasyncs: a VFS over the default one that counts xSync calls.
// Register() installs it once (not as the default) and returns its name for
// sqlite3_open_v2.
const char* CountingSqliteVfs();
uint64_t SqliteSyncs();

// One counter of a Prometheus text endpoint on 127.0.0.1:port (ormDB's
// `serve --metrics`), e.g. "ormdb_wal_syncs_total".
Result<uint64_t> ScrapeCounter(uint16_t port, std::string_view name);

}  // namespace ormdb::bench::whole
