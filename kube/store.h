// kube::Store is an informer's in-memory cache: objects by key
// ("namespace/name"), with indexes by namespace, by label ("key=value") and
// by any function the caller adds, so controllers read from memory instead
// of the API server. Objects are immutable shared_ptrs: a reader keeps its
// snapshot even while the store moves on.
//
// A packed store keeps each object as CBOR bytes and parses it again on
// every read. An nlohmann::json tree takes about eight times the object's
// serialized size (a std::map node and a heap string per field), so for a
// cache of many small objects — a Node and an RdmaNodeState per node —
// packing takes a fraction of the memory (an RdmaNodeState: 8.6 KB as a
// tree, 0.9 KB packed), for a parse on each Get, List and ByIndex (about
// 12 us for such a 1 KB object). Each read then returns a fresh copy: keep
// the ObjectPtr, not a reference into it, for as long as you use it.
#pragma once

#include <cstdint>
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

  // packed: keep objects as CBOR (see above) instead of as JSON trees.
  explicit Store(bool packed = false);

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
  // One cached object: the tree, or (packed store) its CBOR bytes.
  struct Entry {
    ObjectPtr object;
    std::shared_ptr<const std::vector<std::uint8_t>> cbor;
  };
  Entry Pack(ObjectPtr obj) const;
  // The object of an entry; parses a packed one. Readers call it outside
  // mu_; Upsert and Remove parse the one old object under it, to un-index it.
  static ObjectPtr Unpack(const Entry& e);
  static std::vector<ObjectPtr> Unpack(const std::vector<Entry>& entries);
  void IndexLocked(const std::string& key, const nlohmann::json& obj, bool add);

  const bool packed_;
  mutable std::mutex mu_;  // guards items_ and indexes_
  std::unordered_map<std::string, Entry> items_;
  struct Index {
    IndexFunc fn;
    std::unordered_map<std::string, std::set<std::string>> keys_by_value;
  };
  std::map<std::string, Index> indexes_;
};

}  // namespace kube
