#include "operator/policy_merge.h"

#include <algorithm>
#include <tuple>

#include "operator/nic_selection.h"

namespace rdma_operator {
namespace {

// A policy that selects one PF, with the VF ranges it asks for there.
struct Candidate {
  const api::RdmaNodePolicy* policy;
  api::RdmaNodePolicySpec spec;  // with defaults
  std::vector<std::optional<api::VfRange>> ranges;
};

std::string Show(const std::optional<int32_t>& v) { return v ? std::to_string(*v) : "unset"; }
std::string Show(const std::optional<std::string>& v) { return v ? *v : "unset"; }
std::string Show(const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "unset"; }

std::string ShowGuid(const api::RdmaNodePolicySpec& s) {
  std::string out = Show(s.guid->mode);
  if (s.guid->pool) out += " " + s.guid->pool->start + "-" + s.guid->pool->end;
  return out;
}

// The PF-level settings on which policies of equal priority differ, as
// "numVfs 8 vs 4" phrases; empty when they agree.
std::vector<std::string> Differences(const api::RdmaNodePolicySpec& a, const api::RdmaNodePolicySpec& b) {
  std::vector<std::string> d;
  auto add = [&](const char* field, const std::string& x, const std::string& y) {
    if (x != y) d.push_back(std::string(field) + " " + x + " vs " + y);
  };
  add("numVfs", Show(a.num_vfs), Show(b.num_vfs));
  add("linkType", Show(a.link_type), Show(b.link_type));
  add("mtu", Show(a.mtu), Show(b.mtu));
  add("firmware.managed", Show(a.firmware->managed), Show(b.firmware->managed));
  add("firmware.totalVfs", Show(a.firmware->total_vfs), Show(b.firmware->total_vfs));
  add("guid", ShowGuid(a), ShowGuid(b));
  return d;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string RangeText(const api::VfRange& r) { return std::to_string(r.first) + "-" + std::to_string(r.last); }

api::InterfaceSpec InterfaceFrom(const api::InterfaceStatus& pf, const api::RdmaNodePolicySpec& s) {
  api::InterfaceSpec i;
  i.pci_address = pf.pci_address;
  i.name = pf.name;
  i.num_vfs = s.num_vfs;
  i.link_type = s.link_type;
  i.mtu = s.mtu;
  i.firmware.emplace();
  i.firmware->managed = s.firmware->managed;
  // totalVfs defaults to numVfs; with numVfs 0 it stays unset, so removing
  // the VFs leaves the firmware (and its SR-IOV setting) as it is instead of
  // asking for NUM_OF_VFS=0, which the node state's schema refuses.
  if (s.firmware->total_vfs) {
    i.firmware->total_vfs = s.firmware->total_vfs;
  } else if (s.num_vfs.value_or(0) > 0) {
    i.firmware->total_vfs = s.num_vfs;
  }
  return i;
}

struct PlacedGroup {
  api::VfGroup group;
  int32_t priority;
};

}  // namespace

MergeResult MergePolicies(const std::string& node_name, const std::map<std::string, std::string>& node_labels,
                          const std::vector<const api::RdmaNodePolicy*>& policies,
                          const std::vector<api::InterfaceStatus>& reported, const api::RdmaNodeStateSpec* current) {
  MergeResult result;
  std::vector<const api::RdmaNodePolicy*> on_node;
  for (const api::RdmaNodePolicy* p : policies)
    if (SelectsNode(*p, node_labels) && p->spec.nic_selector) on_node.push_back(p);

  std::vector<api::InterfaceStatus> pfs = reported;
  std::sort(pfs.begin(), pfs.end(), [](const auto& a, const auto& b) { return a.pci_address < b.pci_address; });

  // Per-policy winning priority for the node-wide namespace mode.
  std::vector<Candidate> applied_candidates;

  for (const api::InterfaceStatus& pf : pfs) {
    std::vector<Candidate> candidates;
    for (const api::RdmaNodePolicy* p : on_node) {
      auto ranges = SelectedVfRanges(*p->spec.nic_selector, pf);
      if (!ranges.empty()) candidates.push_back({p, api::WithDefaults(p->spec), std::move(ranges)});
    }
    if (candidates.empty()) continue;
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(*a.spec.priority, a.policy->metadata.name) < std::tie(*b.spec.priority, b.policy->metadata.name);
    });
    const Candidate& lead = candidates.front();
    const std::string pf_text = pf.name + " (" + pf.pci_address + ")";

    // Keeps the PF as it is now: what a conflict does.
    auto keep_current = [&](std::vector<std::string> names, const std::string& what) {
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      Conflict c;
      c.policies = names;
      c.pci_address = pf.pci_address;
      c.message = "policies " + Join(names, " and ") + " (priority " + std::to_string(*lead.spec.priority) +
                  ") disagree on PF " + pf_text + " of node " + node_name + ": " + what +
                  "; give one a lower priority number or make them agree";
      result.conflicts.push_back(std::move(c));
      if (current) {
        if (const api::InterfaceSpec* kept = api::FindInterface(*current, pf.pci_address)) {
          result.spec.interfaces.push_back(*kept);
          // Its VFs are still advertised, so their networks' blocks stay.
          for (const api::VfGroup& g : kept->vf_groups) result.resources.insert(g.resource_name);
        }
      }
    };

    // PF-level settings: all policies of the lead priority must agree.
    std::vector<std::string> disagreeing = {lead.policy->metadata.name};
    std::vector<std::string> diffs;
    for (size_t i = 1; i < candidates.size() && *candidates[i].spec.priority == *lead.spec.priority; ++i) {
      auto d = Differences(lead.spec, candidates[i].spec);
      if (d.empty()) continue;
      disagreeing.push_back(candidates[i].policy->metadata.name);
      diffs.push_back(Join(d, ", ") + " (" + lead.policy->metadata.name + " vs " + candidates[i].policy->metadata.name +
                      ")");
    }
    if (disagreeing.size() > 1) {
      keep_current(disagreeing, Join(diffs, "; "));
      continue;
    }

    api::InterfaceSpec iface = InterfaceFrom(pf, lead.spec);
    const int32_t num_vfs = lead.spec.num_vfs.value_or(0);
    std::vector<PlacedGroup> placed;
    std::vector<std::string> group_conflict_policies;
    std::string group_conflict;
    std::set<std::string> contributing;
    for (const Candidate& c : candidates) {
      for (const auto& r : c.ranges) {
        api::VfRange range = r ? *r : api::VfRange{0, num_vfs - 1};
        if (num_vfs == 0) break;  // numVfs 0: no VFs to group
        if (range.last >= num_vfs) {
          result.problems.push_back(
              {c.policy->metadata.name, "VF range " + RangeText(range) + " on PF " + pf_text + " of node " + node_name +
                                            " is beyond numVfs " + std::to_string(num_vfs) + " set by policy " +
                                            lead.policy->metadata.name + "; shrink the range or raise numVfs"});
          continue;
        }
        bool skip = false;
        for (const PlacedGroup& g : placed) {
          if (!range.Overlaps({g.group.first_vf, g.group.last_vf})) continue;
          skip = true;
          if (g.priority == *c.spec.priority && g.group.resource_name != c.spec.resource_name &&
              group_conflict.empty()) {
            group_conflict_policies = {g.group.policy, c.policy->metadata.name};
            group_conflict = "VFs " + RangeText(range) + " are claimed for resources " + g.group.resource_name +
                             " and " + c.spec.resource_name;
          }
        }
        if (skip) continue;
        api::VfGroup group;
        group.resource_name = c.spec.resource_name;
        group.policy = c.policy->metadata.name;
        group.first_vf = range.first;
        group.last_vf = range.last;
        // Copied as written (unset stays unset), so node states of policies
        // that never mention umad keep the spec they have.
        group.umad = c.spec.umad;
        placed.push_back({group, *c.spec.priority});
        contributing.insert(c.policy->metadata.name);
      }
    }
    if (!group_conflict.empty()) {
      keep_current(group_conflict_policies, group_conflict);
      continue;
    }
    for (const PlacedGroup& g : placed) {
      iface.vf_groups.push_back(g.group);
      result.resources.insert(g.group.resource_name);
    }
    std::sort(iface.vf_groups.begin(), iface.vf_groups.end(),
              [](const api::VfGroup& a, const api::VfGroup& b) { return a.first_vf < b.first_vf; });
    // The PF is configured by its lead policy even when numVfs is 0 (which
    // removes VFs), and by every policy with a group on it.
    contributing.insert(lead.policy->metadata.name);
    for (const Candidate& c : candidates)
      if (contributing.count(c.policy->metadata.name)) {
        result.applied_policies.insert(c.policy->metadata.name);
        applied_candidates.push_back(c);
      }
    if (lead.spec.guid->mode == "Pool" && lead.spec.guid->pool && num_vfs > 0)
      result.guid_pools.push_back({pf.pci_address, lead.spec.guid->pool->start, lead.spec.guid->pool->end, num_vfs});
    result.spec.interfaces.push_back(std::move(iface));
  }

  // Node-wide: rdmaNamespaceMode from the applied policies' lowest priority.
  if (!applied_candidates.empty()) {
    std::sort(applied_candidates.begin(), applied_candidates.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(*a.spec.priority, a.policy->metadata.name) < std::tie(*b.spec.priority, b.policy->metadata.name);
    });
    const Candidate& lead = applied_candidates.front();
    std::vector<std::string> names = {lead.policy->metadata.name};
    std::string other_mode;
    for (const Candidate& c : applied_candidates) {
      if (*c.spec.priority != *lead.spec.priority) break;
      if (*c.spec.rdma_namespace_mode != *lead.spec.rdma_namespace_mode) {
        if (std::find(names.begin(), names.end(), c.policy->metadata.name) == names.end())
          names.push_back(c.policy->metadata.name);
        other_mode = *c.spec.rdma_namespace_mode;
      }
    }
    if (names.size() > 1) {
      std::sort(names.begin(), names.end());
      result.conflicts.push_back({names, "",
                                  "policies " + Join(names, " and ") + " (priority " +
                                      std::to_string(*lead.spec.priority) + ") disagree on rdmaNamespaceMode of node " +
                                      node_name + ": " + *lead.spec.rdma_namespace_mode + " vs " + other_mode +
                                      "; the mode is node-wide, so make them agree"});
      if (current) result.spec.rdma_namespace_mode = current->rdma_namespace_mode;
    } else {
      result.spec.rdma_namespace_mode = lead.spec.rdma_namespace_mode;
    }
  }
  return result;
}

}  // namespace rdma_operator
