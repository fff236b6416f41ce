#include "e2e/testapi/protobuf.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

#include "kube/base64.h"

namespace testapi {

using json = nlohmann::json;

namespace {

// ---- Wire format ----------------------------------------------------------

enum WireType : int { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// One field as it appears on the wire: a varint value, or the bytes of a
// length-delimited value (fixed-width values are skipped, none of the supported
// messages uses them).
struct WireField {
  uint32_t number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Reads the fields of one message in order. Every read is bounds-checked; on
// malformed input Next returns false and sets *error.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ >= data_.size(); }

  bool Next(WireField* f, std::string* error) {
    uint64_t tag = 0;
    if (!Varint(&tag, error)) return false;
    uint64_t number = tag >> 3;
    f->wire_type = static_cast<int>(tag & 7);
    if (number == 0 || number > 536870911) {
      *error = "invalid field number " + std::to_string(number) + " at byte " + std::to_string(start_);
      return false;
    }
    f->number = static_cast<uint32_t>(number);
    f->varint = 0;
    f->bytes = {};
    switch (f->wire_type) {
      case kVarint:
        return Varint(&f->varint, error);
      case kFixed64:
        return Skip(8, f->number, error);
      case kFixed32:
        return Skip(4, f->number, error);
      case kLengthDelimited: {
        uint64_t len = 0;
        if (!Varint(&len, error)) return false;
        if (len > data_.size() - pos_) {
          *error = "field " + std::to_string(f->number) + ": length " + std::to_string(len) +
                   " runs past the end of the message (" + std::to_string(data_.size() - pos_) + " bytes left)";
          return false;
        }
        f->bytes = data_.substr(pos_, len);
        pos_ += len;
        return true;
      }
      default:
        *error = "field " + std::to_string(f->number) + ": unsupported wire type " + std::to_string(f->wire_type);
        return false;
    }
  }

 private:
  bool Varint(uint64_t* value, std::string* error) {
    start_ = pos_;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= data_.size()) {
        *error = "truncated varint at byte " + std::to_string(start_);
        return false;
      }
      auto b = static_cast<unsigned char>(data_[pos_++]);
      if (shift == 63 && b > 1) break;  // the 10th byte may only carry the top bit
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *value = v;
        return true;
      }
    }
    *error = "varint longer than 64 bits at byte " + std::to_string(start_);
    return false;
  }

  bool Skip(size_t n, uint32_t number, std::string* error) {
    if (n > data_.size() - pos_) {
      *error = "field " + std::to_string(number) + ": fixed-width value runs past the end of the message";
      return false;
    }
    pos_ += n;
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
  size_t start_ = 0;
};

// ---- Message tables ---------------------------------------------------------

enum class Type {
  kString,       // string; also Go string aliases (casttype)
  kInt64,        // int64 varint
  kBool,         // bool varint
  kStringList,   // repeated string
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes> -> values base64
  kMessage,      // nested message -> JSON object
  kMessageList,  // repeated message -> JSON array of objects
  kTime,         // k8s.io.apimachinery.pkg.apis.meta.v1.Time -> RFC 3339
};

struct Message;

struct Field {
  uint32_t number;
  const char* json_name;
  Type type;
  // The Go field is a pointer (or has no omitempty), so JSON keeps its zero
  // value: `gracePeriodSeconds: 0` means "now", not "default".
  bool keep_zero = false;
  const Message* message = nullptr;  // for kMessage / kMessageList
};

struct Message {
  const char* name;
  std::vector<Field> fields;
};

constexpr bool kKeep = true;

// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
const Message kOwnerReference{"OwnerReference",
                              {{5, "apiVersion", Type::kString, kKeep},
                               {1, "kind", Type::kString, kKeep},
                               {3, "name", Type::kString, kKeep},
                               {4, "uid", Type::kString, kKeep},
                               {6, "controller", Type::kBool, kKeep},
                               {7, "blockOwnerDeletion", Type::kBool, kKeep}}};

const Message kObjectMeta{"ObjectMeta",
                          {{1, "name", Type::kString},
                           {2, "generateName", Type::kString},
                           {3, "namespace", Type::kString},
                           {4, "selfLink", Type::kString},
                           {5, "uid", Type::kString},
                           {6, "resourceVersion", Type::kString},
                           {7, "generation", Type::kInt64},
                           {8, "creationTimestamp", Type::kTime},
                           {9, "deletionTimestamp", Type::kTime},
                           {10, "deletionGracePeriodSeconds", Type::kInt64, kKeep},
                           {11, "labels", Type::kStringMap},
                           {12, "annotations", Type::kStringMap},
                           {13, "ownerReferences", Type::kMessageList, false, &kOwnerReference},
                           {14, "finalizers", Type::kStringList}}};
// 17 managedFields is deliberately absent (skipped): clients do not send it on create.

const Message kPreconditions{"Preconditions",
                             {{1, "uid", Type::kString, kKeep}, {2, "resourceVersion", Type::kString, kKeep}}};

const Message kDeleteOptions{"DeleteOptions",
                             {{1, "gracePeriodSeconds", Type::kInt64, kKeep},
                              {2, "preconditions", Type::kMessage, false, &kPreconditions},
                              {3, "orphanDependents", Type::kBool, kKeep},
                              {4, "propagationPolicy", Type::kString, kKeep},
                              {5, "dryRun", Type::kStringList}}};

// k8s.io/api/core/v1/generated.proto
const Message kNamespaceSpec{"NamespaceSpec", {{1, "finalizers", Type::kStringList}}};

const Message kNamespaceCondition{"NamespaceCondition",
                                  {{1, "type", Type::kString, kKeep},
                                   {2, "status", Type::kString, kKeep},
                                   {4, "lastTransitionTime", Type::kTime},
                                   {5, "reason", Type::kString},
                                   {6, "message", Type::kString}}};

const Message kNamespaceStatus{"NamespaceStatus",
                               {{1, "phase", Type::kString},
                                {2, "conditions", Type::kMessageList, false, &kNamespaceCondition}}};

const Message kNamespace{"Namespace",
                         {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                          {2, "spec", Type::kMessage, false, &kNamespaceSpec},
                          {3, "status", Type::kMessage, false, &kNamespaceStatus}}};

const Message kConfigMap{"ConfigMap",
                         {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                          {2, "data", Type::kStringMap},
                          {3, "binaryData", Type::kBytesMap},
                          {4, "immutable", Type::kBool, kKeep}}};

const Message kSecret{"Secret",
                      {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                       {2, "data", Type::kBytesMap},
                       {3, "type", Type::kString},
                       {4, "stringData", Type::kStringMap},
                       {5, "immutable", Type::kBool, kKeep}}};

const Message kObjectReference{"ObjectReference",
                               {{1, "kind", Type::kString},
                                {2, "namespace", Type::kString},
                                {3, "name", Type::kString},
                                {4, "uid", Type::kString},
                                {5, "apiVersion", Type::kString},
                                {6, "resourceVersion", Type::kString},
                                {7, "fieldPath", Type::kString}}};

const Message kLocalObjectReference{"LocalObjectReference", {{1, "name", Type::kString}}};

const Message kServiceAccount{"ServiceAccount",
                              {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                               {2, "secrets", Type::kMessageList, false, &kObjectReference},
                               {3, "imagePullSecrets", Type::kMessageList, false, &kLocalObjectReference},
                               {4, "automountServiceAccountToken", Type::kBool, kKeep}}};

// k8s.io/api/policy/v1 (types.go: metadata bytes,1; deleteOptions bytes,2)
const Message kEviction{"Eviction",
                        {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                         {2, "deleteOptions", Type::kMessage, false, &kDeleteOptions}}};

// k8s.io/api/rbac/v1/generated.proto (kubectl create role|clusterrole|rolebinding|clusterrolebinding)
const Message kLabelSelectorRequirement{"LabelSelectorRequirement",
                                        {{1, "key", Type::kString, kKeep},
                                         {2, "operator", Type::kString, kKeep},
                                         {3, "values", Type::kStringList}}};
const Message kLabelSelector{"LabelSelector",
                             {{1, "matchLabels", Type::kStringMap},
                              {2, "matchExpressions", Type::kMessageList, false, &kLabelSelectorRequirement}}};
const Message kPolicyRule{"PolicyRule",
                          {{1, "verbs", Type::kStringList},
                           {2, "apiGroups", Type::kStringList},
                           {3, "resources", Type::kStringList},
                           {4, "resourceNames", Type::kStringList},
                           {5, "nonResourceURLs", Type::kStringList}}};
const Message kAggregationRule{"AggregationRule",
                               {{1, "clusterRoleSelectors", Type::kMessageList, false, &kLabelSelector}}};
const Message kRole{"Role",
                    {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                     {2, "rules", Type::kMessageList, false, &kPolicyRule}}};
const Message kClusterRole{"ClusterRole",
                           {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                            {2, "rules", Type::kMessageList, false, &kPolicyRule},
                            {3, "aggregationRule", Type::kMessage, false, &kAggregationRule}}};
const Message kSubject{"Subject",
                       {{1, "kind", Type::kString, kKeep},
                        {2, "apiGroup", Type::kString},
                        {3, "name", Type::kString, kKeep},
                        {4, "namespace", Type::kString}}};
const Message kRoleRef{"RoleRef",
                       {{1, "apiGroup", Type::kString, kKeep}, {2, "kind", Type::kString, kKeep},
                        {3, "name", Type::kString, kKeep}}};
const Message kRoleBinding{"RoleBinding",
                           {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                            {2, "subjects", Type::kMessageList, false, &kSubject},
                            {3, "roleRef", Type::kMessage, false, &kRoleRef}}};

// k8s.io/api/authorization/v1 and authentication/v1 (kubectl auth can-i, kubectl auth whoami)
const Message kResourceAttributes{"ResourceAttributes",
                                  {{1, "namespace", Type::kString},
                                   {2, "verb", Type::kString},
                                   {3, "group", Type::kString},
                                   {4, "version", Type::kString},
                                   {5, "resource", Type::kString},
                                   {6, "subresource", Type::kString},
                                   {7, "name", Type::kString}}};
const Message kNonResourceAttributes{"NonResourceAttributes",
                                     {{1, "path", Type::kString}, {2, "verb", Type::kString}}};
const Message kSelfSubjectAccessReviewSpec{
    "SelfSubjectAccessReviewSpec",
    {{1, "resourceAttributes", Type::kMessage, false, &kResourceAttributes},
     {2, "nonResourceAttributes", Type::kMessage, false, &kNonResourceAttributes}}};
const Message kSelfSubjectAccessReview{"SelfSubjectAccessReview",
                                       {{1, "metadata", Type::kMessage, false, &kObjectMeta},
                                        {2, "spec", Type::kMessage, false, &kSelfSubjectAccessReviewSpec}}};
const Message kSelfSubjectReview{"SelfSubjectReview", {{1, "metadata", Type::kMessage, false, &kObjectMeta}}};

// The message for an envelope's (apiVersion, kind), or nullptr.
const Message* MessageFor(std::string_view api_version, std::string_view kind) {
  if (api_version == "v1") {
    if (kind == "Namespace") return &kNamespace;
    if (kind == "ConfigMap") return &kConfigMap;
    if (kind == "Secret") return &kSecret;
    if (kind == "ServiceAccount") return &kServiceAccount;
  }
  if (api_version == "policy/v1" && kind == "Eviction") return &kEviction;
  if (api_version == "rbac.authorization.k8s.io/v1") {
    if (kind == "Role") return &kRole;
    if (kind == "ClusterRole") return &kClusterRole;
    if (kind == "RoleBinding" || kind == "ClusterRoleBinding") return &kRoleBinding;
  }
  if (api_version == "authorization.k8s.io/v1" && kind == "SelfSubjectAccessReview") return &kSelfSubjectAccessReview;
  if (api_version == "authentication.k8s.io/v1" && kind == "SelfSubjectReview") return &kSelfSubjectReview;
  // client-go labels a DELETE body with the target resource's group version.
  if (kind == "DeleteOptions") return &kDeleteOptions;
  return nullptr;
}

// ---- Decoding ---------------------------------------------------------------

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;  // continuation bytes
    uint32_t cp;
    if (c < 0x80) {
      n = 0, cp = c;
    } else if ((c >> 5) == 6) {
      n = 1, cp = c & 0x1f;
    } else if ((c >> 4) == 14) {
      n = 2, cp = c & 0x0f;
    } else if ((c >> 3) == 30) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

// Go's time.Time{} (the zero Time) as Unix seconds: 0001-01-01T00:00:00Z.
constexpr int64_t kZeroTimeSeconds = -62135596800;
constexpr int64_t kMaxTimeSeconds = 253402300799;  // 9999-12-31T23:59:59Z

class Decoder {
 public:
  explicit Decoder(std::string* error) : error_(error) {}

  bool DecodeMessage(const Message& m, std::string_view data, const std::string& path, json* out) {
    if (!out->is_object()) *out = json::object();
    WireReader reader(data);
    WireField f;
    while (!reader.AtEnd()) {
      std::string wire_error;
      if (!reader.Next(&f, &wire_error)) return Fail(path.empty() ? m.name : path, wire_error);
      const Field* spec = nullptr;
      for (const auto& field : m.fields)
        if (field.number == f.number) spec = &field;
      if (spec == nullptr) continue;  // unknown field: skipped, as proto2 parsers do
      std::string field_path = (path.empty() ? "" : path + ".") + spec->json_name;
      if (!DecodeField(*spec, f, field_path, out)) return false;
    }
    return true;
  }

 private:
  bool Fail(const std::string& where, const std::string& what) {
    *error_ = where + ": " + what;
    return false;
  }

  static bool IsVarintType(Type t) { return t == Type::kInt64 || t == Type::kBool; }

  bool String(std::string_view bytes, const std::string& path, std::string* out) {
    if (!ValidUtf8(bytes)) return Fail(path, "string is not valid UTF-8");
    *out = std::string(bytes);
    return true;
  }

  bool DecodeField(const Field& spec, const WireField& f, const std::string& path, json* out) {
    int expected = IsVarintType(spec.type) ? kVarint : kLengthDelimited;
    if (f.wire_type != expected)
      return Fail(path, "field " + std::to_string(f.number) + " has wire type " + std::to_string(f.wire_type) +
                            ", expected " + std::to_string(expected));
    json& obj = *out;
    const char* name = spec.json_name;
    switch (spec.type) {
      case Type::kString: {
        std::string s;
        if (!String(f.bytes, path, &s)) return false;
        if (s.empty() && !spec.keep_zero)
          obj.erase(name);
        else
          obj[name] = std::move(s);
        return true;
      }
      case Type::kInt64: {
        auto v = static_cast<int64_t>(f.varint);
        if (v == 0 && !spec.keep_zero)
          obj.erase(name);
        else
          obj[name] = v;
        return true;
      }
      case Type::kBool: {
        bool v = f.varint != 0;
        if (!v && !spec.keep_zero)
          obj.erase(name);
        else
          obj[name] = v;
        return true;
      }
      case Type::kStringList: {
        std::string s;
        if (!String(f.bytes, path, &s)) return false;
        if (!obj.contains(name)) obj[name] = json::array();
        obj[name].push_back(std::move(s));
        return true;
      }
      case Type::kStringMap:
      case Type::kBytesMap:
        return MapEntry(f.bytes, spec.type == Type::kBytesMap, path, &obj[name]);
      case Type::kMessage:
        return DecodeMessage(*spec.message, f.bytes, path, &obj[name]);
      case Type::kMessageList: {
        if (!obj.contains(name)) obj[name] = json::array();
        json item = json::object();
        std::string item_path = path + "[" + std::to_string(obj[name].size()) + "]";
        if (!DecodeMessage(*spec.message, f.bytes, item_path, &item)) return false;
        obj[name].push_back(std::move(item));
        return true;
      }
      case Type::kTime: {
        std::optional<std::string> t;
        if (!Time(f.bytes, path, &t)) return false;
        if (t)
          obj[name] = *t;
        else
          obj.erase(name);
        return true;
      }
    }
    return Fail(path, "internal error: unhandled field type");
  }

  // A map entry is a message {1: key, 2: value}; a missing key or value is "".
  bool MapEntry(std::string_view data, bool bytes_value, const std::string& path, json* out) {
    if (!out->is_object()) *out = json::object();
    std::string key, value;
    WireReader reader(data);
    WireField f;
    while (!reader.AtEnd()) {
      std::string wire_error;
      if (!reader.Next(&f, &wire_error)) return Fail(path, "map entry: " + wire_error);
      if (f.number != 1 && f.number != 2) continue;
      if (f.wire_type != kLengthDelimited)
        return Fail(path, "map entry field " + std::to_string(f.number) + " has wire type " +
                              std::to_string(f.wire_type) + ", expected 2");
      if (f.number == 1) {
        if (!String(f.bytes, path + " key", &key)) return false;
      } else if (bytes_value) {
        value = kube::EncodeBase64(f.bytes);
      } else if (!String(f.bytes, path + "[" + key + "]", &value)) {
        return false;
      }
    }
    (*out)[key] = value;
    return true;
  }

  // meta/v1 Time {1 seconds int64, 2 nanos int32}. JSON carries whole seconds
  // only (as metav1.Time does). Empty or the zero Time -> nullopt (omitted).
  bool Time(std::string_view data, const std::string& path, std::optional<std::string>* out) {
    int64_t seconds = 0;
    bool has_seconds = false;
    WireReader reader(data);
    WireField f;
    while (!reader.AtEnd()) {
      std::string wire_error;
      if (!reader.Next(&f, &wire_error)) return Fail(path, wire_error);
      if (f.number != 1 && f.number != 2) continue;
      if (f.wire_type != kVarint)
        return Fail(path, "time field " + std::to_string(f.number) + " has wire type " +
                              std::to_string(f.wire_type) + ", expected 0");
      if (f.number == 1) {
        seconds = static_cast<int64_t>(f.varint);
        has_seconds = true;
      }
    }
    if (!has_seconds || seconds == kZeroTimeSeconds) {
      out->reset();
      return true;
    }
    if (seconds < kZeroTimeSeconds || seconds > kMaxTimeSeconds)
      return Fail(path, "time " + std::to_string(seconds) + " seconds is outside years 1..9999");
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) return Fail(path, "time " + std::to_string(seconds) + " cannot be represented");
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    *out = std::string(buf);
    return true;
  }

  std::string* error_;
};

struct Envelope {
  std::string api_version, kind, content_encoding, content_type;
  std::string_view raw;
};

bool DecodeEnvelope(std::string_view data, Envelope* env, std::string* error) {
  WireReader reader(data);
  WireField f;
  while (!reader.AtEnd()) {
    if (!reader.Next(&f, error)) return false;
    if (f.number < 1 || f.number > 4) continue;
    if (f.wire_type != kLengthDelimited) {
      *error = "runtime.Unknown field " + std::to_string(f.number) + " has wire type " + std::to_string(f.wire_type) +
               ", expected 2";
      return false;
    }
    switch (f.number) {
      case 1: {  // typeMeta {1 apiVersion, 2 kind}
        WireReader tm(f.bytes);
        WireField t;
        while (!tm.AtEnd()) {
          if (!tm.Next(&t, error)) {
            *error = "typeMeta: " + *error;
            return false;
          }
          if (t.number != 1 && t.number != 2) continue;
          if (t.wire_type != kLengthDelimited) {
            *error = "typeMeta field " + std::to_string(t.number) + " has wire type " + std::to_string(t.wire_type) +
                     ", expected 2";
            return false;
          }
          if (!ValidUtf8(t.bytes)) {
            *error = "typeMeta field " + std::to_string(t.number) + " is not valid UTF-8";
            return false;
          }
          (t.number == 1 ? env->api_version : env->kind) = std::string(t.bytes);
        }
        break;
      }
      case 2:
        env->raw = f.bytes;
        break;
      case 3:
        env->content_encoding = std::string(f.bytes);
        break;
      case 4:
        env->content_type = std::string(f.bytes);
        break;
    }
  }
  return true;
}

}  // namespace

std::optional<json> DecodeKubernetesProtobuf(std::string_view body, std::string* error) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, kMagic.size()) != kMagic) {
    *error = "protobuf request body does not start with the Kubernetes magic \"k8s\\0\"";
    return std::nullopt;
  }
  Envelope env;
  std::string why;
  if (!DecodeEnvelope(body.substr(kMagic.size()), &env, &why)) {
    *error = "decode protobuf envelope (runtime.Unknown): " + why;
    return std::nullopt;
  }
  std::string what = env.api_version.empty() && env.kind.empty()
                         ? std::string("object with no apiVersion/kind")
                         : (env.api_version.empty() ? "" : env.api_version + " ") + env.kind;
  const Message* message = MessageFor(env.api_version, env.kind);
  if (message == nullptr) {
    *error = "kube-testapi does not decode protobuf " + what +
             " request bodies (it decodes v1 Namespace, ConfigMap, Secret, ServiceAccount, policy/v1 Eviction, "
             "DeleteOptions, the rbac.authorization.k8s.io/v1 kinds, SelfSubjectAccessReview and SelfSubjectReview); send application/json or application/yaml (with kubectl: "
             "`kubectl create ... --dry-run=client -o yaml | kubectl apply -f -`)";
    return std::nullopt;
  }
  if (!env.content_encoding.empty()) {
    *error = "decode protobuf " + what + ": unsupported contentEncoding \"" + env.content_encoding + "\"";
    return std::nullopt;
  }
  if (!env.content_type.empty() && env.content_type.find("protobuf") == std::string::npos) {
    *error = "decode protobuf " + what + ": raw object has contentType \"" + env.content_type + "\", not protobuf";
    return std::nullopt;
  }
  json out = json::object();
  Decoder decoder(&why);
  if (!decoder.DecodeMessage(*message, env.raw, "", &out)) {
    *error = "decode protobuf " + what + ": " + why;
    return std::nullopt;
  }
  if (!env.api_version.empty()) out["apiVersion"] = env.api_version;
  out["kind"] = env.kind;
  return out;
}

}  // namespace testapi
