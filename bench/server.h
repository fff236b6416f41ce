// The server side of rdma-bench: accepts a control connection, answers the
// client's hello (or says why it cannot serve the asked-for transport), and
// for each measurement the client asks for, listens on the data port, runs
// its half, and reports its figures. Sessions are served one at a time.
#pragma once

#include <memory>

#include "bench/options.h"
#include "bench/status.h"
#include "bench/transport.h"
#include "bench/transport_factory.h"

namespace bench {

class BenchServer {
 public:
  BenchServer(const Options& options, TransportFactory& factory);

  // Binds the control port (options.port on options.host).
  Status Start();
  // Waits for one client and serves its session. Returns the error that
  // ended the session early, if any.
  Status ServeOne();
  // Start, then serve sessions forever (or once with options.once). A failed
  // session is logged to stderr and does not stop the server unless once.
  Status Run();

 private:
  Status Serve(std::unique_ptr<Connection> control);

  Options options_;
  TransportFactory& factory_;
  std::unique_ptr<Transport> control_transport_;
  std::unique_ptr<Listener> control_listener_;
};

}  // namespace bench
