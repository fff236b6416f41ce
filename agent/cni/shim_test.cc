// Runs the real rdma-cni binary as a container runtime does (env + stdin,
// answer on stdout and the exit code), with an in-test unix-socket server
// standing in for rdma-agent.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/cni/wire.h"

namespace cni {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct CniRun {
  int exit_code = -1;
  std::string out, err;
};

// Runs rdma-cni with exactly env (nothing inherited) and stdin_text; kills it
// after 20 s so a hanging shim fails the test instead of blocking it.
CniRun RunCni(const std::vector<std::string>& env, const std::string& stdin_text) {
  int in[2], out[2], err[2];
  EXPECT_EQ(pipe2(in, O_CLOEXEC) | pipe2(out, O_CLOEXEC) | pipe2(err, O_CLOEXEC), 0);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(RDMA_CNI_BINARY), nullptr};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(RDMA_CNI_BINARY, argv, envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // The shim reads all of stdin before anything else; small inputs fit the pipe.
  EXPECT_EQ(write(in[1], stdin_text.data(), stdin_text.size()), static_cast<ssize_t>(stdin_text.size()));
  close(in[1]);
  CniRun r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<pollfd> fds = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      ADD_FAILURE() << "rdma-cni did not finish within 20 s";
      break;
    }
    if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// A stand-in for rdma-agent: accepts connections on a unix socket, reads each
// request to EOF, records it and answers with what `answer` returns ("" =
// close without answering).
class FakeAgent {
 public:
  FakeAgent(const std::string& path, std::function<std::string(const std::string&)> answer)
      : answer_(std::move(answer)) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
    EXPECT_EQ(listen(fd_, 8), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeAgent() {
    shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(fd_);
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) return;
      std::string request;
      char buf[4096];
      ssize_t n;
      while ((n = read(conn, buf, sizeof(buf))) > 0) request.append(buf, static_cast<size_t>(n));
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      std::string reply = answer_(request);
      if (!reply.empty()) {
        EXPECT_EQ(write(conn, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
      }
      close(conn);
    }
  }

  std::function<std::string(const std::string&)> answer_;
  int fd_ = -1;
  std::thread thread_;
  std::mutex mu_;  // guards requests_
  std::vector<std::string> requests_;
};

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rdma-cni-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_ = dir_ + "/cni.sock";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> Env(const std::string& command) {
    return {"CNI_COMMAND=" + command, "CNI_CONTAINERID=0c1d2e3f", "CNI_NETNS=/var/run/netns/pod-7",
            "CNI_IFNAME=net1", "CNI_ARGS=IgnoreUnknown=true;K8S_POD_NAMESPACE=ml;K8S_POD_NAME=trainer-0",
            "CNI_PATH=/opt/cni/bin"};
  }
  json Config(const std::string& version = "1.0.0") {
    return {{"cniVersion", version}, {"name", "rdma-net"},       {"type", "rdma-cni"},
            {"deviceID", "0000:41:00.2"}, {"pciBusID", "0000:41:00.2"}, {"agentSocket", socket_}};
  }

  std::string dir_, socket_;
};

TEST_F(ShimTest, VersionIsAnsweredWithoutTheAgent) {
  CniRun r = RunCni({"CNI_COMMAND=VERSION"}, R"({"cniVersion":"1.0.0"})");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["cniVersion"], "1.0.0");
  EXPECT_EQ(out["supportedVersions"], json::parse(R"(["0.3.1","0.4.0","1.0.0","1.1.0"])"));
}

TEST_F(ShimTest, AgentDownIsTryAgainLaterNamingTheSocket) {
  CniRun r = RunCni(Env("ADD"), Config().dump());
  EXPECT_EQ(r.exit_code, 1);
  json out = json::parse(r.out);
  EXPECT_EQ(out["code"], 11);
  EXPECT_EQ(out["cniVersion"], "1.0.0");
  EXPECT_THAT(out["msg"].get<std::string>(), HasSubstr(socket_));
  EXPECT_THAT(out["msg"].get<std::string>(), HasSubstr("does not exist"));
}

TEST_F(ShimTest, DefaultSocketIsTheAgentsPath) {
  if (fs::exists(kDefaultAgentSocket)) GTEST_SKIP() << kDefaultAgentSocket << " exists on this machine";
  json config = Config();
  config.erase("agentSocket");
  CniRun r = RunCni(Env("ADD"), config.dump());
  EXPECT_EQ(r.exit_code, 1);
  // Nothing listens there in the test machine: try again later, naming it.
  EXPECT_THAT(json::parse(r.out)["msg"].get<std::string>(), HasSubstr("/run/rdma-agent/cni.sock"));
  EXPECT_EQ(json::parse(r.out)["code"], 11);
}

TEST_F(ShimTest, ConnectionRefusedIsTryAgainLater) {
  // A socket file left behind by an agent that exited.
  {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    close(fd);
  }
  CniRun r = RunCni(Env("DEL"), Config().dump());
  EXPECT_EQ(r.exit_code, 1);
  json out = json::parse(r.out);
  EXPECT_EQ(out["code"], 11);
  EXPECT_THAT(out["msg"].get<std::string>(), HasSubstr("connection refused"));
}

TEST_F(ShimTest, AddForwardsTheCallAndPrintsTheAgentsResult) {
  json result = json::parse(R"({"cniVersion":"1.0.0","interfaces":[{"name":"net1","mac":"02:11:22:33:44:55",
      "sandbox":"/var/run/netns/pod-7"}],"ips":[{"address":"10.56.0.5/24","interface":0}]})");
  FakeAgent agent(socket_, [&](const std::string&) { return EncodeResult(result); });
  json config = Config();
  config["prevResult"] = {{"cniVersion", "1.0.0"}, {"interfaces", json::array()}};
  CniRun r = RunCni(Env("ADD"), config.dump());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out), result);

  auto requests = agent.requests();
  ASSERT_EQ(requests.size(), 1u);
  json sent = json::parse(requests[0]);
  EXPECT_EQ(sent["command"], "ADD");
  EXPECT_EQ(sent["containerID"], "0c1d2e3f");
  EXPECT_EQ(sent["netns"], "/var/run/netns/pod-7");
  EXPECT_EQ(sent["ifName"], "net1");
  EXPECT_EQ(sent["args"], "IgnoreUnknown=true;K8S_POD_NAMESPACE=ml;K8S_POD_NAME=trainer-0");
  EXPECT_EQ(sent["path"], "/opt/cni/bin");
  EXPECT_EQ(sent["config"], config);
  // What the agent will make of it.
  auto decoded = DecodeRequest(requests[0]);
  ASSERT_TRUE(decoded.ok()) << decoded.error().msg;
  EXPECT_EQ(decoded->device_id, "0000:41:00.2");
  EXPECT_EQ(decoded->cni_args.size(), 3u);
}

TEST_F(ShimTest, CheckStatusAndGcAreForwardedAndPrintNothing) {
  FakeAgent agent(socket_, [](const std::string&) { return EncodeResult(nullptr); });
  json config = Config("1.1.0");
  EXPECT_EQ(RunCni(Env("CHECK"), config.dump()).exit_code, 0);
  CniRun status = RunCni({"CNI_COMMAND=STATUS"}, config.dump());
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_EQ(status.out, "");
  config["cni.dev/valid-attachments"] = json::array({{{"containerID", "0c1d2e3f"}, {"ifname", "net1"}}});
  EXPECT_EQ(RunCni({"CNI_COMMAND=GC", "CNI_PATH=/opt/cni/bin"}, config.dump()).exit_code, 0);
  auto requests = agent.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(json::parse(requests[0])["command"], "CHECK");
  EXPECT_EQ(json::parse(requests[1])["command"], "STATUS");
  EXPECT_EQ(json::parse(requests[2])["command"], "GC");
  EXPECT_EQ(json::parse(requests[2])["config"]["cni.dev/valid-attachments"][0]["ifname"], "net1");
}

TEST_F(ShimTest, RefusedCallsNeverReachTheAgent) {
  FakeAgent agent(socket_, [](const std::string&) { return EncodeResult(nullptr); });
  CniRun gc = RunCni({"CNI_COMMAND=GC", "CNI_PATH=/opt/cni/bin"}, Config("1.0.0").dump());
  EXPECT_EQ(gc.exit_code, 1);
  EXPECT_EQ(json::parse(gc.out)["code"], 1);
  EXPECT_TRUE(agent.requests().empty());
}

TEST_F(ShimTest, DelWithEmptyNetnsSucceedsWithNoOutput) {
  FakeAgent agent(socket_, [](const std::string&) { return EncodeResult(nullptr); });
  std::vector<std::string> env = Env("DEL");
  env[2] = "CNI_NETNS=";
  CniRun r = RunCni(env, Config().dump());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_EQ(agent.requests().size(), 1u);
  EXPECT_EQ(json::parse(agent.requests()[0])["netns"], "");
}

TEST_F(ShimTest, AgentErrorIsPrintedWithExit1) {
  FakeAgent agent(socket_, [](const std::string&) {
    return EncodeError(CniError{101, "VF 0000:41:00.2 has no RDMA device", "is the mlx5_ib module loaded?"});
  });
  CniRun r = RunCni(Env("ADD"), Config("1.1.0").dump());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out), json::parse(R"({"cniVersion":"1.1.0","code":101,
      "msg":"VF 0000:41:00.2 has no RDMA device","details":"is the mlx5_ib module loaded?"})"));
}

TEST_F(ShimTest, AgentThatClosesWithoutAnsweringIsTryAgainLater) {
  FakeAgent agent(socket_, [](const std::string&) { return std::string(); });
  CniRun r = RunCni(Env("ADD"), Config().dump());
  EXPECT_EQ(r.exit_code, 1);
  json out = json::parse(r.out);
  EXPECT_EQ(out["code"], 11);
  EXPECT_THAT(out["msg"].get<std::string>(), HasSubstr("without answering"));
}

TEST_F(ShimTest, AgentThatNeverAnswersTimesOut) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  // Holds each connection open until the test ends: the shim must give up
  // on its own after agentTimeoutSeconds.
  auto agent = std::make_unique<FakeAgent>(socket_, [&](const std::string&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return std::string();
  });
  json config = Config();
  config["agentTimeoutSeconds"] = 0.5;
  // The fake reads to EOF before answering, so the shim's half-close lets
  // it record the request; the answer never comes.
  CniRun r = RunCni(Env("ADD"), config.dump());
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  agent.reset();
  EXPECT_EQ(r.exit_code, 1);
  json out = json::parse(r.out);
  EXPECT_EQ(out["code"], 11);
  EXPECT_THAT(out["msg"].get<std::string>(), HasSubstr("no answer within 0.5"));
  EXPECT_THAT(out["msg"].get<std::string>(), HasSubstr(socket_));
}

TEST_F(ShimTest, GarbageReplyIsCode100) {
  FakeAgent agent(socket_, [](const std::string&) { return std::string("HTTP/1.1 200 OK\r\n\r\n"); });
  CniRun r = RunCni(Env("ADD"), Config().dump());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["code"], 100);
}

TEST_F(ShimTest, MalformedStdinIsCode6) {
  CniRun r = RunCni(Env("ADD"), "{\"cniVersion\": \"1.0.0\", ");
  EXPECT_EQ(r.exit_code, 1);
  json out = json::parse(r.out);
  EXPECT_EQ(out["code"], 6);
  EXPECT_EQ(out["cniVersion"], "1.1.0");  // the request's version cannot be read
}

TEST_F(ShimTest, NoEnvironmentIsCode4) {
  CniRun r = RunCni({}, "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["code"], 4);
  EXPECT_THAT(json::parse(r.out)["msg"].get<std::string>(), HasSubstr("CNI_COMMAND is not set"));
}

}  // namespace
}  // namespace cni
