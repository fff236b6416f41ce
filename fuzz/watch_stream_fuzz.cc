// A watch response body as kube::Client reads it (kube/watch_stream.h): bytes
// cut into chunks at fuzzed places, split into lines, each decoded into an
// event or an ApiError. The lines must not depend on where the chunks were
// cut, and nothing may throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kube/watch_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = data[0] % 16 + 1;  // the first byte picks the chunk size
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto lines_of = [](std::string_view bytes, size_t chunk) {
    std::vector<std::string> lines;
    kube::LineSplitter splitter;
    auto take = [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    };
    for (size_t i = 0; i < bytes.size(); i += chunk) (void)splitter.Feed(bytes.substr(i, chunk), take);
    (void)splitter.Finish(take);
    return lines;
  };
  auto chunked = lines_of(body, step);
  if (chunked != lines_of(body, body.size() + 1)) __builtin_trap();  // depends on chunk boundaries

  for (const auto& line : chunked) {
    auto event = kube::DecodeWatchEvent(line, "watch fuzz");
    if (event.ok() && event->type == "ERROR") __builtin_trap();  // ERROR must become an ApiError
  }
  return 0;
}
