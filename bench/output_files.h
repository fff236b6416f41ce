// Writes a Report where the command line asked: the table on stdout (unless
// --quiet), JSON (--json, "-" for stdout), CSV (--csv) and the two SVG
// charts (--svg PREFIX). Errors name the file.
#pragma once

#include <ostream>

#include "bench/options.h"
#include "bench/report.h"
#include "bench/status.h"

namespace bench {

Status WriteOutputs(const Report& report, const Options& options, std::ostream& stdout_stream);

}  // namespace bench
