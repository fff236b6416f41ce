// End-to-end scenario of pod attachment, part 2 (rdma-cni): two simulated
// nodes whose VFs share one L2 segment (the simulator's fabric bridge), the
// real rdma-operator, and per node sysfs-sim, rdma-agent (its CNI socket on)
// and sim-kubelet running the operator's NetworkAttachmentDefinition through
// rdma-cni as Multus would. The user applies the docs' RoCE policy and
// RdmaNetwork and runs one pod per node; the test checks what the user
// would: the pods run, each has net1 up with an address from its node's
// block, the node states list the attachments, the pods ping each other and
// hold a TCP exchange over their VFs, and deleting the pods gives the
// addresses and VFs back.
//
// Like the other scenarios the process runs in a network namespace of its
// own (entered in main); traffic stays inside the pod namespaces it made.
#include <gtest/gtest.h>
#include <stdio.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "e2e/scenarios/agent_process.h"
#include "e2e/scenarios/private_netns.h"
#include "e2e/scenarios/sim_cluster.h"
#include "kube/client.h"

namespace e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const kube::Resource kNetworks{"rdma.dev", "v1alpha1", "rdmanetworks", "RdmaNetwork", true};
const kube::Resource kNads{"k8s.cni.cncf.io", "v1", "network-attachment-definitions", "NetworkAttachmentDefinition",
                           true};

// A command's stdout (sh -c) and exit status.
struct Output {
  int status = -1;
  std::string out;
};
Output Capture(const std::string& command) {
  Output o;
  FILE* f = ::popen(command.c_str(), "r");
  if (!f) return o;
  char buf[512];
  while (size_t n = ::fread(buf, 1, sizeof buf, f)) o.out.append(buf, n);
  int st = ::pclose(f);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

// An IPv4 address as a number, for "is it in the block".
uint32_t V4(const std::string& a) {
  unsigned b[4] = {};
  if (std::sscanf(a.c_str(), "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4) return 0;
  return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
}

// `ping -c 3 -W 2 ADDR`; where iputils-ping is not installed (Debian's
// minimal images) the same three ICMP echoes from python3 on a raw socket,
// printing ping's summary line.
std::string PingCommand(const std::string& address) {
  if (Capture("command -v ping").status == 0) return "ping -c 3 -W 2 " + address;
  return "/usr/bin/python3 -c '\n"
         "import os,socket,struct,time\n"
         "def csum(b):\n"
         "  s=sum(struct.unpack(\"!%dH\" % (len(b)//2), b)); s=(s>>16)+(s&0xffff); s+=s>>16; return ~s&0xffff\n"
         "s=socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); ident=os.getpid()&0xffff; got=0\n"
         "for seq in range(1,4):\n"
         "  body=struct.pack(\"!BBHHH\",8,0,0,ident,seq)+b\"rdma-operator e2e\"+b\"\\0\"\n"
         "  body=body[:2]+struct.pack(\"!H\",csum(body))+body[4:]; s.sendto(body,(\"" + address + "\",0))\n"
         "  end=time.time()+2\n"
         "  while time.time()<end:\n"
         "    s.settimeout(max(end-time.time(),0.01))\n"
         "    try: pkt=s.recv(2048)\n"
         "    except socket.timeout: break\n"
         "    icmp=pkt[(pkt[0]&15)*4:]\n"
         "    if icmp[0]==0 and struct.unpack(\"!HH\",icmp[4:8])==(ident,seq): got+=1; break\n"
         "print(\"3 packets transmitted, %d received\" % got); raise SystemExit(0 if got==3 else 1)'";
}

class TrafficE2E : public SimCluster {
 protected:
  TrafficE2E() : SimCluster("traffic-e2e") {
    with_cni_ = true;
    with_fabric_ = true;
  }

  json Vf(const SimNode& n) {
    auto o = client_->Get(kNodeStates, "", n.name);
    return o.ok() ? o->value("/status/interfaces/0/vfs/0"_json_pointer, json::object()) : json::object();
  }
  json Attachments(const SimNode& n) {
    auto o = client_->Get(kNodeStates, "", n.name);
    return o.ok() ? o->value("/status/attachments"_json_pointer, json::array()) : json::array();
  }
};

TEST_F(TrafficE2E, TwoPodsOnTwoNodesTalkOverTheirVfs) {
  nodes_.reserve(2);
  AddNode(1);
  AddNode(2);
  CreateFrom("crds/third-party/k8s.cni.cncf.io_network-attachment-definitions.yaml",
             kube::resources::CustomResourceDefinitions());
  StartOperator();
  CreateFrom("docs/examples/roce-policy.yaml", kPolicies);
  // The docs' network as it is: its VF settings (vlan 0, trust off,
  // spoofchk on, link state auto) are what the VF has, so nothing is sent
  // to the simulator's veth PF, which takes no VF settings (docs/cni.md).
  CreateFrom("docs/examples/roce-network.yaml", kNetworks);

  // The rollout grants each node its firmware reboot; then every node has
  // its VF and a block of the network's addresses.
  for (auto& n : nodes_) {
    WaitForNodeState(
        n, n.name + ": applied, one VF, an IP block",
        [](const json& o) {
          return o.value("/status/syncState"_json_pointer, "") == "Succeeded" &&
                 o.value("/status/interfaces/0/vfs"_json_pointer, json::array()).size() == 1 &&
                 !o.value("/spec/ipBlocks"_json_pointer, json::array()).empty() &&
                 o.value("/metadata/annotations/rdma.dev~1rollout"_json_pointer, "").find("\"result\":\"Done\"") !=
                     std::string::npos;
        },
        90s);
    WaitForNode(n, n.name + ": allocatable 1 and uncordoned", [](const json& node) {
      return Allocatable(node) == "1" && !node.value("/spec/unschedulable"_json_pointer, false);
    });
  }
  WaitFor(
      "the operator rendered the NAD roce-net", [&] { return client_->Get(kNads, "default", "roce-net"); },
      [](const json&) { return true; });

  struct PodOnNode {
    std::string name, netns, vf_pci, vf_netdev, address;
    uint32_t block_start = 0, block_end = 0;
  };
  std::vector<PodOnNode> pods;
  for (auto& n : nodes_) {
    PodOnNode p;
    p.name = "traffic-" + n.name;
    auto got = client_->Get(kNodeStates, "", n.name);
    ASSERT_TRUE(got.ok()) << got.error().message;
    json state = *got;
    p.block_start = V4(state["spec"]["ipBlocks"][0].value("start", ""));
    p.block_end = V4(state["spec"]["ipBlocks"][0].value("end", ""));
    p.vf_pci = Vf(n).value("pciAddress", "");
    p.vf_netdev = Vf(n).value("name", "");
    ASSERT_FALSE(p.vf_netdev.empty());
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", p.name},
                  {"namespace", "default"},
                  {"annotations", {{"k8s.v1.cni.cncf.io/networks", "roce-net"}}}}},
                {"spec",
                 {{"nodeName", n.name},
                  {"containers",
                   {{{"name", "rdma"},
                     {"image", "rdma-bench"},
                     {"resources", {{"limits", {{kResource, "1"}}}}}}}}}}};
    auto created = client_->Create(kube::resources::Pods(), pod);
    ASSERT_TRUE(created.ok()) << created.error().message;
    json running = WaitForPod(p.name, p.name + " Running", [](const json& o) {
      return o.value("/status/phase"_json_pointer, "") == "Running";
    });
    ASSERT_EQ(running.value("/status/phase"_json_pointer, ""), "Running");
    p.netns = NetnsPrefix(n) + kube::UidOf(running);

    // net1 in the pod: up, with an address from this node's block.
    Output addr = Capture("ip -n " + p.netns + " -j addr show dev net1");
    ASSERT_EQ(addr.status, 0) << "no net1 in the pod";
    json link = json::parse(addr.out, nullptr, false);
    ASSERT_TRUE(link.is_array() && link.size() == 1) << addr.out;
    EXPECT_EQ(link[0].value("operstate", ""), "UP") << addr.out;
    for (const auto& a : link[0].value("addr_info", json::array())) {
      if (a.value("family", "") == "inet") p.address = a.value("local", "");
    }
    ASSERT_FALSE(p.address.empty()) << addr.out;
    EXPECT_GE(V4(p.address), p.block_start) << p.address;
    EXPECT_LE(V4(p.address), p.block_end) << p.address;
    EXPECT_NE(RunCommand({"ip", "link", "show", "dev", p.vf_netdev}), 0) << "the VF left the host";

    // The node state lists the attachment.
    json att = WaitForNodeState(n, n.name + ": status.attachments lists the pod", [&](const json& o) {
      json a = o.value("/status/attachments"_json_pointer, json::array());
      return a.size() == 1 && a[0].value("phase", "") == "Attached";
    });
    json a = att["status"]["attachments"][0];
    EXPECT_EQ(a.value("pod", ""), "default/" + p.name);
    EXPECT_EQ(a.value("podUID", ""), kube::UidOf(running));
    EXPECT_EQ(a.value("interface", ""), "net1");
    EXPECT_EQ(a.value("vf", ""), p.vf_pci);
    EXPECT_EQ(a.value("network", ""), "default/roce-net");
    EXPECT_EQ(a.value("address", ""), p.address);
    pods.push_back(p);
  }
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_NE(pods[0].address, pods[1].address);

  // Ping from pod A to pod B's VF address, over the fabric.
  Output ping = Capture("ip netns exec " + pods[0].netns + " " + PingCommand(pods[1].address) + " 2>&1");
  EXPECT_EQ(ping.status, 0) << ping.out;
  EXPECT_NE(ping.out.find("3 received"), std::string::npos) << ping.out;

  // A TCP exchange: a server in pod B says when it listens (its first line,
  // read here before the client starts) and echoes one line back upper-cased.
  const std::string server =
      "ip netns exec " + pods[1].netns + " /usr/bin/python3 -c '" +
      "import socket,sys\n"
      "s=socket.socket(); s.bind((\"" + pods[1].address + "\", 5201)); s.listen(1); s.settimeout(20)\n"
      "print(\"listening\", flush=True)\n"
      "c,peer=s.accept(); c.settimeout(10)\n"
      "line=c.makefile().readline(); c.sendall(line.upper().encode()); c.close()\n"
      "print(\"peer\", peer[0], flush=True)' 2>&1";
  FILE* srv = ::popen(server.c_str(), "r");
  ASSERT_NE(srv, nullptr);
  char line[256] = {};
  ASSERT_NE(::fgets(line, sizeof line, srv), nullptr);
  ASSERT_EQ(std::string(line), "listening\n");
  Output client = Capture("ip netns exec " + pods[0].netns + " timeout 10 bash -c 'exec 3<>/dev/tcp/" +
                          pods[1].address + "/5201; echo hello over the vf >&3; read -r reply <&3; echo \"$reply\"'");
  EXPECT_EQ(client.status, 0);
  EXPECT_EQ(client.out, "HELLO OVER THE VF\n");
  std::string rest;
  while (::fgets(line, sizeof line, srv)) rest += line;
  ::pclose(srv);
  EXPECT_EQ(rest, "peer " + pods[0].address + "\n") << "the server saw pod A's VF address";

  // Delete the pods: CNI DEL gives the address and the VF back.
  for (size_t i = 0; i < pods.size(); ++i) {
    ASSERT_TRUE(client_->Delete(kube::resources::Pods(), "default", pods[i].name).ok());
    WaitFor(
        pods[i].name + " gone",
        [&]() -> kube::Result<json> {
          auto p = client_->Get(kube::resources::Pods(), "default", pods[i].name);
          if (!p.ok() && kube::IsNotFound(p.error())) return json{{"gone", true}};
          return p;
        },
        [](const json& p) { return p.contains("gone"); });
    WaitForNodeState(nodes_[i], nodes_[i].name + ": no attachments", [](const json& o) {
      return o.value("/status/attachments"_json_pointer, json::array()).empty();
    });
    WaitFor(
        pods[i].vf_netdev + " back in the host",
        [&]() -> kube::Result<json> { return json(RunCommand({"ip", "link", "show", "dev", pods[i].vf_netdev})); },
        [](const json& rc) { return rc == 0; });
    EXPECT_EQ(Capture("ip -j addr show dev " + pods[i].vf_netdev).out.find(pods[i].address), std::string::npos)
        << "the address left with the pod";
  }
}

}  // namespace
}  // namespace e2e

int main(int argc, char** argv) { return e2e::RunTestsInPrivateNetns(argc, argv, "traffic-e2e-", &e2e::g_can_run); }
