// kube::Store is an informer's in-memory cache: objects by key
// ("namespace/name"), with indexes by namespace, by label ("key=value") and
// by any function the caller adds, so controllers read from memory instead
// of the API server. Objects are immutable shared_ptrs: a reader keeps its
// snapshot even while the store moves on.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/labels.h"

namespace kube {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

class Store {
 public:
  // Index values for an object; an object may appear under several values.
  using IndexFunc = std::function<std::vector<std::string>(const nlohmann::json&)>;
  static constexpr const char* kNamespaceIndex = "namespace";
  static constexpr const char* kLabelIndex = "label";  // values "key=value"

  Store();

  // Adds an index and indexes existing objects. Replaces one of that name.
  void AddIndex(const std::string& name, IndexFunc fn);

  // nullptr if there is no object with that key.
  ObjectPtr Get(const std::string& key) const;
  std::vector<ObjectPtr> List() const;
  // Objects in ns ("" = all namespaces) whose labels match selector.
  std::vector<ObjectPtr> List(const std::string& ns, const LabelSelector& selector) const;
  // Objects whose index `index` yields `value`; empty for an unknown index.
  std::vector<ObjectPtr> ByIndex(const std::string& index, const std::string& value) const;
  std::vector<std::string> Keys() const;
  size_t Size() const;

  // Writers (the informer). Each returns the previous object or nullptr.
  ObjectPtr Upsert(ObjectPtr obj);
  ObjectPtr Remove(const std::string& key);

 private:
  void IndexLocked(const std::string& key, const nlohmann::json& obj, bool add);

  mutable std::mutex mu_;  // guards items_ and indexes_
  std::unordered_map<std::string, ObjectPtr> items_;
  struct Index {
    IndexFunc fn;
    std::unordered_map<std::string, std::set<std::string>> keys_by_value;
  };
  std::map<std::string, Index> indexes_;
};

}  // namespace kube
