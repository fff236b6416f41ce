// rdma-cni's behaviour as a function: env + stdin in, stdout text and exit
// code out. VERSION is answered here; every other command goes to rdma-agent
// (agent_client.h) and its reply is printed as the CNI spec wants: ADD's
// result on stdout with exit 0, other commands' success as no output with
// exit 0, any error as the spec's error JSON with exit 1.
#pragma once

#include <string>
#include <string_view>

#include "agent/cni/protocol.h"

namespace cni {

struct ShimOutput {
  std::string stdout_text;
  int exit_code = 0;
};

ShimOutput RunShim(const Environment& env, std::string_view stdin_text);

}  // namespace cni
