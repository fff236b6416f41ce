// Base64 (standard alphabet, padded), for continue tokens, kubeconfig data
// fields and Secret values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace testapi {

std::string Base64Encode(std::string_view data);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace testapi
