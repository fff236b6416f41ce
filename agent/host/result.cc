#include "agent/host/result.h"

#include <cstring>

namespace host {

Error SystemError(const std::string& operation, int err) { return Error{operation + ": " + std::strerror(err), err}; }

}  // namespace host
