#include "kube/store.h"

#include "kube/resource.h"

namespace kube {

Store::Store(bool packed) : packed_(packed) {
  indexes_[kNamespaceIndex].fn = [](const nlohmann::json& o) { return std::vector<std::string>{NamespaceOf(o)}; };
  indexes_[kLabelIndex].fn = [](const nlohmann::json& o) {
    std::vector<std::string> out;
    if (o.contains("metadata") && o["metadata"].contains("labels") && o["metadata"]["labels"].is_object())
      for (const auto& [k, v] : o["metadata"]["labels"].items())
        if (v.is_string()) out.push_back(k + "=" + v.get<std::string>());
    return out;
  };
}

Store::Entry Store::Pack(ObjectPtr obj) const {
  if (!packed_) return {std::move(obj), nullptr};
  std::vector<std::uint8_t> cbor = nlohmann::json::to_cbor(*obj);
  cbor.shrink_to_fit();  // the encoder grows it by doubling
  return {nullptr, std::make_shared<const std::vector<std::uint8_t>>(std::move(cbor))};
}

ObjectPtr Store::Unpack(const Entry& e) {
  if (!e.cbor) return e.object;
  return std::make_shared<const nlohmann::json>(nlohmann::json::from_cbor(*e.cbor));
}

std::vector<ObjectPtr> Store::Unpack(const std::vector<Entry>& entries) {
  std::vector<ObjectPtr> out;
  out.reserve(entries.size());
  for (const Entry& e : entries) out.push_back(Unpack(e));
  return out;
}

void Store::IndexLocked(const std::string& key, const nlohmann::json& obj, bool add) {
  for (auto& [name, idx] : indexes_) {
    for (const auto& v : idx.fn(obj)) {
      if (add) {
        idx.keys_by_value[v].insert(key);
      } else if (auto it = idx.keys_by_value.find(v); it != idx.keys_by_value.end()) {
        it->second.erase(key);
        if (it->second.empty()) idx.keys_by_value.erase(it);
      }
    }
  }
}

void Store::AddIndex(const std::string& name, IndexFunc fn) {
  std::lock_guard<std::mutex> lock(mu_);
  Index idx;
  idx.fn = std::move(fn);
  for (const auto& [key, entry] : items_)
    for (const auto& v : idx.fn(*Unpack(entry))) idx.keys_by_value[v].insert(key);
  indexes_[name] = std::move(idx);
}

ObjectPtr Store::Get(const std::string& key) const {
  Entry entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = items_.find(key);
    if (it == items_.end()) return nullptr;
    entry = it->second;
  }
  return Unpack(entry);
}

std::vector<ObjectPtr> Store::List() const {
  std::vector<Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries.reserve(items_.size());
    for (const auto& [k, v] : items_) entries.push_back(v);
  }
  return Unpack(entries);
}

std::vector<ObjectPtr> Store::List(const std::string& ns, const LabelSelector& selector) const {
  std::vector<Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ns.empty()) {
      entries.reserve(items_.size());
      for (const auto& [k, v] : items_) entries.push_back(v);
    } else {
      const auto& by_ns = indexes_.at(kNamespaceIndex).keys_by_value;
      if (auto it = by_ns.find(ns); it != by_ns.end())
        for (const auto& k : it->second) entries.push_back(items_.at(k));
    }
  }
  std::vector<ObjectPtr> out;
  for (ObjectPtr& o : Unpack(entries)) {
    const auto& meta = (*o)["metadata"];
    if (selector.Matches(meta.contains("labels") ? meta["labels"] : nlohmann::json())) out.push_back(std::move(o));
  }
  return out;
}

std::vector<ObjectPtr> Store::ByIndex(const std::string& index, const std::string& value) const {
  std::vector<Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto idx = indexes_.find(index);
    if (idx == indexes_.end()) return {};
    auto it = idx->second.keys_by_value.find(value);
    if (it == idx->second.keys_by_value.end()) return {};
    for (const auto& k : it->second) entries.push_back(items_.at(k));
  }
  return Unpack(entries);
}

std::vector<std::string> Store::Keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [k, v] : items_) out.push_back(k);
  return out;
}

size_t Store::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

ObjectPtr Store::Upsert(ObjectPtr obj) {
  std::string key = KeyOf(*obj);
  Entry entry = Pack(obj);
  std::lock_guard<std::mutex> lock(mu_);
  ObjectPtr old;
  if (auto it = items_.find(key); it != items_.end()) {
    old = Unpack(it->second);
    IndexLocked(key, *old, false);
  }
  IndexLocked(key, *obj, true);
  items_[key] = std::move(entry);
  return old;
}

ObjectPtr Store::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = Unpack(it->second);
  IndexLocked(key, *old, false);
  items_.erase(it);
  return old;
}

}  // namespace kube
