#include "kube/signals.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

namespace kube {

std::stop_token StopOnSignals() {
  static std::stop_source source;
  static bool started = false;
  if (started) return source.get_token();
  started = true;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("kube: shutting down signal={}", sig);
    source.request_stop();
    sigwait(&set, &sig);
    spdlog::warn("kube: second signal, exiting now signal={}", sig);
    std::_Exit(1);
  }).detach();
  return source.get_token();
}

}  // namespace kube
