#include "agent/attach/attachments.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace attach {
namespace {

class AttachmentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "attachments-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static Attachment Record(const std::string& cid, const std::string& pci) {
    Attachment a;
    a.container_id = cid;
    a.ifname = "net1";
    a.pci = pci;
    a.network = "default/roce-net";
    a.phase = kPhaseAdding;
    return a;
  }
  static std::vector<api::IpRange> Block(const char* start, const char* end) {
    return {api::IpRange{*api::IpAddress::Parse(start), *api::IpAddress::Parse(end)}};
  }

  std::string dir_;
};

TEST_F(AttachmentStoreTest, HandsOutLowestFreeAddressSkippingGatewayUntilExhausted) {
  AttachmentStore store(dir_);
  auto blocks = Block("192.168.100.1", "192.168.100.3");
  auto gw = api::IpAddress::Parse("192.168.100.1");
  Attachment a = Record("a", "0000:41:00.2"), b = Record("b", "0000:41:00.3"), c = Record("c", "0000:41:00.4");
  ASSERT_TRUE(store.Reserve(a, blocks, gw).ok());
  ASSERT_TRUE(store.Reserve(b, blocks, gw).ok());
  EXPECT_EQ(a.address, "192.168.100.2");
  EXPECT_EQ(b.address, "192.168.100.3");
  host::Status full = store.Reserve(c, blocks, gw);
  EXPECT_EQ(full.sys_errno(), ENOSPC);
  EXPECT_NE(full.message().find("every address of this node's block of default/roce-net is held"), std::string::npos);
  // A release frees exactly that address.
  ASSERT_TRUE(store.Erase(a.Key()).ok());
  ASSERT_TRUE(store.Reserve(c, blocks, gw).ok());
  EXPECT_EQ(c.address, "192.168.100.2");
  // Another network's addresses are its own.
  Attachment other = Record("d", "0000:41:00.5");
  other.network = "ml/other";
  ASSERT_TRUE(store.Reserve(other, blocks, gw).ok());
  EXPECT_EQ(other.address, "192.168.100.2");
}

TEST_F(AttachmentStoreTest, RecordsSurviveARestartAndBadFilesAreNamed) {
  {
    AttachmentStore store(dir_);
    Attachment a = Record("a", "0000:41:00.2");
    ASSERT_TRUE(store.Reserve(a, Block("10.0.0.5", "10.0.0.9"), std::nullopt).ok());
    a.phase = kPhaseAttached;
    a.vf_before = {{"trust", false}};
    ASSERT_TRUE(store.Put(a).ok());
  }
  std::ofstream(dir_ + "/junk_net1.json") << "{not json";
  AttachmentStore again(dir_);
  host::Status st = again.Load();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(dir_ + "/junk_net1.json"), std::string::npos) << st.message();
  auto a = again.Find("a/net1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, "10.0.0.5");
  EXPECT_EQ(a->phase, kPhaseAttached);
  EXPECT_EQ(a->vf_before["trust"], false);
  EXPECT_EQ(again.FindByPci("0000:41:00.2")->Key(), "a/net1");
  // Held across the restart: the next one gets the next address.
  Attachment b = Record("b", "0000:41:00.3");
  ASSERT_TRUE(again.Reserve(b, Block("10.0.0.5", "10.0.0.9"), std::nullopt).ok());
  EXPECT_EQ(b.address, "10.0.0.6");
  EXPECT_EQ(again.HeldPerNetwork()["default/roce-net"], 2u);
}

// What status.attachments shows, and that every change is told (so the
// agent writes it): the reservation, the record becoming Attached, the DEL.
TEST_F(AttachmentStoreTest, StatusShowsEachPodsVfAndAddressAndEveryChangeIsTold) {
  AttachmentStore store(dir_);
  int told = 0;
  store.SetOnChange([&] { ++told; });
  Attachment a = Record("c1", "0000:41:00.3");
  a.pod_namespace = "ml";
  a.pod_name = "trainer-1";
  a.pod_uid = "u1";
  Attachment b = Record("c0", "0000:41:00.2");
  b.pod_namespace = "ml";
  b.pod_name = "trainer-0";
  ASSERT_TRUE(store.Reserve(a, Block("10.0.0.16", "10.0.0.31"), std::nullopt).ok());
  ASSERT_TRUE(store.Reserve(b, Block("10.0.0.16", "10.0.0.31"), std::nullopt).ok());
  a.phase = kPhaseAttached;
  ASSERT_TRUE(store.Put(a).ok());
  EXPECT_EQ(told, 3);

  std::vector<api::AttachmentStatus> st = StatusOf(store.All());
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].pod, "ml/trainer-0");  // by pod
  EXPECT_EQ(st[0].address, "10.0.0.17");
  EXPECT_EQ(st[0].phase, kPhaseAdding);
  EXPECT_EQ(st[1].pod, "ml/trainer-1");
  EXPECT_EQ(st[1].pod_uid, "u1");
  EXPECT_EQ(st[1].interface_name, "net1");
  EXPECT_EQ(st[1].vf, "0000:41:00.3");
  EXPECT_EQ(st[1].network, "default/roce-net");
  EXPECT_EQ(st[1].address, "10.0.0.16");
  EXPECT_EQ(st[1].phase, kPhaseAttached);

  ASSERT_TRUE(store.Erase(b.Key()).ok());
  EXPECT_EQ(told, 4);
  EXPECT_EQ(StatusOf(store.All()).size(), 1u);
  // A runtime that sent no K8S_POD_* arguments: named by its container.
  EXPECT_EQ(StatusOf({Record("abc", "0000:41:00.4")})[0].pod, "container abc");
}

}  // namespace
}  // namespace attach
