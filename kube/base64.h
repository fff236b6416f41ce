// Standard base64 (RFC 4648, with padding), as kubeconfig's *-data fields
// and HTTP basic authentication use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kube {

std::string EncodeBase64(std::string_view bytes);
// nullopt unless text is whole base64 (padding included). Line breaks are
// ignored, as Go's decoder ignores them (wrapped data); nothing else is.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace kube
