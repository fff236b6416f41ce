// rdma-bench: RDMA vs TCP benchmark. main() parses flags and wires the parts;
// everything else lives in the bench library.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/client.h"
#include "bench/options.h"
#include "bench/output_files.h"
#include "bench/result_schema.h"
#include "bench/server.h"
#include "bench/transport_factory.h"

namespace {

int Validate(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "rdma-bench validate: cannot read " << path << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) {
    std::cerr << "rdma-bench validate: " << path << " is not JSON\n";
    return 1;
  }
  bench::Status st = bench::ValidateResult(doc);
  if (!st.ok()) {
    std::cerr << "rdma-bench validate: " << path << ": " << st.message() << "\n";
    return 1;
  }
  std::cout << path << ": valid " << bench::kSchemaVersion << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bench::Result<bench::Options> options = bench::ParseOptions(args);
  if (!options.ok()) {
    std::cerr << "rdma-bench: " << options.status().message() << "\n\n" << bench::Usage();
    return 2;
  }
  const bench::Options& o = options.value();
  switch (o.mode) {
    case bench::Mode::kHelp:
      std::cout << bench::Usage();
      return 0;
    case bench::Mode::kSchema:
      std::cout << bench::ResultSchema().dump(2) << "\n";
      return 0;
    case bench::Mode::kValidate:
      return Validate(o.validate_path);
    case bench::Mode::kServer: {
      bench::TransportFactory factory;
      bench::BenchServer server(o, factory);
      bench::Status st = server.Run();
      if (!st.ok()) {
        std::cerr << "rdma-bench server: " << st.message() << "\n";
        return 1;
      }
      return 0;
    }
    case bench::Mode::kClient: {
      bench::TransportFactory factory;
      auto progress = [&](const std::string& line) {
        if (!o.quiet) std::cerr << line << "\n";
      };
      bench::Result<bench::Report> report = bench::RunClient(o, factory, progress);
      if (!report.ok()) {
        std::cerr << "rdma-bench client: " << report.status().message() << "\n";
        return 1;
      }
      bench::Status st = bench::WriteOutputs(report.value(), o, std::cout);
      if (!st.ok()) {
        std::cerr << "rdma-bench client: " << st.message() << "\n";
        return 1;
      }
      return 0;
    }
  }
  return 1;
}
