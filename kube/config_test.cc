#include "kube/config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "kube/credentials.h"

namespace kube {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kubecfg-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::string p = path_ + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

LoadOptions WithEnv(std::map<std::string, std::string> env) {
  LoadOptions o;
  o.getenv = [env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

const char* kFirst = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: certs/ca.pem
    tls-server-name: api.internal
users:
- name: u1
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team-a}
- name: other
  context: {cluster: c2, user: u2}
)";

const char* kSecond = R"(
current-context: other
clusters:
- name: c1
  cluster: {server: https://shadowed:1}
- name: c2
  cluster: {server: http://127.0.0.1:8080, insecure-skip-tls-verify: true}
users:
- name: u2
  user: {tokenFile: tok}
contexts: []
)";

TEST(ConfigTest, MergesKubeconfigListFirstDefinitionWins) {
  TempDir d;
  d.Write("a/certs/ca.pem", "CA-PEM");
  auto a = d.Write("a/config", kFirst);
  auto b = d.Write("b/config", kSecond);
  d.Write("b/tok", "secret-token\n");
  auto opts = WithEnv({{"KUBECONFIG", a + ":" + d.path() + "/missing:" + b}});
  auto c = LoadConfig(opts);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  // current-context from the first file; c1 from the first file.
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "CA-PEM");  // relative to a/
  EXPECT_EQ(c->tls_server_name, "api.internal");
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
  EXPECT_EQ(c->ns, "team-a");

  opts.context = "other";
  auto o = LoadConfig(opts);
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_EQ(o->server, "http://127.0.0.1:8080");
  EXPECT_TRUE(o->insecure_skip_tls_verify);
  EXPECT_EQ(o->token_file, d.path() + "/b/tok");  // relative to b/
  EXPECT_EQ(o->ns, "default");
}

TEST(ConfigTest, KubeconfigFlagWinsOverEnvironment) {
  TempDir d;
  d.Write("certs/ca.pem", "X");
  auto a = d.Write("config", kFirst);
  auto opts = WithEnv({{"KUBECONFIG", "/nonexistent"}, {"KUBERNETES_SERVICE_HOST", "1.2.3.4"}});
  opts.kubeconfig = a;
  auto c = LoadConfig(opts);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
}

TEST(ConfigTest, ErrorsNameTheFileAndField) {
  TempDir d;
  auto a = d.Write("config", kFirst);  // certs/ca.pem missing
  auto c = LoadKubeconfig({a});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("certificate-authority"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("certs/ca.pem"), std::string::npos);

  auto bad = d.Write("bad", "clusters: [ {name: x");
  auto b = LoadKubeconfig({bad});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("not valid YAML"), std::string::npos);

  auto missing_ctx = LoadKubeconfig({a}, "nope");
  ASSERT_FALSE(missing_ctx.ok());
  EXPECT_NE(missing_ctx.error().message.find("context \"nope\" not found"), std::string::npos);

  auto none = LoadKubeconfig({d.path() + "/x", d.path() + "/y"});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("none of the files exist"), std::string::npos);

  auto badb64 = ParseKubeconfig(R"(
current-context: c
clusters: [{name: c, cluster: {server: "https://x", certificate-authority-data: "!!!"}}]
contexts: [{name: c, context: {cluster: c}}]
)", d.path());
  ASSERT_FALSE(badb64.ok());
  EXPECT_NE(badb64.error().message.find("certificate-authority-data"), std::string::npos);
}

TEST(ConfigTest, InClusterServiceAccount) {
  TempDir d;
  d.Write("sa/token", "tkn");
  d.Write("sa/ca.crt", "CA");
  d.Write("sa/namespace", "rdma-system\n");
  auto opts = WithEnv({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"},
                       {"HOME", d.path()}});
  opts.service_account_dir = d.path() + "/sa";
  auto c = LoadConfig(opts);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->ca_pem, "CA");
  EXPECT_EQ(c->ns, "rdma-system");
  EXPECT_EQ(c->token_file, d.path() + "/sa/token");
  EXPECT_EQ(c->source, "in-cluster");
}

TEST(ConfigTest, FallsBackToHomeKubeconfig) {
  TempDir d;
  d.Write(".kube/config", R"(
current-context: c
clusters: [{name: c, cluster: {server: "https://home:6443"}}]
contexts: [{name: c, context: {cluster: c}}]
)");
  auto c = LoadConfig(WithEnv({{"HOME", d.path()}}));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->server, "https://home:6443");
  auto none = LoadConfig(WithEnv({}));
  ASSERT_FALSE(none.ok());
}

TEST(CredentialsTest, TokenFileIsReReadAfterAMinuteAndAfterInvalidate) {
  TempDir d;
  auto tok = d.Write("token", "one\n");
  Config c;
  c.token_file = tok;
  Clock::time_point now = Clock::now();
  Credentials creds(c, [&] { return now; });
  EXPECT_EQ(*creds.AuthorizationHeader(), "Bearer one");
  d.Write("token", "two");
  now += std::chrono::seconds(30);
  EXPECT_EQ(*creds.AuthorizationHeader(), "Bearer one");  // cached
  now += std::chrono::seconds(31);
  EXPECT_EQ(*creds.AuthorizationHeader(), "Bearer two");  // a minute old: re-read
  d.Write("token", "three");
  creds.Invalidate();  // e.g. after a 401
  EXPECT_EQ(*creds.AuthorizationHeader(), "Bearer three");
}

TEST(CredentialsTest, ExecPluginRerunWhenExpired) {
  Config c;
  c.exec = ExecConfig{"plugin", {}, {}, "client.authentication.k8s.io/v1"};
  Clock::time_point now = Clock::now();
  int runs = 0;
  Credentials creds(c, [&] { return now; }, [&](const ExecConfig&) -> Result<ExecCredential> {
    ++runs;
    ExecCredential e;
    e.token = "t" + std::to_string(runs);
    e.expiry = now + std::chrono::minutes(5);
    return e;
  });
  EXPECT_EQ(*creds.AuthorizationHeader(), "Bearer t1");
  now += std::chrono::minutes(1);
  EXPECT_EQ(*creds.AuthorizationHeader(), "Bearer t1");
  now += std::chrono::minutes(4);
  EXPECT_EQ(*creds.AuthorizationHeader(), "Bearer t2");
  EXPECT_EQ(runs, 2);
}

TEST(CredentialsTest, RunsRealExecPlugin) {
  TempDir d;
  auto script = d.Write("plugin.sh", R"(#!/bin/sh
case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) echo "no exec info" >&2; exit 3;; esac
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'$PLUGIN_TOKEN'","expirationTimestamp":"2030-01-01T00:00:00Z"}}'
)");
  chmod(script.c_str(), 0755);
  ExecConfig e{script, {}, {{"PLUGIN_TOKEN", "from-plugin"}}, "client.authentication.k8s.io/v1"};
  auto cred = RunExecPlugin(e);
  ASSERT_TRUE(cred.ok()) << cred.error().ToString();
  EXPECT_EQ(cred->token, "from-plugin");
  ASSERT_TRUE(cred->expiry.has_value());

  auto failing = d.Write("fail.sh", "#!/bin/sh\necho 'login required' >&2\nexit 2\n");
  chmod(failing.c_str(), 0755);
  auto f = RunExecPlugin({failing, {}, {}, ""});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("login required"), std::string::npos) << f.error().message;
  auto missing = RunExecPlugin({d.path() + "/nope", {}, {}, ""});
  ASSERT_FALSE(missing.ok());
}

}  // namespace
}  // namespace kube
