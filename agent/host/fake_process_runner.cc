#include "agent/host/fake_process_runner.h"

#include <cerrno>

namespace host {

void FakeProcessRunner::Expect(std::vector<std::string> argv, Result<ProcessOutput> answer) {
  expected_.push_back(Expected{std::move(argv), std::move(answer)});
}

Result<ProcessOutput> FakeProcessRunner::Run(const std::vector<std::string>& argv,
                                             std::chrono::milliseconds /*timeout*/) {
  calls_.push_back(argv);
  for (auto it = expected_.begin(); it != expected_.end(); ++it) {
    if (it->argv == argv) {
      Result<ProcessOutput> answer = std::move(it->answer);
      expected_.erase(it);
      return answer;
    }
  }
  return Error{"run " + CommandLine(argv) + ": unexpected command in FakeProcessRunner", ENOENT};
}

}  // namespace host
