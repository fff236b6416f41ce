// Transport over verbs and rdma_cm: one RC queue pair per connection,
// connected through rdma_cm (port space TCP), moving payload with two-sided
// SEND/RECV or one-sided RDMA WRITE with immediate data (--rdma-op), and
// credit-based flow control (see rdma_wire.h). Completions are polled
// briefly, then waited for on a completion channel, so an idle side does not
// burn a core and the CPU figures stay comparable with TCP's.
#pragma once

#include <memory>

#include "bench/transport.h"
#include "bench/verbs_api.h"

namespace bench {

// Receive slots per connection; also the data messages in flight.
constexpr uint32_t kRdmaDepth = 16;
// Extra receives for credit and end-of-stream messages, which use no credit.
constexpr uint32_t kRdmaControlReceives = 4;

// The verbs api must outlive the transport and everything it creates. Call
// CheckRdmaDevice first for a helpful error when there is no device.
std::unique_ptr<Transport> MakeRdmaTransport(VerbsApi& verbs, const TransportConfig& config);

}  // namespace bench
