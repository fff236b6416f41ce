// CPU time this process has used (user + system, all threads), as reported
// by getrusage(RUSAGE_SELF). Differences of two readings give what a
// measurement cost on this side of the connection.
#pragma once

namespace bench {

struct CpuTime {
  double user_s = 0;
  double system_s = 0;
  double total() const { return user_s + system_s; }
};

CpuTime ProcessCpuTime();
CpuTime operator-(const CpuTime& a, const CpuTime& b);
CpuTime operator+(const CpuTime& a, const CpuTime& b);

}  // namespace bench
