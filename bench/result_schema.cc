#include "bench/result_schema.h"

#include "bench/json_schema.h"

namespace bench {
namespace {

constexpr const char* kSchemaText = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://rdma.dev/schemas/rdma-bench/v1.json",
  "title": "rdma-bench result, version 1",
  "type": "object",
  "required": ["schema", "tool", "run", "results"],
  "properties": {
    "schema": {"const": "rdma-bench/v1"},
    "tool": {
      "type": "object",
      "required": ["name", "version"],
      "properties": {"name": {"const": "rdma-bench"}, "version": {"type": "string"}}
    },
    "run": {
      "type": "object",
      "required": ["started_at", "client_host", "server_host", "server_address", "transport", "duration_s", "repeat"],
      "properties": {
        "started_at": {"type": "string"},
        "client_host": {"type": "string"},
        "server_host": {"type": "string"},
        "server_address": {"type": "string"},
        "transport": {"enum": ["tcp", "rdma", "rsocket"]},
        "rdma_op": {"enum": ["send", "write"]},
        "duration_s": {"type": "number", "minimum": 0},
        "repeat": {"type": "integer", "minimum": 1}
      }
    },
    "results": {
      "type": "array",
      "items": {
        "oneOf": [
          {
            "type": "object",
            "required": ["test", "msg_size", "streams", "goodput_bps", "bytes", "cpu"],
            "properties": {
              "test": {"const": "stream"},
              "msg_size": {"type": "integer", "minimum": 1},
              "streams": {"type": "integer", "minimum": 1},
              "goodput_bps": {
                "type": "object",
                "required": ["median", "min", "max", "samples"],
                "properties": {
                  "median": {"type": "number", "minimum": 0},
                  "min": {"type": "number", "minimum": 0},
                  "max": {"type": "number", "minimum": 0},
                  "samples": {"type": "array", "items": {"type": "number", "minimum": 0}}
                }
              },
              "bytes": {"type": "integer", "minimum": 0},
              "cpu": {"$ref": "#/$defs/cpu_stream"}
            }
          },
          {
            "type": "object",
            "required": ["test", "msg_size", "warmup", "rtt_us", "transactions_per_s", "histogram", "cdf", "cpu"],
            "properties": {
              "test": {"const": "rr"},
              "msg_size": {"type": "integer", "minimum": 1},
              "warmup": {"type": "integer", "minimum": 0},
              "rtt_us": {"$ref": "#/$defs/percentiles"},
              "transactions_per_s": {"type": "number", "minimum": 0},
              "histogram": {
                "type": "array",
                "items": {"type": "object", "required": ["le_us", "count"],
                          "properties": {"le_us": {"type": "number"}, "count": {"type": "integer", "minimum": 1}}}
              },
              "cdf": {"type": "array", "items": {"type": "array", "items": {"type": "number", "minimum": 0}}},
              "cpu": {"type": "object"}
            }
          },
          {
            "type": "object",
            "required": ["test", "parallel_clients", "connections", "connect_us", "close_us", "connections_per_s", "cpu"],
            "properties": {
              "test": {"const": "connect"},
              "parallel_clients": {"type": "integer", "minimum": 1},
              "connections": {"type": "integer", "minimum": 1},
              "connect_us": {"$ref": "#/$defs/percentiles"},
              "close_us": {"$ref": "#/$defs/percentiles"},
              "connections_per_s": {"type": "number", "minimum": 0},
              "cpu": {"type": "object"}
            }
          }
        ]
      }
    }
  },
  "$defs": {
    "percentiles": {
      "type": "object",
      "required": ["count", "min", "mean", "p50", "p90", "p99", "p99_9", "max"],
      "properties": {
        "count": {"type": "integer", "minimum": 0},
        "min": {"type": "number", "minimum": 0}, "mean": {"type": "number", "minimum": 0},
        "p50": {"type": "number", "minimum": 0}, "p90": {"type": "number", "minimum": 0},
        "p99": {"type": "number", "minimum": 0}, "p99_9": {"type": "number", "minimum": 0},
        "max": {"type": "number", "minimum": 0}
      }
    },
    "cpu_stream": {
      "type": "object",
      "required": ["client", "server", "client_ns_per_byte", "server_ns_per_byte"]
    }
  }
})json";

// Inlines "$ref": "#/$defs/name" so the checker needs no reference support.
nlohmann::json Resolve(const nlohmann::json& node, const nlohmann::json& defs) {
  if (node.is_object()) {
    if (node.contains("$ref")) {
      std::string ref = node["$ref"].get<std::string>();
      return Resolve(defs.at(ref.substr(std::string("#/$defs/").size())), defs);
    }
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : node.items()) out[key] = Resolve(value, defs);
    return out;
  }
  if (node.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& value : node) out.push_back(Resolve(value, defs));
    return out;
  }
  return node;
}

}  // namespace

const nlohmann::json& ResultSchema() {
  static const nlohmann::json schema = nlohmann::json::parse(kSchemaText);
  return schema;
}

Status ValidateResult(const nlohmann::json& doc) {
  static const nlohmann::json resolved = Resolve(ResultSchema(), ResultSchema()["$defs"]);
  return ValidateJson(doc, resolved);
}

}  // namespace bench
