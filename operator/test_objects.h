// Builders for the API objects unit tests feed the pure functions: a policy
// or network from a JSON literal (as a user would write it), and reported
// PFs as an agent would report them. Test-only, header-only.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api/rdma_network.h"
#include "api/rdma_node_policy.h"
#include "api/rdma_node_state.h"

namespace rdma_operator::testing {

inline api::RdmaNodePolicy Policy(const std::string& name, nlohmann::json spec) {
  nlohmann::json j = {{"apiVersion", "rdma.dev/v1alpha1"},
                      {"kind", "RdmaNodePolicy"},
                      {"metadata", {{"name", name}, {"generation", 1}}},
                      {"spec", std::move(spec)}};
  api::RdmaNodePolicy p;
  auto errors = api::FromJson(j, &p);
  EXPECT_TRUE(errors.empty()) << api::Summarize(errors);
  return p;
}

inline api::RdmaNetwork Network(const std::string& ns, const std::string& name, nlohmann::json spec) {
  nlohmann::json j = {{"apiVersion", "rdma.dev/v1alpha1"},
                      {"kind", "RdmaNetwork"},
                      {"metadata", {{"name", name}, {"namespace", ns}, {"uid", "uid-" + name}, {"generation", 1}}},
                      {"spec", std::move(spec)}};
  api::RdmaNetwork n;
  auto errors = api::FromJson(j, &n);
  EXPECT_TRUE(errors.empty()) << api::Summarize(errors);
  return n;
}

inline api::InterfaceStatus Pf(const std::string& pci, const std::string& name, const std::string& vendor = "15b3",
                               const std::string& device = "1017") {
  api::InterfaceStatus pf;
  pf.pci_address = pci;
  pf.name = name;
  pf.vendor = vendor;
  pf.device_id = device;
  pf.total_vfs = 16;
  return pf;
}

}  // namespace rdma_operator::testing
