// kube::StopOnSignals turns SIGTERM and SIGINT into a std::stop_token, so a
// binary's main can hand one token to the manager and have the kubelet's
// SIGTERM drain controllers and release leadership in order. A second
// signal exits at once.
#pragma once

#include <stop_token>

namespace kube {

// Blocks SIGTERM/SIGINT in the calling thread (call it first in main, before
// any thread starts, so every thread inherits the mask) and returns a token
// that is stopped on the first signal.
std::stop_token StopOnSignals();

}  // namespace kube
