// FakeProcessRunner: a scripted ProcessRunner for unit tests. Each expected
// command line gets a canned answer; every call is recorded.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "agent/host/process_runner.h"

namespace host {

class FakeProcessRunner : public ProcessRunner {
 public:
  // Answers the next call whose argv equals `argv` (in order of Expect calls
  // for identical argv). An unexpected command gets an ENOENT-style error.
  void Expect(std::vector<std::string> argv, Result<ProcessOutput> answer);
  const std::vector<std::vector<std::string>>& calls() const { return calls_; }

  Result<ProcessOutput> Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override;

 private:
  struct Expected {
    std::vector<std::string> argv;
    Result<ProcessOutput> answer;
  };
  std::deque<Expected> expected_;
  std::vector<std::vector<std::string>> calls_;
};

}  // namespace host
