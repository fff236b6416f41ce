// kube-testapi: a Kubernetes API server for tests and the local sandbox.
// main only parses flags and wires the parts; see docs/kube-testapi.md.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <utility>  // before Boost 1.74 asio, whose awaitable.hpp forgets it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

#include "e2e/testapi/api.h"
#include "e2e/testapi/certs.h"
#include "e2e/testapi/http_server.h"
#include "e2e/testapi/kubeconfig.h"
#include "e2e/testapi/store.h"

#include "kube/command_line.h"

namespace po = boost::program_options;
namespace net = boost::asio;

int main(int argc, char** argv) {
  std::string listen, data_dir, kubeconfig_out, token_file, log_level, fault_code, audit_log;
  std::vector<std::string> users, hostnames;
  bool tls = false, anonymous_auth = true, admin_endpoints = true, rbac = false;
  size_t history = 0, max_body = 0;
  int bookmark_interval = 0, latency = 0;
  double error_rate = 0;
  po::options_description desc("kube-testapi: a Kubernetes API server (REST API of kube-apiserver v1.32) for tests");
  desc.add_options()("help,h", "show this help")(
      "listen", po::value(&listen)->default_value("127.0.0.1:0"), "HOST:PORT to listen on; PORT 0 picks a free port")(
      "tls", po::bool_switch(&tls), "serve HTTPS with a generated CA; clients authenticate with certificates or tokens")(
      "data-dir", po::value(&data_dir), "keep objects, resourceVersions and certificates here across restarts")(
      "kubeconfig-out", po::value(&kubeconfig_out), "write a kubeconfig for the admin user here once listening")(
      "user", po::value(&users)->composing(),
      "NAME[:GROUP,...] also write <kubeconfig-out>.<NAME> with a client certificate for that user (repeatable)")(
      "hostname", po::value(&hostnames)->composing(), "extra DNS name or IP for the server certificate (repeatable)")(
      "audit-log", po::value(&audit_log), "append one JSON line per API request (user, verb, resource) to this file")(
      "token-file", po::value(&token_file), "static tokens (CSV token,user,uid,\"groups\"), re-read when changed")(
      "anonymous-auth", po::value(&anonymous_auth)->default_value(true)->implicit_value(true),
      "requests without credentials are system:anonymous (may read /healthz, /version); false: 401 for them")(
      "rbac", po::bool_switch(&rbac),
      "authorize requests by the stored Roles/ClusterRoles and bindings and honour impersonation, as "
      "kube-apiserver --authorization-mode=RBAC; off: every authenticated user may do everything")(
      "admin-endpoints", po::value(&admin_endpoints)->default_value(true)->implicit_value(true),
      "serve /admin/... (fault injection); false: 404 there, like a real API server")(
      "history-size", po::value(&history)->default_value(10000), "changes kept for watches to resume from")(
      "bookmark-interval", po::value(&bookmark_interval)->default_value(10), "seconds between watch bookmarks")(
      "max-body-bytes", po::value(&max_body)->default_value(3 * 1024 * 1024), "largest request body accepted")(
      "fault-error-rate", po::value(&error_rate)->default_value(0), "fraction of API requests that fail")(
      "fault-error-code", po::value(&fault_code)->default_value("500"), "status of injected failures: 500, 429 or 503")(
      "fault-latency-ms", po::value(&latency)->default_value(0), "delay added to every API request")(
      "log-level", po::value(&log_level)->default_value("info"), "trace, debug (one line per request), info, warn, error");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "kube-testapi")) return *exit;
  // Logs go to stderr; stdout carries only the URL, printed once serving.
  spdlog::set_default_logger(spdlog::stderr_color_mt("kube-testapi"));
  if (!kube::SetLogLevel(log_level, "kube-testapi")) return 2;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);

  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "kube-testapi: --listen must be HOST:PORT, got " << listen << "\n";
    return 2;
  }
  testapi::ServerOptions sopts;
  sopts.host = listen.substr(0, colon);
  if (sopts.host.size() > 2 && sopts.host.front() == '[') sopts.host = sopts.host.substr(1, sopts.host.size() - 2);
  try {
    sopts.port = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
  } catch (...) {
    std::cerr << "kube-testapi: bad port in --listen " << listen << "\n";
    return 2;
  }
  if (!token_file.empty()) sopts.token_file = token_file;
  if (!audit_log.empty()) sopts.audit_log = audit_log;
  sopts.anonymous_auth = anonymous_auth;
  sopts.rbac = rbac;
  sopts.admin_endpoints = admin_endpoints;
  sopts.bookmark_interval_seconds = std::max(1, bookmark_interval);
  sopts.max_body_bytes = max_body;

  testapi::Faults faults;
  faults.error_rate = error_rate;
  faults.error_code = std::atoi(fault_code.c_str());
  faults.latency_ms = latency;
  if (faults.error_code != 500 && faults.error_code != 429 && faults.error_code != 503) {
    std::cerr << "kube-testapi: --fault-error-code must be 500, 429 or 503\n";
    return 2;
  }

  testapi::Store store(history);
  if (!data_dir.empty()) {
    if (auto err = store.OpenDataDir(data_dir)) {
      spdlog::error("msg=\"cannot open data directory\" error=\"{}\"", *err);
      return 1;
    }
  }

  net::io_context io(1);
  std::optional<net::ssl::context> ssl;
  std::optional<testapi::Pki> pki;
  if (tls) {
    std::vector<std::string> hosts = {"127.0.0.1", "localhost", "::1"};
    if (sopts.host != "127.0.0.1" && sopts.host != "0.0.0.0" && sopts.host != "::") hosts.push_back(sopts.host);
    for (const auto& h : hostnames) hosts.push_back(h);
    std::string err;
    pki = testapi::LoadOrCreatePki(data_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(data_dir),
                                   hosts, &err);
    if (!pki) {
      spdlog::error("msg=\"cannot set up certificates\" error=\"{}\"", err);
      return 1;
    }
    ssl.emplace(net::ssl::context::tls_server);
    ssl->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    ssl->use_certificate_chain(net::buffer(pki->server.cert_pem));
    ssl->use_private_key(net::buffer(pki->server.key_pem), net::ssl::context::pem);
    ssl->add_certificate_authority(net::buffer(pki->ca.cert_pem));
    // A certificate is optional (tokens work too), and the handshake accepts
    // any, as kube-apiserver's does: one our CA did not sign gets a 401
    // Status from the HTTP layer (PeerCertificateOf), not a TLS alert.
    ssl->set_verify_mode(net::ssl::verify_peer);
    ssl->set_verify_callback([](bool, net::ssl::verify_context&) { return true; });
  }

  testapi::HttpServer* server_ptr = nullptr;
  testapi::ServerHooks hooks;
  hooks.drop_watches = [&] { server_ptr->DropWatches(); };
  hooks.set_faults = [&](testapi::Faults f) { server_ptr->SetFaults(f); };
  hooks.get_faults = [&] { return server_ptr->faults(); };
  if (rbac) {
    hooks.authorize = [&](const std::string& user, const std::vector<std::string>& groups,
                          const testapi::RequestAttributes& request) {
      return server_ptr->Authorize(testapi::UserInfo{user, groups}, request).allowed;
    };
  }

  std::string scheme = tls ? "https" : "http";
  testapi::ApiOptions aopts;
  aopts.max_body_bytes = max_body;
  testapi::Api api(store, aopts, hooks);
  testapi::HttpServer server(io, api, sopts, ssl ? &*ssl : nullptr);
  server_ptr = &server;
  server.SetFaults(faults);
  if (server.audit_log() && !server.audit_log()->ok()) {
    spdlog::error("msg=\"cannot open the audit log\" file=\"{}\"", audit_log);
    return 1;
  }
  if (auto err = server.Listen()) {
    spdlog::error("msg=\"cannot listen\" error=\"{}\"", *err);
    return 1;
  }
  std::string host = sopts.host == "0.0.0.0" ? "127.0.0.1" : sopts.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string url = scheme + "://" + host + ":" + std::to_string(server.port());
  api.SetServerUrl(url);

  if (!kubeconfig_out.empty()) {
    auto write = [&](const std::string& path, const std::string& user, const std::vector<std::string>& groups) {
      testapi::KubeconfigUser u{user, std::nullopt, std::nullopt};
      if (tls) {
        std::string err;
        u.client_cert = testapi::IssueClientCert(pki->ca, user, groups, &err);
        if (!u.client_cert) return std::optional<std::string>("client certificate for " + user + ": " + err);
      }
      return testapi::WriteKubeconfig(path, url, tls ? std::optional<std::string>(pki->ca.cert_pem) : std::nullopt, u);
    };
    for (const auto& spec : users) {
      auto c = spec.find(':');
      std::string name = spec.substr(0, c);
      std::vector<std::string> groups;
      if (c != std::string::npos) {
        std::stringstream ss(spec.substr(c + 1));
        for (std::string g; std::getline(ss, g, ',');) groups.push_back(g);
      }
      if (auto err = write(kubeconfig_out + "." + name, name, groups)) {
        spdlog::error("msg=\"cannot write kubeconfig\" error=\"{}\"", *err);
        return 1;
      }
    }
    // The admin kubeconfig last: its appearance tells scripts we are ready.
    if (auto err = write(kubeconfig_out, "admin", {"system:masters"})) {
      spdlog::error("msg=\"cannot write kubeconfig\" error=\"{}\"", *err);
      return 1;
    }
  }
  if (tls && !data_dir.empty()) {
    // The CA for clients that build their own config (e.g. token users).
    std::ofstream(std::filesystem::path(data_dir) / "ca.crt.pub") << pki->ca.cert_pem;
  }
  spdlog::info("msg=\"kube-testapi listening\" url={} kubeconfig={}", url, kubeconfig_out.empty() ? "-" : kubeconfig_out);
  std::cout << url << std::endl;

  net::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("msg=\"shutting down\" signal={}", sig);
    server.Stop();
    io.stop();
  });
  io.run();
  store.Checkpoint();
  return 0;
}
