// The --metrics port: a minimal HTTP/1.0 endpoint that answers GET /metrics
// with the Prometheus text of net/metrics.h. One thread, one connection at
// a time, short timeouts: a scraper is the only expected client, and a
// misbehaving one cannot hold it for more than a second.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "util/status.h"

namespace ormdb::net {

class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(std::function<std::string()> render) : render_(std::move(render)) {}
  ~MetricsEndpoint();
  Status Start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  void Stop();

 private:
  void Loop();
  void Serve(int fd);

  std::function<std::string()> render_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ormdb::net
