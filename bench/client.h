// The client side of rdma-bench: connects the control channel, walks the
// requested tests and sweeps, runs its half of each measurement while the
// server runs the other, and assembles both sides' figures into a Report.
#pragma once

#include <functional>
#include <string>

#include "bench/options.h"
#include "bench/report.h"
#include "bench/transport_factory.h"

namespace bench {

// progress, when set, gets one line per finished measurement.
Result<Report> RunClient(const Options& options, TransportFactory& factory,
                         const std::function<void(const std::string&)>& progress = nullptr);

}  // namespace bench
