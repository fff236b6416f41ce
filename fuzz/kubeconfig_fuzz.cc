// kubeconfig files as kube::ParseKubeconfig reads them (kube/config.h): any
// YAML gives a Config or an InvalidConfig error naming the field, never an
// exception. Relative paths resolve under a directory that does not exist, so
// nothing outside the input is read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kube/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  (void)kube::ParseKubeconfig(yaml, "/nonexistent/kubeconfig-fuzz");
  (void)kube::ParseKubeconfig(yaml, "/nonexistent/kubeconfig-fuzz", "other");
  return 0;
}
