#include "operator/operator.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kube/labels.h"
#include "operator/cache_trim.h"
#include "operator/nad_render.h"
#include "operator/nic_selection.h"
#include "operator/resources.h"

namespace rdma_operator {
namespace {

constexpr std::chrono::milliseconds kRolloutGather{20};

kube::ManagerOptions ManagerOptionsFrom(const OperatorOptions& o) {
  kube::ManagerOptions m;
  m.leader_election = o.leader_election;
  m.probe_address = o.probe_address;
  return m;
}

kube::EventRecorderOptions RecorderOptions(const OperatorOptions& o) {
  kube::EventRecorderOptions e;
  e.reporting_controller = "rdma.dev/operator";
  e.reporting_instance = o.identity;
  return e;
}

const nlohmann::json& Field(const nlohmann::json& obj, const char* a, const char* b = nullptr) {
  static const nlohmann::json kNull;
  if (!obj.is_object() || !obj.contains(a)) return kNull;
  const nlohmann::json& x = obj[a];
  if (!b) return x;
  if (!x.is_object() || !x.contains(b)) return kNull;
  return x[b];
}

}  // namespace

Operator::Operator(std::shared_ptr<kube::Client> client, OperatorOptions options)
    : options_(std::move(options)),
      manager_(client, ManagerOptionsFrom(options_)),
      events_(client, RecorderOptions(options_)),
      node_state_reconciler_(ctx_),
      policy_status_reconciler_(ctx_),
      network_reconciler_(ctx_),
      rollout_reconciler_(ctx_, options_.rollout) {
  ctx_.client = client;
  ctx_.events = &events_;
  ctx_.metrics = &manager_.metrics();
  // The caches keep only what the operator reads (cache_trim.h).
  // Lists come in pages of 100 (client-go: 500): a page of node states is
  // parsed whole before it is trimmed, so the page size sets the peak.
  // The two caches that grow with the cluster, a Node and a node state per
  // node, are packed (kube/store.h): about a ninth of the memory of JSON
  // trees, for a parse on each read (some ms for a rollup over 1000 nodes).
  // Policies and networks are few and read on every reconcile: trees.
  auto trimmed = [](void (*trim)(nlohmann::json&), bool packed = false) {
    kube::InformerOptions o;
    o.transform = trim;
    o.reflector.page_size = 100;
    o.packed_cache = packed;
    return o;
  };
  ctx_.nodes = &manager_.AddInformer(kube::resources::Nodes(), "", "", trimmed(TrimNode, true));
  ctx_.policies = &manager_.AddInformer(RdmaNodePolicies(), "", "", trimmed(TrimManagedFields));
  ctx_.networks = &manager_.AddInformer(RdmaNetworks(), "", "", trimmed(TrimManagedFields));
  ctx_.node_states = &manager_.AddInformer(RdmaNodeStates(), "", "", trimmed(TrimNodeState, true));
  ctx_.crds = &manager_.AddInformer(kube::resources::CustomResourceDefinitions(), "", "", trimmed(TrimCrd));
  node_state_reconciler_.RegisterMetrics(manager_.metrics());
  rollout_reconciler_.RegisterMetrics(manager_.metrics());

  kube::ControllerOptions nodes;
  nodes.name = "rdmanodestate";
  nodes.workers = options_.node_workers;
  node_state_loop_ = &manager_.AddController(nodes, [this](const std::string& key, std::stop_token stop) {
    return node_state_reconciler_.Reconcile(key, stop);
  });
  kube::ControllerOptions policies;
  policies.name = "rdmanodepolicy-status";
  policy_status_loop_ = &manager_.AddController(policies, [this](const std::string& key, std::stop_token stop) {
    return policy_status_reconciler_.Reconcile(key, stop);
  });
  kube::ControllerOptions networks;
  networks.name = "rdmanetwork";
  network_loop_ = &manager_.AddController(networks, [this](const std::string& key, std::stop_token stop) {
    return network_reconciler_.Reconcile(key, stop);
  });

  kube::ControllerOptions rollout;
  rollout.name = "rollout";
  rollout.workers = 1;  // one key; the budget is decided in one place
  rollout_loop_ = &manager_.AddController(rollout, [this](const std::string& key, std::stop_token stop) {
    return rollout_reconciler_.Reconcile(key, stop);
  });

  ctx_.enqueue_network = [this](const std::string& key) { network_loop_->queue().Add(key); };
  ctx_.enqueue_node = [this](const std::string& node) { node_state_loop_->queue().Add(node); };
  ctx_.enqueue_all_policies = [this] { EnqueueAllPolicies(); };
  AddHandlers();
}

Operator::~Operator() = default;

void Operator::EnqueueAllNodes() {
  for (const auto& k : ctx_.nodes->store().Keys()) node_state_loop_->queue().Add(k);
  // Node states whose Node is gone are cleaned up by the same reconcile.
  for (const auto& k : ctx_.node_states->store().Keys()) node_state_loop_->queue().Add(k);
}

void Operator::EnqueueAllPolicies() {
  for (const auto& k : ctx_.policies->store().Keys()) policy_status_loop_->queue().AddAfter(k, options_.rollup_delay);
}

void Operator::EnqueueAllNetworks() {
  for (const auto& k : ctx_.networks->store().Keys()) network_loop_->queue().Add(k);
}

// A short delay gathers the events of many nodes (a policy rolled out to
// thousands) into one pass, while a node done still starts the next within
// a few tens of milliseconds.
void Operator::EnqueueRollout() { rollout_loop_->queue().AddAfter(kRolloutKey, kRolloutGather); }

void Operator::EnqueueNodesSelectedBy(std::initializer_list<const nlohmann::json*> objs) {
  std::vector<api::RdmaNodePolicy> policies;
  for (const nlohmann::json* obj : objs) {
    api::RdmaNodePolicy& policy = policies.emplace_back();
    if (!api::FromJson(*obj, &policy).empty() || !api::Validate(policy).empty()) {
      // An invalid policy configures nothing: every node it may have
      // configured before must be recomputed.
      EnqueueAllNodes();
      return;
    }
  }
  // Node by node, each parsed once: the cache is packed and List() would
  // parse all at once.
  for (const std::string& key : ctx_.nodes->store().Keys()) {
    kube::ObjectPtr node = ctx_.nodes->store().Get(key);
    if (!node) continue;  // deleted since Keys()
    auto labels = kube::LabelsFromJson(Field(*node, "metadata", "labels"));
    if (std::any_of(policies.begin(), policies.end(), [&](const auto& p) { return SelectsNode(p, labels); }))
      node_state_loop_->queue().Add(kube::NameOf(*node));
  }
}

void Operator::AddHandlers() {
  // Nodes: a label change can change which policies select the node.
  kube::EventHandler nodes;
  nodes.on_add = [this](const nlohmann::json& n) {
    node_state_loop_->queue().Add(kube::NameOf(n));
    EnqueueAllPolicies();
    EnqueueRollout();
  };
  nodes.on_update = [this](const nlohmann::json& old_obj, const nlohmann::json& new_obj) {
    // Cordons and readiness (the cache keeps only the Ready condition's
    // status, cache_trim.h) change the rollout's budget.
    if (Field(old_obj, "spec") != Field(new_obj, "spec") || Field(old_obj, "status") != Field(new_obj, "status"))
      EnqueueRollout();
    if (Field(old_obj, "metadata", "labels") == Field(new_obj, "metadata", "labels") &&
        kube::UidOf(old_obj) == kube::UidOf(new_obj) &&
        Field(old_obj, "metadata", "deletionTimestamp") == Field(new_obj, "metadata", "deletionTimestamp"))
      return;  // status heartbeats: nothing for us
    node_state_loop_->queue().Add(kube::NameOf(new_obj));
    EnqueueAllPolicies();
  };
  nodes.on_delete = nodes.on_add;
  ctx_.nodes->AddEventHandler(nodes);

  // Node states: what the agent reported (status.interfaces) feeds the
  // merge; anything in status can change readiness rollups.
  kube::EventHandler states;
  states.on_add = [this](const nlohmann::json& s) {
    node_state_loop_->queue().Add(kube::NameOf(s));
    EnqueueAllPolicies();
    EnqueueRollout();
  };
  states.on_update = [this](const nlohmann::json& old_obj, const nlohmann::json& new_obj) {
    if (Field(old_obj, "status", "interfaces") != Field(new_obj, "status", "interfaces") ||
        Field(old_obj, "spec") != Field(new_obj, "spec") ||
        Field(old_obj, "metadata", "annotations") != Field(new_obj, "metadata", "annotations"))
      node_state_loop_->queue().Add(kube::NameOf(new_obj));
    // The rollout's record (an annotation) feeds the policies' rollout status.
    const bool annotations = Field(old_obj, "metadata", "annotations") != Field(new_obj, "metadata", "annotations");
    if (Field(old_obj, "status") != Field(new_obj, "status") || Field(old_obj, "spec") != Field(new_obj, "spec") ||
        annotations)
      EnqueueAllPolicies();
    // What the agent waits for, and the rollout's own record.
    if (Field(old_obj, "status") != Field(new_obj, "status") || Field(old_obj, "spec") != Field(new_obj, "spec") ||
        annotations)
      EnqueueRollout();
  };
  states.on_delete = [this](const nlohmann::json& s) {
    node_state_loop_->queue().Add(kube::NameOf(s));
    EnqueueAllPolicies();
    EnqueueRollout();
  };
  ctx_.node_states->AddEventHandler(states);

  // Policies: recompute the nodes the old or new selector picks, and every
  // policy's status (conflicts and overrides involve the others).
  kube::EventHandler policies;
  policies.on_add = [this](const nlohmann::json& p) {
    EnqueueNodesSelectedBy({&p});
    policy_status_loop_->queue().Add(kube::NameOf(p));
    EnqueueAllPolicies();
    EnqueueRollout();
  };
  policies.on_update = [this](const nlohmann::json& old_obj, const nlohmann::json& new_obj) {
    if (kube::GenerationOf(old_obj) == kube::GenerationOf(new_obj) &&
        Field(old_obj, "metadata", "deletionTimestamp") == Field(new_obj, "metadata", "deletionTimestamp"))
      return;  // a status write (ours)
    EnqueueNodesSelectedBy({&old_obj, &new_obj});  // what either selects
    policy_status_loop_->queue().Add(kube::NameOf(new_obj));
    EnqueueAllPolicies();
    EnqueueRollout();
  };
  policies.on_delete = [this](const nlohmann::json& p) {
    EnqueueNodesSelectedBy({&p});
    EnqueueAllPolicies();
    EnqueueRollout();
  };
  ctx_.policies->AddEventHandler(policies);

  // Networks: their own NADs and status, and every node's IP blocks.
  kube::EventHandler networks;
  networks.on_add = [this](const nlohmann::json& n) {
    network_loop_->queue().Add(kube::KeyOf(n));
    EnqueueAllNodes();
  };
  networks.on_update = [this](const nlohmann::json& old_obj, const nlohmann::json& new_obj) {
    if (kube::GenerationOf(old_obj) == kube::GenerationOf(new_obj) &&
        Field(old_obj, "metadata", "deletionTimestamp") == Field(new_obj, "metadata", "deletionTimestamp"))
      return;
    network_loop_->queue().Add(kube::KeyOf(new_obj));
    EnqueueAllNodes();
  };
  networks.on_delete = networks.on_add;
  ctx_.networks->AddEventHandler(networks);

  // CRDs: the NAD CRD appearing (or going) re-renders every network; on
  // startup its add also finds NADs of networks deleted while we were down.
  kube::EventHandler crds;
  auto nad_crd = [this](const nlohmann::json& crd) {
    if (kube::NameOf(crd) != kNadCrdName) return;
    EnqueueAllNetworks();
    network_loop_->queue().Add(kOrphanSweepKey);
  };
  crds.on_add = nad_crd;
  crds.on_update = [nad_crd](const nlohmann::json&, const nlohmann::json& n) { nad_crd(n); };
  crds.on_delete = nad_crd;
  ctx_.crds->AddEventHandler(crds);
}

int Operator::Run(std::stop_token stop) {
  if (!options_.metrics_address.empty() && options_.metrics_address != options_.probe_address) {
    metrics_server_ = std::make_unique<kube::HealthServer>(&manager_.metrics());
    if (auto s = metrics_server_->Start(options_.metrics_address); !s.ok()) {
      spdlog::error("operator: cannot serve metrics address={} error=\"{}\"", options_.metrics_address,
                    s.error().ToString());
      return 1;
    }
  }
  int rc = manager_.Run(stop);
  events_.Flush();
  if (metrics_server_) metrics_server_->Stop();
  return rc;
}

}  // namespace rdma_operator
