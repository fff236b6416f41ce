// Transport over stream sockets: kernel TCP (TCP_NODELAY, like sockperf and
// netperf's request/response tests) or rsockets, depending on the SocketApi.
#pragma once

#include <memory>

#include "bench/socket_api.h"
#include "bench/transport.h"

namespace bench {

// The api must outlive the transport and everything it creates.
std::unique_ptr<Transport> MakeSocketTransport(SocketApi& api, const TransportConfig& config);

}  // namespace bench
