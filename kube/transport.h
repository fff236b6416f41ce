// kube::Transport is the HTTP layer under kube::Client: it sends one request
// (with authentication, TLS and user agent already handled) or streams a
// response line by line for watches. HttpTransport (http_transport.h) is the
// real one, HTTP/1.1 over Boost.Beast with OpenSSL; MemoryApiServer is an
// in-process fake for unit tests.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/api_error.h"

namespace kube {

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // "/api/v1/namespaces/x/pods"
  std::vector<std::pair<std::string, std::string>> query;  // unencoded
  std::string body;
  std::string content_type;  // default application/json when body is set
  // Whole-request deadline for Send; for Stream, the longest silence allowed.
  std::chrono::milliseconds timeout{30000};
  std::string operation;  // "get pods ns/name", for error messages

  std::string QueryValue(const std::string& key) const {
    for (const auto& [k, v] : query)
      if (k == key) return v;
    return "";
  }
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends the request; any HTTP status is a response, no answer is an error
  // (IsTransport).
  virtual Result<HttpResponse> Send(const HttpRequest& req, std::stop_token stop) = 0;
  // Sends the request and, if the status is 200, calls on_line for each line
  // of the body as it arrives until the server ends the response, on_line
  // returns false, or stop is requested; the returned response then has
  // status 200 and an empty body. Other statuses return with their body.
  virtual Result<HttpResponse> Stream(const HttpRequest& req,
                                      const std::function<bool(std::string_view line)>& on_line,
                                      std::stop_token stop) = 0;
};

}  // namespace kube
