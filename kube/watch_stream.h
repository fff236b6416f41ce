// How a watch response body becomes events: the body is a stream of JSON
// objects, one per line ({"type":"ADDED","object":{...}}), sent in chunks
// whose boundaries fall anywhere, even inside a line or between '\r' and
// '\n'. LineSplitter turns chunks into lines; DecodeWatchEvent turns a line
// into a WatchEvent, or into the ApiError a server-sent ERROR event carries.
// Both are pure so that they can be tested and fuzzed without a server.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kube/api_error.h"

namespace kube {

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK (ERROR becomes an ApiError)
  nlohmann::json object;
};

// Splits a byte stream into lines at '\n', dropping a trailing '\r' and
// empty lines. on_line returns false to stop; Feed and Finish then return
// false and hand out nothing more.
class LineSplitter {
 public:
  using OnLine = std::function<bool(std::string_view)>;

  bool Feed(std::string_view bytes, const OnLine& on_line);
  // The last line when the stream ended without its newline.
  bool Finish(const OnLine& on_line);

 private:
  std::string pending_;  // bytes after the last newline
  bool stopped_ = false;
};

// One watch line as an event. A line that is not a JSON object with a string
// "type" is a transport error naming `operation` and quoting the line's start;
// an ERROR event is the ApiError its Status object describes (code 500 when
// the object has none).
Result<WatchEvent> DecodeWatchEvent(std::string_view line, const std::string& operation);

}  // namespace kube
