// Pins api.proto to kubelet's wire format: the gRPC method paths and the
// bytes of a RegisterRequest and an AllocateRequest/Response. The expected
// bytes are built by hand from field numbers (not by the protobuf library), so
// a renumbered or renamed field fails here before it fails against a kubelet.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <string>

#include "agent/deviceplugin/proto/api.grpc.pb.h"
#include "agent/deviceplugin/proto/api.pb.h"

namespace {

// One length-delimited field (wire type 2): tag, varint length, payload.
std::string Field(int number, const std::string& payload) {
  std::string out;
  out.push_back(static_cast<char>((number << 3) | 2));
  for (size_t n = payload.size(); ; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  return out + payload;
}

std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  EXPECT_TRUE(m.SerializeToString(&out));
  return out;
}

TEST(DevicePluginWire, MethodPathsAreKubeletsV1beta1) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* registration = pool->FindServiceByName("v1beta1.Registration");
  ASSERT_NE(registration, nullptr);
  ASSERT_NE(registration->FindMethodByName("Register"), nullptr);
  const auto* plugin = pool->FindServiceByName("v1beta1.DevicePlugin");
  ASSERT_NE(plugin, nullptr);
  for (const char* name : {"GetDevicePluginOptions", "ListAndWatch", "GetPreferredAllocation",
                           "Allocate", "PreStartContainer"}) {
    EXPECT_NE(plugin->FindMethodByName(name), nullptr) << name;
  }
  EXPECT_TRUE(plugin->FindMethodByName("ListAndWatch")->server_streaming());
  EXPECT_EQ(std::string(v1beta1::Registration::service_full_name()), "v1beta1.Registration");
}

TEST(DevicePluginWire, RegisterRequestBytes) {
  v1beta1::RegisterRequest req;
  req.set_version("v1beta1");
  req.set_endpoint("rdma.dev_roce.sock");
  req.set_resource_name("rdma.dev/roce");
  req.mutable_options()->set_get_preferred_allocation_available(true);

  // Literal bytes: 1:"v1beta1" 2:"rdma.dev_roce.sock" 3:"rdma.dev/roce" 4:{2:true}.
  const std::string golden =
      std::string("\x0a\x07v1beta1", 9) + std::string("\x12\x12rdma.dev_roce.sock", 20) +
      std::string("\x1a\x0drdma.dev/roce", 15) + std::string("\x22\x02\x10\x01", 4);
  EXPECT_EQ(Serialize(req), golden);

  v1beta1::RegisterRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(golden));
  EXPECT_EQ(parsed.resource_name(), "rdma.dev/roce");
  EXPECT_FALSE(parsed.options().pre_start_required());
}

TEST(DevicePluginWire, AllocateRequestBytes) {
  v1beta1::AllocateRequest req;
  req.add_container_requests()->add_devices_ids("0000:3b:00.2");
  EXPECT_EQ(Serialize(req), Field(1, Field(1, "0000:3b:00.2")));
}

TEST(DevicePluginWire, AllocateResponseBytes) {
  v1beta1::AllocateResponse resp;
  auto* c = resp.add_container_responses();
  (*c->mutable_envs())["PCIDEVICE_RDMA_DEV_ROCE"] = "0000:3b:00.2";
  auto* m = c->add_mounts();
  m->set_container_path("/c");
  m->set_host_path("/h");
  m->set_read_only(true);
  auto* d = c->add_devices();
  d->set_container_path("/dev/infiniband/uverbs0");
  d->set_host_path("/dev/infiniband/uverbs0");
  d->set_permissions("rw");
  (*c->mutable_annotations())["a"] = "b";
  c->add_cdi_devices()->set_name("rdma.dev/vf=0000-3b-00-2");

  const std::string env = Field(1, Field(1, "PCIDEVICE_RDMA_DEV_ROCE") + Field(2, "0000:3b:00.2"));
  const std::string mount = Field(2, Field(1, "/c") + Field(2, "/h") + std::string("\x18\x01", 2));
  const std::string dev = Field(3, Field(1, "/dev/infiniband/uverbs0") +
                                       Field(2, "/dev/infiniband/uverbs0") + Field(3, "rw"));
  const std::string annotation = Field(4, Field(1, "a") + Field(2, "b"));
  const std::string cdi = Field(5, Field(1, "rdma.dev/vf=0000-3b-00-2"));
  EXPECT_EQ(Serialize(resp), Field(1, env + mount + dev + annotation + cdi));
}

TEST(DevicePluginWire, ListAndWatchDeviceWithTopologyBytes) {
  v1beta1::ListAndWatchResponse resp;
  auto* dev = resp.add_devices();
  dev->set_id("0000:3b:00.2");
  dev->set_health("Healthy");
  dev->mutable_topology()->add_nodes()->set_id(1);
  // NUMANode.ID is an int64 varint: field 1, wire type 0.
  const std::string numa = Field(1, std::string("\x08\x01", 2));
  EXPECT_EQ(Serialize(resp),
            Field(1, Field(1, "0000:3b:00.2") + Field(2, "Healthy") + Field(3, numa)));
}

TEST(DevicePluginWire, PreferredAllocationRequestBytes) {
  v1beta1::PreferredAllocationRequest req;
  auto* c = req.add_container_requests();
  c->add_available_deviceids("a");
  c->add_must_include_deviceids("b");
  c->set_allocation_size(2);
  EXPECT_EQ(Serialize(req),
            Field(1, Field(1, "a") + Field(2, "b") + std::string("\x18\x02", 2)));
}

}  // namespace
