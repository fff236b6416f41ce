// rdma-cni: the CNI plugin a container runtime (through Multus) runs for an
// rdma network. A thin shim: it reads the CNI environment and stdin and lets
// rdma-agent do the work (agent/cni/shim.h, docs/cni.md).
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "agent/cni/shim.h"

int main() {
  // A runtime that stops reading stdout must not kill us mid-answer.
  std::signal(SIGPIPE, SIG_IGN);
  cni::Environment env;
  for (const char* name : {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  cni::ShimOutput out = cni::RunShim(env, input);
  std::cout << out.stdout_text << std::flush;
  return out.exit_code;
}
