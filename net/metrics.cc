#include "net/metrics.h"

#include <filesystem>

namespace ormdb::net {
namespace {

void Line(std::string* out, const char* name, const std::string& labels, uint64_t v) {
  *out += name;
  if (!labels.empty()) *out += "{" + labels + "}";
  *out += " " + std::to_string(v) + "\n";
}

void Help(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

uint64_t DirectoryBytes(const std::filesystem::path& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

}  // namespace

void Metrics::CountRequest(MessageType type, uint64_t micros) {
  requests_[static_cast<size_t>(type) % kTypes].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kLatencyBucketsUs.size() && micros > kLatencyBucketsUs[b]) ++b;
  latency_[b].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(micros, std::memory_order_relaxed);
}

void Metrics::CountError(ErrorCode code) {
  errors_[static_cast<size_t>(code) % kCodes].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render(engine::Database& db, const std::string& data_dir) const {
  std::string out;
  Help(&out, "ormdb_requests_total", "counter", "Requests answered, by message type.");
  for (uint8_t t = 1; t < kTypes; ++t) {
    if (!IsKnownMessageType(t)) continue;
    Line(&out, "ormdb_requests_total",
         "type=\"" + std::string(MessageTypeName(static_cast<MessageType>(t))) + "\"",
         requests_[t].load(std::memory_order_relaxed));
  }
  Help(&out, "ormdb_errors_total", "counter", "Error frames sent, by error code.");
  for (uint16_t c = 1; c < kCodes; ++c) {
    uint64_t n = errors_[c].load(std::memory_order_relaxed);
    if (n == 0) continue;
    Line(&out, "ormdb_errors_total", "code=\"" + std::string(ErrorCodeName(static_cast<ErrorCode>(c))) + "\"", n);
  }
  Help(&out, "ormdb_request_duration_seconds", "histogram", "Time from a request's arrival to its reply.");
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kLatencyBucketsUs.size(); ++b) {
    cumulative += latency_[b].load(std::memory_order_relaxed);
    std::string le = b < kLatencyBucketsUs.size() ? std::to_string(kLatencyBucketsUs[b] / 1e6) : "+Inf";
    Line(&out, "ormdb_request_duration_seconds_bucket", "le=\"" + le + "\"", cumulative);
  }
  out += "ormdb_request_duration_seconds_sum " +
         std::to_string(latency_sum_us_.load(std::memory_order_relaxed) / 1e6) + "\n";
  Line(&out, "ormdb_request_duration_seconds_count", "", cumulative);
  Help(&out, "ormdb_connections_open", "gauge", "Client connections open now.");
  Line(&out, "ormdb_connections_open", "", static_cast<uint64_t>(std::max<int64_t>(0, open_connections())));
  Help(&out, "ormdb_connections_total", "counter", "Client connections accepted.");
  Line(&out, "ormdb_connections_total", "", connections_total_.load(std::memory_order_relaxed));
  Help(&out, "ormdb_connections_refused_total", "counter", "Connections refused at the connection limit.");
  Line(&out, "ormdb_connections_refused_total", "", connections_refused_.load(std::memory_order_relaxed));
  Help(&out, "ormdb_auth_failures_total", "counter", "Failed handshakes (wrong user or password).");
  Line(&out, "ormdb_auth_failures_total", "", auth_failures_.load(std::memory_order_relaxed));
  Help(&out, "ormdb_network_bytes_total", "counter", "Bytes received and sent on client connections.");
  Line(&out, "ormdb_network_bytes_total", "direction=\"in\"", bytes_in_.load(std::memory_order_relaxed));
  Line(&out, "ormdb_network_bytes_total", "direction=\"out\"", bytes_out_.load(std::memory_order_relaxed));

  const mvcc::StoreStats s = db.store().stats();
  const btree::PagerStats p = db.store().tree().pager().stats();
  Help(&out, "ormdb_commits_total", "counter", "Transactions committed.");
  Line(&out, "ormdb_commits_total", "", s.commits);
  Help(&out, "ormdb_commits_deferred_total", "counter",
       "Mutates whose reply the event loop held until their commit's flush, with no thread waiting for it.");
  Line(&out, "ormdb_commits_deferred_total", "", commits_deferred_.load(std::memory_order_relaxed));
  Help(&out, "ormdb_conflicts_total", "counter", "Commits refused for a write-write conflict.");
  Line(&out, "ormdb_conflicts_total", "", s.conflicts);
  Help(&out, "ormdb_checkpoints_total", "counter", "Checkpoints written.");
  Line(&out, "ormdb_checkpoints_total", "", s.checkpoints);
  Help(&out, "ormdb_wal_syncs_total", "counter", "WAL flushes (each one durable write per file; group commit shares them).");
  Line(&out, "ormdb_wal_syncs_total", "", s.log.syncs);
  Help(&out, "ormdb_wal_written_bytes_total", "counter", "Bytes appended to the WAL since the server started.");
  Line(&out, "ormdb_wal_written_bytes_total", "", s.log.bytes);
  Help(&out, "ormdb_wal_size_bytes", "gauge", "Bytes of WAL segments on disk.");
  Line(&out, "ormdb_wal_size_bytes", "", DirectoryBytes(std::filesystem::path(data_dir) / "wal"));
  Help(&out, "ormdb_page_cache_hits_total", "counter", "Page reads served by the buffer cache.");
  Line(&out, "ormdb_page_cache_hits_total", "", p.cache_hits);
  Help(&out, "ormdb_page_cache_misses_total", "counter",
       "Pages read from the data file one at a time (a lookup that missed the cache).");
  Line(&out, "ormdb_page_cache_misses_total", "", p.cache_misses);
  Help(&out, "ormdb_pages_read_ahead_total", "counter",
       "Pages read from the data file in read-ahead batches: the page a scan needed and the ones after it.");
  Line(&out, "ormdb_pages_read_ahead_total", "", p.pages_read_ahead);
  const engine::ChangeLogStats cs = db.changes().stats();
  Help(&out, "ormdb_subscriptions_open", "gauge", "Change stream subscriptions open now.");
  Line(&out, "ormdb_subscriptions_open", "",
       static_cast<uint64_t>(std::max<int64_t>(0, subscriptions_open_.load(std::memory_order_relaxed))));
  Help(&out, "ormdb_changes_sent_total", "counter", "Change events sent to subscribers.");
  Line(&out, "ormdb_changes_sent_total", "", changes_sent_.load(std::memory_order_relaxed));
  Help(&out, "ormdb_change_history_bytes", "gauge", "Bytes of stored change history (pruned to the retention).");
  Line(&out, "ormdb_change_history_bytes", "", cs.retained_bytes);
  Help(&out, "ormdb_change_buffer_bytes", "gauge", "Bytes of recent changes held in memory for live subscribers.");
  Line(&out, "ormdb_change_buffer_bytes", "", cs.buffered_bytes);
  Help(&out, "ormdb_change_horizon", "gauge", "The oldest token the change history serves.");
  Line(&out, "ormdb_change_horizon", "", cs.horizon);
  Help(&out, "ormdb_commit_version", "gauge", "The newest commit version.");
  Line(&out, "ormdb_commit_version", "", db.store().last_committed().value());
  return out;
}

}  // namespace ormdb::net
