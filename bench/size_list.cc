#include "bench/size_list.h"

#include <cctype>
#include <limits>

namespace bench {
namespace {

bool IsPowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<size_t> ParseSize(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::Error("message size \"" + text + "\": " + why);
  };
  size_t i = 0;
  size_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    size_t digit = static_cast<size_t>(text[i] - '0');
    if (value > (std::numeric_limits<size_t>::max() - digit) / 10) return bad("too large");
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return bad("expected a number of bytes such as 64, 4K or 8M");
  std::string suffix = Lower(text.substr(i));
  size_t multiplier = 1;
  if (suffix.empty() || suffix == "b") {
    multiplier = 1;
  } else if (suffix == "k" || suffix == "ki" || suffix == "kib" || suffix == "kb") {
    multiplier = size_t{1} << 10;
  } else if (suffix == "m" || suffix == "mi" || suffix == "mib" || suffix == "mb") {
    multiplier = size_t{1} << 20;
  } else if (suffix == "g" || suffix == "gi" || suffix == "gib" || suffix == "gb") {
    multiplier = size_t{1} << 30;
  } else {
    return bad("unknown unit \"" + text.substr(i) + "\" (use K, M or G)");
  }
  if (value == 0) return bad("must be at least 1 byte");
  if (value > std::numeric_limits<size_t>::max() / multiplier) return bad("too large");
  return value * multiplier;
}

Result<std::vector<size_t>> ParseSizeSweep(const std::string& text) {
  if (text.empty()) return Status::Error("message sizes: empty list");
  std::vector<size_t> sizes;
  size_t dash = text.find('-');
  if (dash != std::string::npos) {
    Result<size_t> from = ParseSize(text.substr(0, dash));
    if (!from.ok()) return from.status();
    Result<size_t> to = ParseSize(text.substr(dash + 1));
    if (!to.ok()) return to.status();
    if (!IsPowerOfTwo(from.value()) || !IsPowerOfTwo(to.value())) {
      return Status::Error("message size range \"" + text +
                           "\": both ends must be powers of two (e.g. 1-8M)");
    }
    if (from.value() > to.value()) {
      return Status::Error("message size range \"" + text + "\": start is larger than end");
    }
    for (size_t s = from.value(); s <= to.value(); s *= 2) {
      sizes.push_back(s);
      if (s > std::numeric_limits<size_t>::max() / 2) break;
    }
    return sizes;
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    Result<size_t> size = ParseSize(item);
    if (!size.ok()) return size.status();
    sizes.push_back(size.value());
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return sizes;
}

std::string FormatSize(size_t bytes) {
  if (bytes >= (size_t{1} << 30) && bytes % (size_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "G";
  if (bytes >= (size_t{1} << 20) && bytes % (size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes >= (size_t{1} << 10) && bytes % (size_t{1} << 10) == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

}  // namespace bench
