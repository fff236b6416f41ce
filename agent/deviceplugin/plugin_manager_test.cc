// The device plugins over real unix-socket gRPC, with sim-kubelet's device
// manager (e2e/sim/kubelet) as kubelet: registration, the device list,
// Allocate and its errors, a kubelet restart, a kubelet that never answers,
// a missing dir, and a resource leaving the spec.
#include "agent/deviceplugin/plugin_manager.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/deviceplugin/test_node.h"
#include "agent/deviceplugin/reprobe_binder.h"
#include "agent/host/fake_driver_binder.h"
#include "e2e/sim/kubelet/device_manager.h"

namespace fs = std::filesystem;

namespace deviceplugin {
namespace {

using testing_node::FourVfs;
using testing_node::Node;

// Waits (up to 10 s) for `done`, re-checking whenever the kubelet reports a
// change and at most every 20 ms for state outside it.
template <class F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class PluginManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deviceplugin-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    plugin_dir_ = dir_ + "/device-plugins";
    cdi_dir_ = dir_ + "/cdi";
    fs::create_directories(plugin_dir_);
    fs::create_directories(cdi_dir_);
  }
  void TearDown() override {
    manager_.reset();
    kubelet_.reset();
    fs::remove_all(dir_);
  }
  void StartKubelet() {
    simkubelet::DeviceManager::Options o;
    o.plugin_dir = plugin_dir_;
    o.dial_timeout = std::chrono::milliseconds(2000);
    kubelet_ = std::make_unique<simkubelet::DeviceManager>(o);
    ASSERT_EQ(kubelet_->Start(), "");
  }
  void StartManager(std::string plugin_dir = "") {
    ManagerOptions o;
    o.plugin.plugin_dir = plugin_dir.empty() ? plugin_dir_ : plugin_dir;
    o.plugin.use_cdi = true;
    o.plugin.metrics = &metrics_;
    o.plugin.register_timeout = std::chrono::milliseconds(1500);
    o.plugin.backoff_min = std::chrono::milliseconds(50);
    o.plugin.backoff_max = std::chrono::milliseconds(400);
    o.cdi_dir = cdi_dir_;
    manager_ = std::make_unique<DevicePluginManager>(o);
    manager_->Start();
  }
  void Update() { manager_->Update(node_.spec, node_.status, node_.extras); }
  // Healthy device IDs kubelet has for a resource.
  std::set<std::string> KubeletHealthy(const std::string& resource) {
    std::set<std::string> out;
    auto all = kubelet_->Devices();
    auto it = all.find("rdma.dev/" + resource);
    if (it == all.end()) return out;
    for (const auto& [id, d] : it->second) {
      if (d.health == simkubelet::kHealthy) out.insert(id);
    }
    return out;
  }
  simkubelet::AdmitResult Admit(const std::string& uid, int64_t n, const std::string& resource = "roce") {
    return kubelet_->Admit(uid, "pod-" + uid, "default", {{"c", {{"rdma.dev/" + resource, n}}}});
  }
  double Counter(const std::string& text) {
    const std::string all = metrics_.Render();
    auto at = all.find(text + " ");
    return at == std::string::npos ? -1 : std::stod(all.substr(at + text.size() + 1));
  }

  std::string dir_, plugin_dir_, cdi_dir_;
  Node node_ = FourVfs();
  kube::MetricsRegistry metrics_;
  std::unique_ptr<simkubelet::DeviceManager> kubelet_;
  std::unique_ptr<DevicePluginManager> manager_;
};

TEST_F(PluginManagerTest, EachResourceRegistersAndKubeletSeesItsDevices) {
  StartKubelet();
  StartManager();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2 && KubeletHealthy("other").size() == 2; }));
  EXPECT_EQ(KubeletHealthy("roce"), (std::set<std::string>{"0000:3b:00.2", "0000:3b:00.3"}));
  EXPECT_TRUE(fs::exists(plugin_dir_ + "/rdma.dev_roce.sock"));
  EXPECT_EQ(Counter(R"(rdma_agent_device_plugin_devices{health="Healthy",resource="rdma.dev/roce"})"), 2);
  EXPECT_GE(Counter(R"(rdma_agent_device_plugin_registrations_total{resource="rdma.dev/roce",result="success"})"), 1);
}

TEST_F(PluginManagerTest, HealthChangesReachKubeletWithoutATimer) {
  StartKubelet();
  StartManager();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
  testing_node::Vf(node_, 0).node_guid = "00:00:00:00:00:00:00:00";
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce") == std::set<std::string>{"0000:3b:00.3"}; }));
  testing_node::Vf(node_, 0).node_guid = "02:00:00:00:00:00:00:01";
  Update();
  EXPECT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
}

TEST_F(PluginManagerTest, AVfBeingReprobedIsUnhealthyUntilTheNextUpdate) {
  StartKubelet();
  StartManager();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
  host::FakeDriverBinder fake;
  fake.SetDriver("0000:3b:00.2", "mlx5_core");
  ReprobeAwareBinder binder(fake, *manager_);
  ASSERT_TRUE(binder.Unbind("0000:3b:00.2").ok());
  EXPECT_EQ(fake.log(), std::vector<std::string>{"unbind 0000:3b:00.2"});
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce") == std::set<std::string>{"0000:3b:00.3"}; }));
  EXPECT_EQ(manager_->Current()["roce"].Find("0000:3b:00.2")->why_unhealthy,
            "the agent is re-probing it (unbind and bind for new GUIDs)");
  Update();  // the pass after the rebind shows it with its GUIDs
  EXPECT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
}

TEST_F(PluginManagerTest, AllocateGivesTheDevicesAndTheEnvToTheContainer) {
  StartKubelet();
  StartManager();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
  auto r = Admit("u1", 1);
  ASSERT_TRUE(r.admitted) << r.message;
  auto allocs = kubelet_->AllocationsOf("u1");
  ASSERT_EQ(allocs.size(), 1u);
  v1beta1::ContainerAllocateResponse resp;
  ASSERT_TRUE(resp.ParseFromString(allocs[0].response));
  ASSERT_EQ(allocs[0].device_ids.size(), 1u);
  const std::string id = allocs[0].device_ids[0];
  EXPECT_EQ(resp.envs().at("PCIDEVICE_RDMA_DEV_ROCE"), id);
  ASSERT_EQ(resp.devices_size(), 2);
  EXPECT_EQ(resp.devices(1).host_path(), "/dev/infiniband/" + manager_->Current()["roce"].Find(id)->uverbs);
  EXPECT_EQ(Counter(R"(rdma_agent_device_plugin_allocations_total{resource="rdma.dev/roce"})"), 1);
  // More than is free: kubelet's own answer, no Allocate reaches us.
  auto too_many = Admit("u2", 2);
  EXPECT_FALSE(too_many.admitted);
  EXPECT_EQ(Counter(R"(rdma_agent_device_plugin_allocations_total{resource="rdma.dev/roce"})"), 1);
}

TEST_F(PluginManagerTest, ExclusiveModeAllocatesCdiNamesThatTheWrittenSpecDefines) {
  node_.status.rdma_namespace_mode = api::kRdmaNamespaceExclusive;
  StartKubelet();
  StartManager();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
  auto r = Admit("u1", 2);
  ASSERT_TRUE(r.admitted) << r.message;
  v1beta1::ContainerAllocateResponse resp;
  ASSERT_TRUE(resp.ParseFromString(kubelet_->AllocationsOf("u1")[0].response));
  ASSERT_EQ(resp.cdi_devices_size(), 2);
  std::ifstream in(cdi_dir_ + "/rdma.dev-roce.json");
  ASSERT_TRUE(in.good());
  auto spec = nlohmann::json::parse(in);
  std::set<std::string> defined;
  for (const auto& d : spec["devices"]) defined.insert(std::string(spec["kind"]) + "=" + std::string(d["name"]));
  for (const auto& c : resp.cdi_devices()) EXPECT_TRUE(defined.count(c.name())) << c.name();
  EXPECT_FALSE(fs::exists(cdi_dir_ + "/rdma.dev-roce.json.tmp"));
}

// Allocate called directly, as a misbehaving or racing kubelet might.
TEST_F(PluginManagerTest, AllocateNamesTheIdItRefuses) {
  StartManager();
  testing_node::Vf(node_, 1).driver.clear();
  Update();
  ResourcePlugin* p = manager_->Plugin("roce");
  ASSERT_NE(p, nullptr);
  auto call = [&](std::vector<std::string> ids) {
    v1beta1::AllocateRequest req;
    for (auto& id : ids) req.add_container_requests()->add_devices_ids(id);
    v1beta1::AllocateResponse out;
    return p->Allocate(nullptr, &req, &out);
  };
  grpc::Status unknown = call({"0000:3b:00.9"});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.error_message(), "rdma.dev/roce: device 0000:3b:00.9 is not a device of rdma.dev/roce on this node");
  EXPECT_EQ(call({"0000:3b:00.3"}).error_message(), "rdma.dev/roce: device 0000:3b:00.3 is Unhealthy: no driver is bound");
  v1beta1::AllocateRequest dup;
  auto* c = dup.add_container_requests();
  c->add_devices_ids("0000:3b:00.2");
  c->add_devices_ids("0000:3b:00.2");
  v1beta1::AllocateResponse out;
  EXPECT_EQ(p->Allocate(nullptr, &dup, &out).error_message(), "rdma.dev/roce: device 0000:3b:00.2 is requested twice");
  EXPECT_TRUE(call({"0000:3b:00.2"}).ok());
  EXPECT_EQ(Counter(R"(rdma_agent_device_plugin_allocate_errors_total{resource="rdma.dev/roce"})"), 3);
}

TEST_F(PluginManagerTest, AKubeletRestartLeadsToReRegistrationAndKeepsAllocations) {
  StartKubelet();
  StartManager();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
  ASSERT_TRUE(Admit("u1", 1).admitted);
  // A new kubelet: the old one stops, the new one deletes every socket in
  // the dir (ours too), keeps its checkpoint and never dials a plugin itself.
  kubelet_->Stop();
  kubelet_.reset();
  StartKubelet();
  EXPECT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2 && KubeletHealthy("other").size() == 2; }))
      << "the plugins noticed their sockets were deleted and registered again";
  EXPECT_TRUE(kubelet_->HasAllocations("u1"));
  EXPECT_TRUE(fs::exists(plugin_dir_ + "/rdma.dev_roce.sock"));
  EXPECT_GE(Counter(R"(rdma_agent_device_plugin_registrations_total{resource="rdma.dev/roce",result="success"})"), 2);
}

TEST_F(PluginManagerTest, AKubeletThatNeverAnswersIsRetriedWhileOtherResourcesServe) {
  // Something listens on kubelet.sock but never speaks gRPC.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = plugin_dir_ + "/kubelet.sock";
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  StartManager();
  Update();
  EXPECT_TRUE(Eventually([&] {
    return Counter(R"(rdma_agent_device_plugin_registrations_total{resource="rdma.dev/roce",result="failure"})") >= 1;
  }));
  EXPECT_FALSE(manager_->Plugin("roce")->Registered());
  // The plugin itself serves meanwhile: a client gets the device list.
  auto channel = grpc::CreateChannel("unix://" + plugin_dir_ + "/rdma.dev_other.sock", grpc::InsecureChannelCredentials());
  auto stub = v1beta1::DevicePlugin::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1beta1::Empty empty;
  auto reader = stub->ListAndWatch(&ctx, empty);
  v1beta1::ListAndWatchResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.devices_size(), 2);
  ctx.TryCancel();
  ::close(fd);
  // A real kubelet replaces the socket: registration follows at once.
  ::unlink(path.c_str());
  StartKubelet();
  EXPECT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
}

TEST_F(PluginManagerTest, AMissingDirIsReportedAndServedOnceItAppears) {
  const std::string later = dir_ + "/not-yet";
  StartManager(later);
  Update();
  EXPECT_TRUE(Eventually([&] { return manager_->Plugin("roce") != nullptr; }));
  EXPECT_FALSE(manager_->Plugin("roce")->Registered());
  fs::create_directories(later);
  simkubelet::DeviceManager::Options o;
  o.plugin_dir = later;
  kubelet_ = std::make_unique<simkubelet::DeviceManager>(o);
  ASSERT_EQ(kubelet_->Start(), "");
  EXPECT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
}

TEST_F(PluginManagerTest, AResourceThatLeavesTheSpecStopsBeingServed) {
  StartKubelet();
  StartManager();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("other").size() == 2; }));
  node_.spec.interfaces[0].vf_groups.pop_back();  // "other" goes
  Update();
  EXPECT_EQ(manager_->Plugin("other"), nullptr);
  EXPECT_FALSE(fs::exists(plugin_dir_ + "/rdma.dev_other.sock"));
  EXPECT_TRUE(Eventually([&] { return KubeletHealthy("other").empty(); }))
      << "kubelet saw the stream end and marked the devices Unhealthy";
  EXPECT_EQ(KubeletHealthy("roce").size(), 2u);
}

TEST_F(PluginManagerTest, PreferredAllocationIsAdvertisedAndUsed) {
  StartKubelet();
  StartManager();
  // Make VF 0 "away" (a pod's teardown not finished): kubelet should get VF 1.
  testing_node::Vf(node_, 0).name.clear();
  Update();
  ASSERT_TRUE(Eventually([&] { return KubeletHealthy("roce").size() == 2; }));
  ASSERT_TRUE(Admit("u1", 1).admitted);
  EXPECT_EQ(kubelet_->AllocationsOf("u1")[0].device_ids, (std::vector<std::string>{"0000:3b:00.3"}));
}

}  // namespace
}  // namespace deviceplugin
