#include "bench/cpu_usage.h"

#include <sys/resource.h>

namespace bench {
namespace {
double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }
}  // namespace

CpuTime ProcessCpuTime() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return CpuTime{Seconds(usage.ru_utime), Seconds(usage.ru_stime)};
}

CpuTime operator-(const CpuTime& a, const CpuTime& b) { return CpuTime{a.user_s - b.user_s, a.system_s - b.system_s}; }
CpuTime operator+(const CpuTime& a, const CpuTime& b) { return CpuTime{a.user_s + b.user_s, a.system_s + b.system_s}; }

}  // namespace bench
