#include "api/guid.h"

namespace api {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<uint64_t> ParseGuid(std::string_view text) {
  if (text.size() != 23) return std::nullopt;
  uint64_t v = 0;
  for (size_t byte = 0; byte < 8; ++byte) {
    size_t at = byte * 3;
    if (byte > 0 && text[at - 1] != ':') return std::nullopt;
    int hi = HexDigit(text[at]);
    int lo = HexDigit(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    v = (v << 8) | static_cast<uint64_t>(hi * 16 + lo);
  }
  return v;
}

std::string FormatGuid(uint64_t guid) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(23);
  for (int byte = 7; byte >= 0; --byte) {
    unsigned b = (guid >> (byte * 8)) & 0xff;
    if (byte != 7) out += ':';
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace api
