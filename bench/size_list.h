// Message sizes as users type them ("64", "4K", "8MiB") and the sweeps the
// stream and request/response tests walk: a range "1-8M" means every power of
// two from 1 B to 8 MiB, a list "64,1K,64K" means exactly those sizes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bench/status.h"

namespace bench {

// Parses "N", "NK", "NKi", "NKiB", "NM", "NG" (binary multiples, case
// insensitive) into bytes. Rejects zero, negative, fractional and overflowing
// values with a message quoting the input.
Result<size_t> ParseSize(const std::string& text);

// Parses a sweep: "A-B" gives the powers of two from A to B (A and B must be
// powers of two, A <= B); "A,B,C" gives those sizes in the given order; a
// single size gives a one-element list.
Result<std::vector<size_t>> ParseSizeSweep(const std::string& text);

// Formats bytes compactly and exactly when possible: 1536 -> "1536",
// 4096 -> "4K", 8388608 -> "8M".
std::string FormatSize(size_t bytes);

}  // namespace bench
