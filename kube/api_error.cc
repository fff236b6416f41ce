#include "kube/api_error.h"

namespace kube {

std::string ApiError::ToString() const {
  std::string s = message.empty() ? "unknown error" : message;
  if (code != 0 || !reason.empty()) {
    s += " (";
    if (code != 0) s += "HTTP " + std::to_string(code);
    if (!reason.empty()) s += (code != 0 ? " " : "") + reason;
    s += ")";
  }
  for (const auto& c : causes) {
    s += "; ";
    if (!c.field.empty()) s += c.field + ": ";
    s += c.message.empty() ? c.reason : c.message;
  }
  return s;
}

namespace {

std::string DefaultReason(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

// A Status field that should be a string; "" when it is missing or is not
// one (json::value would throw on a number, and a proxy's body is anything).
std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ApiError ApiError::FromResponse(int http_code, const std::string& body, const std::string& operation) {
  ApiError e;
  e.code = http_code;
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && StringField(j, "kind") == "Status") {
    e.reason = StringField(j, "reason");
    std::string msg = StringField(j, "message");
    e.message = operation + ": " + (msg.empty() ? "request failed" : msg);
    if (j.contains("code") && j["code"].is_number_integer()) e.code = j["code"].get<int>();
    if (auto d = j.find("details"); d != j.end() && d->is_object()) {
      if (auto ra = d->find("retryAfterSeconds"); ra != d->end() && ra->is_number_integer())
        e.retry_after = std::chrono::seconds(ra->get<int>());
      if (auto cs = d->find("causes"); cs != d->end() && cs->is_array()) {
        for (const auto& c : *cs) {
          if (!c.is_object()) continue;
          e.causes.push_back({StringField(c, "reason"), StringField(c, "message"), StringField(c, "field")});
        }
      }
    }
  } else {
    std::string snippet = body.substr(0, 200);
    while (!snippet.empty() && (snippet.back() == '\n' || snippet.back() == '\r')) snippet.pop_back();
    e.message = operation + ": HTTP " + std::to_string(http_code) +
                (snippet.empty() ? std::string() : ": " + snippet);
  }
  if (e.reason.empty()) e.reason = DefaultReason(e.code);
  return e;
}

ApiError ApiError::Transport(const std::string& operation, const std::string& cause) {
  ApiError e;
  e.code = 0;
  e.reason = "TransportError";
  e.message = operation + ": " + cause;
  return e;
}

bool IsNotFound(const ApiError& e) { return e.code == 404 || e.reason == "NotFound"; }
bool IsAlreadyExists(const ApiError& e) { return e.reason == "AlreadyExists"; }
bool IsConflict(const ApiError& e) { return e.code == 409 && e.reason != "AlreadyExists"; }
bool IsGone(const ApiError& e) { return e.code == 410 || e.reason == "Expired" || e.reason == "Gone"; }
bool IsInvalid(const ApiError& e) { return e.code == 422 || e.reason == "Invalid"; }
bool IsBadRequest(const ApiError& e) { return e.code == 400; }
bool IsUnauthorized(const ApiError& e) { return e.code == 401; }
bool IsForbidden(const ApiError& e) { return e.code == 403; }
bool IsTooManyRequests(const ApiError& e) { return e.code == 429 || e.reason == "TooManyRequests"; }
bool IsServerTimeout(const ApiError& e) {
  return e.code == 504 || e.reason == "ServerTimeout" || e.reason == "Timeout";
}
bool IsTransport(const ApiError& e) { return e.code == 0; }
bool IsRetryable(const ApiError& e) { return e.code == 0 || e.code == 429 || e.code >= 500; }

}  // namespace kube
