// mstconfig's output as the agent reads it (agent/host/mstconfig_output.h):
// whatever the tool prints, the parsers return a config or an Error, never
// throw or crash, and a parsed config names only parameters that were there.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/host/mstconfig_output.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto config = host::ParseMstconfigQuery(text);
  if (config.ok()) {
    for (const auto& param : config->params) {
      if (text.find(param.name) == std::string::npos) __builtin_trap();  // invented a parameter
    }
  }
  (void)host::MstconfigDiagnostics(text);
  host::ProcessOutput out{size % 3 == 0 ? 0 : 1, text, text};
  (void)host::CheckMstconfigSet(out);
  return 0;
}
