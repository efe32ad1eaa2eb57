// Listening sockets, shared by the server and its metrics endpoint.
#pragma once

#include <cstdint>
#include <string>

#include "util/status.h"

namespace ormdb::net {

// A TCP socket bound to host:port (port 0: any free one) and listening;
// errors name the address. `reuse_port` lets several sockets share the port
// (SO_REUSEPORT: the kernel spreads connections over them).
Result<int> ListenTcp(const std::string& host, uint16_t port, int backlog, bool reuse_port);
// The port a bound socket got.
uint16_t BoundPort(int fd);

}  // namespace ormdb::net
