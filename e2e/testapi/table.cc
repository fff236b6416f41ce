// Table output (Accept: application/json;as=Table;g=meta.k8s.io;v=v1), which
// `kubectl get` asks for: columns from a CRD's additionalPrinterColumns, or
// Name and Age for kinds without them.
#include <chrono>
#include <ctime>

#include "e2e/testapi/api.h"
#include "e2e/testapi/jsonpath.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

// kube's HumanDuration: "45s", "5m10s", "3h", "2d".
std::string HumanAge(const std::string& timestamp) {
  std::tm tm{};
  if (!strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return "<unknown>";
  auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  long s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - then).count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  long m = s / 60;
  if (m < 10) return std::to_string(m) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
  if (m < 180) return std::to_string(m) + "m";
  long h = m / 60;
  if (h < 48) return std::to_string(h) + "h";
  long d = h / 24;
  if (d < 730) return std::to_string(d) + "d";
  return std::to_string(d / 365) + "y";
}

json Cell(const json& object, const json& column) {
  std::string err;
  auto values = EvalJsonPath(object, column.value("jsonPath", ""), &err);
  if (!values || values->empty()) return nullptr;
  const json& v = values->front();
  std::string type = column.value("type", "string");
  if (type == "date" && v.is_string()) return HumanAge(v.get<std::string>());
  if (type == "integer" || type == "number" || type == "boolean") return v;
  if (v.is_string()) return v;
  if (values->size() > 1) {
    std::string joined;
    for (const auto& e : *values) joined += (joined.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
    return joined;
  }
  return v.dump();
}

}  // namespace

bool Api::WantsTable(const Request& r) const { return r.accept.find("as=Table") != std::string::npos; }

Response Api::TableResponse(const Request& r, const ResourceType& t, const std::vector<ObjectPtr>& objs,
                            const std::string& rv, const std::string& cont) const {
  json cols = json::array();
  cols.push_back({{"name", "Name"},
                  {"type", "string"},
                  {"format", "name"},
                  {"description", "Name must be unique within a namespace."},
                  {"priority", 0}});
  json printer = t.printer_columns;
  if (printer.empty())
    printer = json::array({{{"name", "Age"}, {"type", "date"}, {"jsonPath", ".metadata.creationTimestamp"},
                            {"description", "Time since the object was created."}}});
  for (const auto& c : printer)
    cols.push_back({{"name", c.value("name", "")},
                    {"type", c.value("type", "string")},
                    {"format", c.value("format", "")},
                    {"description", c.value("description", "")},
                    {"priority", c.value("priority", 0)}});

  std::string include = "Metadata";
  if (auto it = r.query.find("includeObject"); it != r.query.end()) include = it->second;
  json rows = json::array();
  for (const auto& o : objs) {
    json obj = Present(t, *o);
    json cells = json::array({obj["metadata"].value("name", "")});
    for (const auto& c : printer) cells.push_back(Cell(obj, c));
    json row = {{"cells", cells}};
    if (include == "Object") {
      row["object"] = obj;
    } else if (include != "None") {
      row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", obj["metadata"]}};
    }
    rows.push_back(row);
  }
  json meta = {{"resourceVersion", rv}};
  if (!cont.empty()) meta["continue"] = cont;
  Response resp;
  resp.body = json{{"kind", "Table"},
                   {"apiVersion", "meta.k8s.io/v1"},
                   {"metadata", meta},
                   {"columnDefinitions", cols},
                   {"rows", rows}}
                  .dump();
  return resp;
}

}  // namespace testapi
