// sim-kubelet's device manager and pod side against a tiny device plugin
// served over real unix-socket gRPC (TestPlugin below), and kube's in-memory
// API server.
#include "e2e/sim/kubelet/device_manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/deviceplugin/proto/api.grpc.pb.h"
#include "e2e/sim/kubelet/kubelet.h"
#include "e2e/sim/kubelet/pod_resources_server.h"
#include "e2e/sim/kubelet/test_device_plugin.h"
#include "e2e/sim/kubelet/proto/api.grpc.pb.h"
#include "kube/memory_api_server.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace simkubelet {
namespace {

using testing_plugin::TestPlugin;

class DeviceManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sim-kubelet-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    plugin_dir_ = dir_ + "/device-plugins";
    fs::create_directories(plugin_dir_);
    plugin_.devices = {{"dev-a", kHealthy}, {"dev-b", kHealthy}};
    api_ = std::make_shared<kube::MemoryApiServer>();
    client_ = std::make_shared<kube::Client>(api_);
  }
  void TearDown() override {
    dm_.reset();
    StopPlugin();
    fs::remove_all(dir_);
  }
  void StartManager(std::chrono::milliseconds grace = std::chrono::minutes(5)) {
    DeviceManager::Options o;
    o.plugin_dir = plugin_dir_;
    o.grace = grace;
    o.dial_timeout = std::chrono::milliseconds(300);
    dm_ = std::make_unique<DeviceManager>(o);
    dm_->SetOnChange([this] {
      std::lock_guard lock(mu_);
      ++changes_;
      cv_.notify_all();
    });
    ASSERT_EQ(dm_->Start(), "");
  }
  void ServePlugin(const std::string& name = "example.sock") {
    grpc::ServerBuilder b;
    b.AddListeningPort("unix:" + plugin_dir_ + "/" + name, grpc::InsecureServerCredentials());
    b.RegisterService(&plugin_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void StopPlugin() {
    plugin_.EndStreams();
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
  grpc::Status Register(const std::string& version = "v1beta1", const std::string& resource = "example.com/dev",
                        const std::string& endpoint = "example.sock") {
    auto ch = grpc::CreateChannel("unix:" + plugin_dir_ + "/kubelet.sock", grpc::InsecureChannelCredentials());
    auto stub = v1beta1::Registration::NewStub(ch);
    v1beta1::RegisterRequest req;
    req.set_version(version);
    req.set_endpoint(endpoint);
    req.set_resource_name(resource);
    req.mutable_options()->set_get_preferred_allocation_available(true);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1beta1::Empty e;
    return stub->Register(&ctx, req, &e);
  }
  // Waits (on the manager's change notifications) until pred holds.
  bool WaitFor(const std::function<bool()>& pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] {
      lock.unlock();
      bool ok = pred();
      lock.lock();
      return ok;
    });
  }
  ResourceCount Count(const std::string& r = "example.com/dev") {
    auto c = dm_->Capacity();
    return c.count(r) ? c[r] : ResourceCount{-1, -1};
  }
  json Pod(const std::string& name, int64_t n, const std::string& resource = "example.com/dev") {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec",
                 {{"nodeName", "node1"},
                  {"containers",
                   {{{"name", "c"}, {"image", "busybox"},
                     {"resources", {{"limits", {{resource, std::to_string(n)}}}}}}}}}}};
    auto created = client_->Create(kube::resources::Pods(), pod);
    EXPECT_TRUE(created.ok());
    return *created;
  }
  json GetPod(const std::string& name) {
    auto p = client_->Get(kube::resources::Pods(), "default", name);
    return p.ok() ? *p : json();
  }
  std::unique_ptr<Kubelet> MakeKubelet(const std::string& cdi_dir = "") {
    KubeletOptions o;
    o.node_name = "node1";
    o.root = dir_;
    o.create_netns = false;
    o.cdi_dir = cdi_dir;
    return std::make_unique<Kubelet>(client_, dm_.get(), o);
  }

  std::string dir_, plugin_dir_;
  TestPlugin plugin_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<DeviceManager> dm_;
  std::shared_ptr<kube::MemoryApiServer> api_;
  std::shared_ptr<kube::Client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  int changes_ = 0;
};

TEST_F(DeviceManagerTest, RegistrationRejectsWhatKubeletRejects) {
  StartManager();
  ServePlugin();
  auto s = Register("v1alpha1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(s.error_message(),
            "requested API version \"v1alpha1\" is not supported by kubelet. Supported version is [\"v1beta1\"]");
  s = Register("v1beta1", "probe-nodomain");
  EXPECT_EQ(s.error_message(), "the ResourceName \"probe-nodomain\" is invalid");
  s = Register("v1beta1", "example.com/dev", "nobody-listens.sock");
  EXPECT_EQ(s.error_message(), "failed to dial device plugin: context deadline exceeded");
  EXPECT_FALSE(dm_->Manages("example.com/dev"));
}

TEST_F(DeviceManagerTest, MissingPluginDirIsAClearError) {
  DeviceManager::Options o;
  o.plugin_dir = dir_ + "/nope";
  DeviceManager dm(o);
  EXPECT_EQ(dm.Start(), "device-plugins dir " + dir_ + "/nope does not exist (create it, or pass another dir)");
}

TEST_F(DeviceManagerTest, ListAndWatchDrivesCapacityAndTheNodeStatus) {
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  plugin_.Set({{"dev-a", kHealthy}, {"dev-b", kUnhealthy}, {"dev-c", kHealthy}});
  ASSERT_TRUE(WaitFor([&] { return Count().capacity == 3; }));
  EXPECT_EQ(Count().allocatable, 2);

  auto kubelet = MakeKubelet();
  ASSERT_TRUE(kubelet->SyncNode().ok());
  auto node = client_->Get(kube::resources::Nodes(), "", "node1");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ((*node)["status"]["capacity"]["example.com/dev"], "3");
  EXPECT_EQ((*node)["status"]["allocatable"]["example.com/dev"], "2");
}

TEST_F(DeviceManagerTest, StreamEndMarksUnhealthyThenDropsTheResource) {
  StartManager(std::chrono::milliseconds(300));
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  StopPlugin();
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 0; }));
  EXPECT_EQ(Count().capacity, 2) << "devices stay counted, Unhealthy, during the grace period";
  EXPECT_TRUE(dm_->Manages("example.com/dev"));
  ASSERT_TRUE(WaitFor([&] { return !dm_->Manages("example.com/dev"); }));
  EXPECT_EQ(Count().capacity, 0);
}

TEST_F(DeviceManagerTest, AdmissionAllocatesPreferredDevicesAndRunsThePod) {
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  auto kubelet = MakeKubelet();
  kubelet->HandlePod(Pod("p1", 1));
  json pod = GetPod("p1");
  EXPECT_EQ(pod["status"]["phase"], "Running") << pod.dump();
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["state"].contains("running"), true);
  {
    std::lock_guard lock(plugin_.mu);
    EXPECT_EQ(plugin_.preferred_calls, 1);
    ASSERT_EQ(plugin_.allocate_calls.size(), 1u);
    EXPECT_EQ(plugin_.allocate_calls[0], std::vector<std::string>{"dev-b"}) << "the plugin preferred dev-b";
  }
  // What the "container" got: env and the device with its major:minor.
  std::ifstream f(dir_ + "/pods/" + kube::UidOf(pod) + "/c.json");
  json rec = json::parse(f);
  EXPECT_EQ(rec["env"]["PCIDEVICE_EXAMPLE_COM_DEV"], "dev-b");
  EXPECT_EQ(rec["devices"][0]["containerPath"], "/dev/infiniband/uverbs-dev-b");
  EXPECT_EQ(rec["devices"][0]["type"], "c");
  EXPECT_EQ(rec["devices"][0]["major"], 1);
  EXPECT_EQ(rec["devices"][0]["minor"], 3);

  // Kubelet's checkpoint shape.
  std::ifstream cf(plugin_dir_ + "/kubelet_internal_checkpoint");
  json cp = json::parse(cf);
  ASSERT_EQ(cp["Data"]["PodDeviceEntries"].size(), 1u);
  auto e = cp["Data"]["PodDeviceEntries"][0];
  EXPECT_EQ(e["PodUID"], kube::UidOf(pod));
  EXPECT_EQ(e["ContainerName"], "c");
  EXPECT_EQ(e["ResourceName"], "example.com/dev");
  EXPECT_EQ(e["DeviceIDs"]["0"], json::array({"dev-b"}));
  EXPECT_FALSE(e["AllocResp"].get<std::string>().empty());
  EXPECT_EQ(cp["Data"]["RegisteredDevices"]["example.com/dev"], json::array({"dev-a", "dev-b"}));
  EXPECT_TRUE(cp["Checksum"].is_number());

  // PodResources over its socket.
  PodResourcesServer prs(dm_.get());
  ASSERT_EQ(prs.Start(dir_ + "/pod-resources/kubelet.sock"), "");
  auto stub = v1::PodResourcesLister::NewStub(
      grpc::CreateChannel("unix:" + dir_ + "/pod-resources/kubelet.sock", grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::ListPodResourcesResponse list;
  ASSERT_TRUE(stub->List(&ctx, v1::ListPodResourcesRequest(), &list).ok());
  ASSERT_EQ(list.pod_resources_size(), 1);
  EXPECT_EQ(list.pod_resources(0).name(), "p1");
  EXPECT_EQ(list.pod_resources(0).namespace_(), "default");
  ASSERT_EQ(list.pod_resources(0).containers(0).devices_size(), 1);
  EXPECT_EQ(list.pod_resources(0).containers(0).devices(0).resource_name(), "example.com/dev");
  EXPECT_EQ(list.pod_resources(0).containers(0).devices(0).device_ids(0), "dev-b");
  grpc::ClientContext ctx2;
  v1::AllocatableResourcesResponse alloc;
  ASSERT_TRUE(stub->GetAllocatableResources(&ctx2, v1::AllocatableResourcesRequest(), &alloc).ok());
  EXPECT_EQ(alloc.devices_size(), 2);
  grpc::ClientContext ctx3;
  v1::GetPodResourcesRequest get;
  get.set_pod_name("p1");
  get.set_pod_namespace("default");
  v1::GetPodResourcesResponse got;
  ASSERT_TRUE(stub->Get(&ctx3, get, &got).ok());
  EXPECT_EQ(got.pod_resources().containers(0).devices(0).device_ids(0), "dev-b");
}

TEST_F(DeviceManagerTest, TooManyDevicesIsKubeletsUnexpectedAdmissionError) {
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  auto kubelet = MakeKubelet();
  kubelet->HandlePod(Pod("big", 3));
  json pod = GetPod("big");
  EXPECT_EQ(pod["status"]["phase"], "Failed");
  EXPECT_EQ(pod["status"]["reason"], "UnexpectedAdmissionError");
  EXPECT_EQ(pod["status"]["message"],
            "Pod was rejected: Allocate failed due to requested number of devices unavailable for example.com/dev. "
            "Requested: 3, Available: 2, which is unexpected");
  std::lock_guard lock(plugin_.mu);
  EXPECT_TRUE(plugin_.allocate_calls.empty()) << "no Allocate reaches the plugin for a rejected pod";
}

TEST_F(DeviceManagerTest, NoHealthyDevicesIsKubeletsRebootError) {
  plugin_.devices = {{"dev-a", kUnhealthy}};
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().capacity == 1; }));
  auto kubelet = MakeKubelet();
  kubelet->HandlePod(Pod("p", 1));
  EXPECT_EQ(GetPod("p")["status"]["message"],
            "Pod was rejected: Allocate failed due to no healthy devices present; cannot allocate unhealthy devices "
            "example.com/dev, which is unexpected");
}

TEST_F(DeviceManagerTest, AResourceNoPluginServesIsOutOfResource) {
  StartManager();
  auto kubelet = MakeKubelet();
  ASSERT_TRUE(kubelet->SyncNode().ok());
  kubelet->HandlePod(Pod("p", 1, "rdma.dev/roce"));
  json pod = GetPod("p");
  EXPECT_EQ(pod["status"]["phase"], "Failed");
  EXPECT_EQ(pod["status"]["reason"], "OutOfrdma.dev/roce");
  EXPECT_EQ(pod["status"]["message"],
            "Pod was rejected: Node didn't have enough resource: rdma.dev/roce, requested: 1, used: 0, capacity: 0");
}

TEST_F(DeviceManagerTest, AMissingOrNonDeviceHostPathFailsTheContainer) {
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  auto kubelet = MakeKubelet();
  {
    std::lock_guard lock(plugin_.mu);
    plugin_.host_path = "/dev/infiniband/does-not-exist";
  }
  kubelet->HandlePod(Pod("missing", 1));
  json st = GetPod("missing")["status"];
  EXPECT_EQ(st["phase"], "Pending");
  EXPECT_EQ(st["containerStatuses"][0]["state"]["waiting"]["reason"], "CreateContainerError");
  EXPECT_EQ(st["containerStatuses"][0]["state"]["waiting"]["message"],
            "failed to generate spec: lstat /dev/infiniband/does-not-exist: No such file or directory");
  {
    std::lock_guard lock(plugin_.mu);
    plugin_.host_path = plugin_dir_ + "/kubelet_internal_checkpoint";  // a regular file
  }
  kubelet->HandlePod(Pod("regular", 1));
  st = GetPod("regular")["status"];
  EXPECT_EQ(st["containerStatuses"][0]["state"]["waiting"]["message"],
            "failed to generate spec: error gathering device information while adding custom device \"" +
                plugin_dir_ + "/kubelet_internal_checkpoint\": not a device node");
}

TEST_F(DeviceManagerTest, CdiNamesAreDroppedWithoutCdiAndResolvedOrRefusedWithIt) {
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  {
    std::lock_guard lock(plugin_.mu);
    plugin_.cdi_kind = "example.com/dev";
  }
  const std::string cdi = dir_ + "/cdi";
  fs::create_directories(cdi);
  std::ofstream(cdi + "/example.json") << json{
      {"cdiVersion", "0.5.0"},
      {"kind", "example.com/dev"},
      {"devices",
       {{{"name", "dev-a"},
         {"containerEdits",
          {{"deviceNodes", {{{"path", "/dev/infiniband/uverbs7"}, {"hostPath", "/dev/null"}}}}}}}}}}.dump();
  // containerd 1.6: recorded, not resolved; only the DeviceSpec arrives.
  MakeKubelet()->HandlePod(Pod("no-cdi", 1));
  json pod = GetPod("no-cdi");
  ASSERT_EQ(pod["status"]["phase"], "Running") << pod.dump();
  json rec = json::parse(std::ifstream(dir_ + "/pods/" + kube::UidOf(pod) + "/c.json"));
  EXPECT_EQ(rec["cdiDevices"], json::array({"example.com/dev=dev-b"}));
  EXPECT_EQ(rec["devices"].size(), 1u);
  // CDI on: the spec's device node is added, its numbers read from the host
  // path (dev-b is taken, so this pod gets dev-a).
  auto kubelet = MakeKubelet(cdi);
  kubelet->HandlePod(Pod("cdi", 1));
  pod = GetPod("cdi");
  ASSERT_EQ(pod["status"]["phase"], "Running") << pod.dump();
  rec = json::parse(std::ifstream(dir_ + "/pods/" + kube::UidOf(pod) + "/c.json"));
  ASSERT_EQ(rec["devices"].size(), 2u);
  EXPECT_EQ(rec["devices"][0]["containerPath"], "/dev/infiniband/uverbs7");
  EXPECT_EQ(rec["devices"][0]["major"], 1);
  EXPECT_EQ(rec["devices"][0]["minor"], 3);
  // A name no spec defines fails the container as containerd does.
  plugin_.Set({{"dev-a", kHealthy}, {"dev-b", kHealthy}, {"dev-c", kHealthy}});
  ASSERT_TRUE(WaitFor([&] { return Count().capacity == 3; }));
  kubelet->HandlePod(Pod("unknown", 1));
  json st = GetPod("unknown")["status"];
  EXPECT_EQ(st["containerStatuses"][0]["state"]["waiting"]["message"],
            "failed to inject CDI devices: unresolvable CDI devices example.com/dev=dev-c");
}

TEST_F(DeviceManagerTest, DeletionStopsThePodFreesItsDevicesAndDeletesWithGraceZero) {
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  auto kubelet = MakeKubelet();
  kubelet->HandlePod(Pod("p1", 2));
  json pod = GetPod("p1");
  ASSERT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(dm_->Allocations().size(), 1u);
  pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  kubelet->HandlePod(pod);
  EXPECT_TRUE(GetPod("p1").is_null()) << "deleted from the API";
  EXPECT_TRUE(dm_->Allocations().empty());
  EXPECT_FALSE(fs::exists(dir_ + "/pods/" + kube::UidOf(pod)));
  kubelet->HandlePod(Pod("p2", 2));
  EXPECT_EQ(GetPod("p2")["status"]["phase"], "Running") << "the freed devices are allocatable again";
}

TEST_F(DeviceManagerTest, RestartDeletesSocketsKeepsTheCheckpointAndTheAllocations) {
  StartManager();
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  auto kubelet = MakeKubelet();
  kubelet->HandlePod(Pod("p1", 1));
  json pod = GetPod("p1");
  ASSERT_EQ(pod["status"]["phase"], "Running");
  kubelet.reset();
  dm_->Stop();
  dm_.reset();

  StartManager();
  EXPECT_FALSE(fs::exists(plugin_dir_ + "/example.sock")) << "a new kubelet deletes every socket";
  EXPECT_TRUE(fs::exists(plugin_dir_ + "/kubelet_internal_checkpoint"));
  EXPECT_EQ(Count().capacity, -1) << "nothing registered yet";
  ASSERT_EQ(dm_->Allocations().size(), 1u);
  EXPECT_EQ(dm_->Allocations()[0].device_ids, std::vector<std::string>{"dev-b"});

  // The plugin re-registers (new server on the same path); the running pod
  // is adopted, and its device stays taken.
  StopPlugin();
  plugin_.stop_streams = false;
  ServePlugin();
  ASSERT_TRUE(Register().ok());
  ASSERT_TRUE(WaitFor([&] { return Count().allocatable == 2; }));
  kubelet = MakeKubelet();
  kubelet->HandlePod(GetPod("p1"));
  EXPECT_EQ(dm_->Allocations()[0].pod_name, "p1");
  kubelet->HandlePod(Pod("p2", 2));
  EXPECT_EQ(GetPod("p2")["status"]["reason"], "UnexpectedAdmissionError") << "dev-b is still p1's";
  std::lock_guard lock(plugin_.mu);
  EXPECT_EQ(plugin_.allocate_calls.size(), 1u) << "no second Allocate for the adopted pod";
}

TEST_F(DeviceManagerTest, ACorruptCheckpointIsIgnoredNotFatal) {
  std::ofstream(plugin_dir_ + "/kubelet_internal_checkpoint") << "{\"Data\": {\"PodDeviceEntries\": [";
  StartManager();
  EXPECT_TRUE(dm_->Allocations().empty());
  std::ofstream(plugin_dir_ + "/kubelet_internal_checkpoint")
      << R"({"Data":{"PodDeviceEntries":[],"RegisteredDevices":{}},"Checksum":1})";
  dm_.reset();
  StartManager();
  EXPECT_TRUE(dm_->Allocations().empty());
}

}  // namespace
}  // namespace simkubelet
