#include "kube/config.h"

#include "kube/base64.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace kube {

namespace {

ApiError ConfigError(const std::string& msg) {
  ApiError e;
  e.reason = "InvalidConfig";
  e.message = msg;
  return e;
}

std::optional<std::string> RealGetenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return base_dir + "/" + p;
}

bool FileExists(const std::string& path) {
  std::ifstream f(path);
  return f.good();
}

Result<std::string> DecodeBase64Field(const std::string& b64, const std::string& what) {
  auto bytes = DecodeBase64(b64);
  if (!bytes) return ConfigError(what + ": not valid base64");
  return std::move(*bytes);
}

// One named entry (cluster, user or context) and the directory of the file
// it came from, for resolving relative paths.
struct Entry {
  YAML::Node node;
  std::string dir;
  std::string file;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
};

Status MergeOne(const YAML::Node& root, const std::string& file, Merged* m) {
  if (!root || root.IsNull()) return {};
  if (!root.IsMap()) return ConfigError("kubeconfig " + file + ": top level is not a mapping");
  std::string dir = DirOf(file);
  auto merge_list = [&](const char* key, const char* inner,
                        std::map<std::string, Entry>* into) -> Status {
    auto list = root[key];
    if (!list || list.IsNull()) return {};
    if (!list.IsSequence()) return ConfigError("kubeconfig " + file + ": " + key + " is not a list");
    for (const auto& item : list) {
      if (!item.IsMap() || !item["name"] || !item["name"].IsScalar())
        return ConfigError("kubeconfig " + file + ": an entry in " + key + " has no name");
      std::string name = item["name"].as<std::string>();
      YAML::Node body = item[inner];
      if (into->count(name) == 0) into->emplace(name, Entry{body, dir, file});
    }
    return {};
  };
  if (auto s = merge_list("clusters", "cluster", &m->clusters); !s) return s;
  if (auto s = merge_list("users", "user", &m->users); !s) return s;
  if (auto s = merge_list("contexts", "context", &m->contexts); !s) return s;
  if (m->current_context.empty() && root["current-context"] && root["current-context"].IsScalar())
    m->current_context = root["current-context"].as<std::string>();
  return {};
}

std::string Str(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return "";
  auto v = n[key];
  if (!v || !v.IsScalar()) return "";
  return v.as<std::string>();
}

bool Bool(const YAML::Node& n, const char* key) {
  std::string s = Str(n, key);
  return s == "true" || s == "True" || s == "TRUE";
}

// Fills *out from inline base64 data (data_key) or a file (file_key).
Status DataOrFile(const Entry& e, const char* data_key, const char* file_key, const std::string& where,
                  std::string* out) {
  std::string data = Str(e.node, data_key);
  if (!data.empty()) {
    auto d = DecodeBase64Field(data, where + "." + data_key);
    if (!d) return d.error();
    *out = std::move(*d);
    return {};
  }
  std::string file = Str(e.node, file_key);
  if (!file.empty()) {
    auto d = ReadFileToString(Resolve(e.dir, file), where + "." + file_key);
    if (!d) return d.error();
    *out = std::move(*d);
  }
  return {};
}

Result<Config> Build(const Merged& m, const std::string& context_override, const std::string& source) {
  std::string ctx_name = context_override.empty() ? m.current_context : context_override;
  if (ctx_name.empty())
    return ConfigError("kubeconfig " + source + ": no current-context and no context given");
  auto ctx = m.contexts.find(ctx_name);
  if (ctx == m.contexts.end())
    return ConfigError("kubeconfig " + source + ": context \"" + ctx_name + "\" not found");
  std::string cluster_name = Str(ctx->second.node, "cluster");
  std::string user_name = Str(ctx->second.node, "user");
  auto cl = m.clusters.find(cluster_name);
  if (cl == m.clusters.end())
    return ConfigError("kubeconfig " + source + ": context \"" + ctx_name + "\" refers to cluster \"" +
                       cluster_name + "\", which is not defined");
  Config c;
  c.source = "kubeconfig " + source + " context " + ctx_name;
  std::string ns = Str(ctx->second.node, "namespace");
  if (!ns.empty()) c.ns = ns;

  const Entry& cluster = cl->second;
  std::string cwhere = "cluster \"" + cluster_name + "\" in " + cluster.file;
  c.server = Str(cluster.node, "server");
  if (c.server.empty()) return ConfigError(cwhere + ": server is empty");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.rfind("http://", 0) != 0 && c.server.rfind("https://", 0) != 0)
    return ConfigError(cwhere + ": server \"" + c.server + "\" is not an http(s) URL");
  if (auto s = DataOrFile(cluster, "certificate-authority-data", "certificate-authority", cwhere, &c.ca_pem); !s)
    return s.error();
  c.insecure_skip_tls_verify = Bool(cluster.node, "insecure-skip-tls-verify");
  c.tls_server_name = Str(cluster.node, "tls-server-name");

  auto us = m.users.find(user_name);
  if (!user_name.empty() && us == m.users.end())
    return ConfigError("kubeconfig " + source + ": context \"" + ctx_name + "\" refers to user \"" +
                       user_name + "\", which is not defined");
  if (us != m.users.end()) {
    const Entry& user = us->second;
    std::string uwhere = "user \"" + user_name + "\" in " + user.file;
    if (auto s = DataOrFile(user, "client-certificate-data", "client-certificate", uwhere, &c.client_cert_pem); !s)
      return s.error();
    if (auto s = DataOrFile(user, "client-key-data", "client-key", uwhere, &c.client_key_pem); !s)
      return s.error();
    if (c.client_cert_pem.empty() != c.client_key_pem.empty())
      return ConfigError(uwhere + ": client certificate and key must be given together");
    c.token = Str(user.node, "token");
    std::string tf = Str(user.node, "tokenFile");
    if (!tf.empty()) {
      c.token_file = Resolve(user.dir, tf);
      if (c.token.empty()) {
        auto t = ReadFileToString(c.token_file, uwhere + ".tokenFile");
        if (!t) return t.error();
      }
    }
    c.username = Str(user.node, "username");
    c.password = Str(user.node, "password");
    auto exec = user.node && user.node.IsMap() ? user.node["exec"] : YAML::Node();
    if (exec && exec.IsMap()) {
      ExecConfig e;
      e.command = Str(exec, "command");
      if (e.command.empty()) return ConfigError(uwhere + ": exec.command is empty");
      // A bare command name is looked up in PATH; a relative path is relative to the file.
      if (e.command.find('/') != std::string::npos) e.command = Resolve(user.dir, e.command);
      std::string av = Str(exec, "apiVersion");
      if (!av.empty()) e.api_version = av;
      if (exec["args"] && exec["args"].IsSequence())
        for (const auto& a : exec["args"]) e.args.push_back(a.as<std::string>());
      if (exec["env"] && exec["env"].IsSequence())
        for (const auto& kv : exec["env"]) e.env.emplace_back(Str(kv, "name"), Str(kv, "value"));
      c.exec = std::move(e);
    }
  }
  return c;
}

}  // namespace

Result<std::string> ReadFileToString(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return ConfigError(what + ": cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Result<Config> ParseKubeconfig(const std::string& yaml, const std::string& base_dir,
                               const std::string& context) {
  Merged m;
  try {
    auto root = YAML::Load(yaml);
    if (auto s = MergeOne(root, base_dir + "/<memory>", &m); !s) return s.error();
  } catch (const YAML::Exception& ex) {
    return ConfigError(std::string("kubeconfig: not valid YAML: ") + ex.what());
  }
  return Build(m, context, "<memory>");
}

Result<Config> LoadKubeconfig(const std::vector<std::string>& paths, const std::string& context) {
  Merged m;
  std::string source;
  for (const auto& p : paths) {
    if (p.empty() || !FileExists(p)) continue;
    auto text = ReadFileToString(p, "kubeconfig");
    if (!text) return text.error();
    try {
      auto root = YAML::Load(*text);
      if (auto s = MergeOne(root, p, &m); !s) return s.error();
    } catch (const YAML::Exception& ex) {
      return ConfigError("kubeconfig " + p + ": not valid YAML: " + ex.what());
    }
    source += (source.empty() ? "" : ":") + p;
  }
  if (source.empty()) {
    std::string list;
    for (const auto& p : paths) list += (list.empty() ? "" : ":") + p;
    return ConfigError("kubeconfig: none of the files exist: " + list);
  }
  return Build(m, context, source);
}

Result<Config> LoadInCluster(const LoadOptions& opts) {
  auto getenv = opts.getenv ? opts.getenv : RealGetenv;
  auto host = getenv("KUBERNETES_SERVICE_HOST");
  auto port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port || host->empty() || port->empty())
    return ConfigError("in-cluster config: KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod?)");
  Config c;
  c.source = "in-cluster";
  std::string h = *host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = "https://" + h + ":" + *port;
  c.token_file = opts.service_account_dir + "/token";
  auto token = ReadFileToString(c.token_file, "in-cluster config: service account token");
  if (!token) return token.error();
  auto ca = ReadFileToString(opts.service_account_dir + "/ca.crt", "in-cluster config: service account CA");
  if (!ca) return ca.error();
  c.ca_pem = std::move(*ca);
  auto ns = ReadFileToString(opts.service_account_dir + "/namespace", "namespace");
  if (ns) {
    std::string n = *ns;
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    if (!n.empty()) c.ns = n;
  }
  return c;
}

Result<Config> LoadConfig(const LoadOptions& opts) {
  auto getenv = opts.getenv ? opts.getenv : RealGetenv;
  if (!opts.kubeconfig.empty()) {
    if (!FileExists(opts.kubeconfig))
      return ConfigError("--kubeconfig " + opts.kubeconfig + ": file does not exist");
    return LoadKubeconfig({opts.kubeconfig}, opts.context);
  }
  if (auto env = getenv("KUBECONFIG"); env && !env->empty()) {
    std::vector<std::string> paths;
    std::stringstream ss(*env);
    std::string p;
    while (std::getline(ss, p, ':'))
      if (!p.empty()) paths.push_back(p);
    return LoadKubeconfig(paths, opts.context);
  }
  LoadOptions in = opts;
  in.getenv = getenv;
  auto host = getenv("KUBERNETES_SERVICE_HOST");
  if (host && !host->empty()) return LoadInCluster(in);
  auto home = getenv("HOME");
  if (home && !home->empty() && FileExists(*home + "/.kube/config"))
    return LoadKubeconfig({*home + "/.kube/config"}, opts.context);
  return ConfigError(
      "no Kubernetes configuration: give --kubeconfig, set KUBECONFIG, run in a pod, or create ~/.kube/config");
}

}  // namespace kube
