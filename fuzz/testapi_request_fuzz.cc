// kube-testapi's request path (e2e/testapi/api.h): whatever a client sends —
// any method, path, query and body — gets an HTTP answer, never an exception
// or a crash, and the server's background work settles.
//
// An input is requests separated by NUL bytes, each
//   "<METHOD> <path>[?<query>]\n<content-type>\n<body>"
// run in order against one fresh server, so a seed can create a CRD and then
// objects of its kind.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "e2e/testapi/api.h"
#include "e2e/testapi/store.h"

namespace {

testapi::Request ParseRequest(std::string_view text) {
  testapi::Request r;
  r.user = "admin";
  auto line = [&]() {
    auto nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    return std::string(l);
  };
  std::string first = line();
  auto space = first.find(' ');
  r.method = first.substr(0, space);
  std::string target = space == std::string::npos ? "/" : first.substr(space + 1);
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view query(target);
    query.remove_prefix(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view kv = query.substr(0, amp);
      auto eq = kv.find('=');
      r.query[std::string(kv.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  r.content_type = line();
  r.accept = "application/json";
  r.body = std::string(text);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  testapi::Store store(100);
  testapi::ServerHooks hooks;
  testapi::Faults faults;
  hooks.drop_watches = [] {};
  hooks.set_faults = [&](testapi::Faults f) { faults = f; };
  hooks.get_faults = [&] { return faults; };
  testapi::Api api(store, testapi::ApiOptions{}, hooks);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (true) {
    auto nul = input.find('\0');
    testapi::Outcome out = api.Handle(ParseRequest(input.substr(0, nul)));
    if (out.response.code < 100 || out.response.code > 599) __builtin_trap();
    for (int i = 0; i < 1000 && api.RunUpkeep(); ++i) {
    }
    if (nul == std::string_view::npos) break;
    input.remove_prefix(nul + 1);
  }
  return 0;
}
