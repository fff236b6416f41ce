#include "kube/watch_stream.h"

namespace kube {

using json = nlohmann::json;

bool LineSplitter::Feed(std::string_view bytes, const OnLine& on_line) {
  if (stopped_) return false;
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl; !stopped_ && (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(pending_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && !on_line(line)) stopped_ = true;
  }
  pending_.erase(0, start);
  return !stopped_;
}

bool LineSplitter::Finish(const OnLine& on_line) {
  if (stopped_) return false;
  std::string last = std::move(pending_);
  pending_.clear();
  if (!last.empty() && last.back() == '\r') last.pop_back();
  if (!last.empty() && !on_line(last)) stopped_ = true;
  return !stopped_;
}

Result<WatchEvent> DecodeWatchEvent(std::string_view line, const std::string& operation) {
  auto j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return ApiError::Transport(operation, "malformed watch event: " + std::string(line.substr(0, 100)));
  }
  std::string type = j["type"].get<std::string>();
  json obj = j.contains("object") ? std::move(j["object"]) : json();
  if (type == "ERROR") {
    int code = obj.is_object() && obj.contains("code") && obj["code"].is_number_integer() ? obj["code"].get<int>()
                                                                                           : 500;
    return ApiError::FromResponse(code, obj.dump(), operation);
  }
  return WatchEvent{std::move(type), std::move(obj)};
}

}  // namespace kube
