// Our three kinds and the Multus NAD as the operator and agent read them from
// the API server (api/*.h FromJson + Validate): any JSON, of any shape, gives
// field errors, never an exception or a crash. YAML documents (the examples,
// kubectl-style files) go through the same readers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/network_attachment_definition.h"
#include "api/rdma_network.h"
#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"
#include "api/yaml_documents.h"

namespace {

void ReadAll(const nlohmann::json& j) {
  {
    api::RdmaNodePolicy o;
    if (api::FromJson(j, &o).empty()) (void)api::Validate(o);
  }
  {
    api::RdmaNetwork o;
    if (api::FromJson(j, &o).empty()) (void)api::Validate(o);
  }
  {
    api::RdmaNodeState o;
    if (api::FromJson(j, &o).empty()) (void)api::Validate(o);
  }
  {
    api::NetworkAttachmentDefinition o;
    if (api::FromJson(j, &o).empty()) (void)api::Validate(o);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) ReadAll(j);
  std::string error;
  for (const auto& doc : api::ParseYamlDocuments(text, &error)) ReadAll(doc);
  return 0;
}
