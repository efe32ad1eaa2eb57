#include "net/metrics_endpoint.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/socket.h"

namespace ormdb::net {

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

Status MetricsEndpoint::Start(const std::string& host, uint16_t port) {
  ASSIGN_OR_RETURN(listen_fd_, ListenTcp(host, port, /*backlog=*/16, /*reuse_port=*/false));
  port_ = BoundPort(listen_fd_);
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

void MetricsEndpoint::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void MetricsEndpoint::Loop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;  // wakes to look at stop_
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    Serve(fd);
    ::close(fd);
  }
}

void MetricsEndpoint::Serve(int fd) {
  // Reads up to the end of the request head (or 8 KiB, or a timeout).
  std::string head;
  char buf[1024];
  while (head.size() < 8192 && head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  std::string status = "200 OK", body;
  if (head.starts_with("GET /metrics ") || head.starts_with("GET / ")) {
    body = render_();
  } else if (head.starts_with("GET ")) {
    status = "404 Not Found";
    body = "ormDB serves its metrics at /metrics\n";
  } else {
    status = "405 Method Not Allowed";
    body = "only GET\n";
  }
  std::string reply = "HTTP/1.0 " + status +
                      "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  std::string_view rest = reply;
  while (!rest.empty()) {
    ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace ormdb::net
