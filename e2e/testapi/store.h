// The object store behind kube-testapi: every object by storage key,
// namespace and name; one cluster-wide resourceVersion counter; a bounded
// history of changes for watches; and optional persistence to a data
// directory (a snapshot plus an append-only journal) so a restart keeps
// objects and resourceVersions.
//
// Single-threaded: the server runs all requests on one event loop, so the
// store needs no locks. Watchers are called synchronously after each write.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace testapi {

using json = nlohmann::json;
using ObjectPtr = std::shared_ptr<const json>;

enum class EventType { kAdded, kModified, kDeleted };

// One committed change. `object` is the object after the change (for
// deletions: the last state, with the deletion's resourceVersion); `old` is
// the object before (null for additions).
struct Change {
  EventType type;
  std::string storage;
  uint64_t rv;
  ObjectPtr object;
  ObjectPtr old;
};

class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  virtual void OnChange(const Change& change) = 0;
};

class Store {
 public:
  // history_size: how many changes watches can resume from; older
  // resourceVersions answer 410 Expired.
  explicit Store(size_t history_size);
  ~Store();

  // Loads the data directory (creating it if needed) and journals every
  // later write to it. Returns an error message on failure.
  std::optional<std::string> OpenDataDir(const std::filesystem::path& dir);
  // Writes a fresh snapshot and truncates the journal.
  void Checkpoint();

  uint64_t CurrentRv() const { return rv_; }

  ObjectPtr Get(const std::string& storage, const std::string& ns, const std::string& name) const;
  // Objects of one storage key, ordered by namespace then name. `ns` empty:
  // all namespaces.
  std::vector<ObjectPtr> List(const std::string& storage, const std::string& ns = "") const;
  // Every storage key that holds objects.
  std::vector<std::string> StorageKeys() const;

  // Commits a new object (metadata.resourceVersion is set here) and tells
  // listeners. The caller has checked the name is free.
  ObjectPtr Create(const std::string& storage, json object);
  // Replaces `old` with `object`, assigning a new resourceVersion.
  ObjectPtr Update(const std::string& storage, json object, const ObjectPtr& old);
  // Removes an object; the DELETED change carries `last` with a new
  // resourceVersion.
  ObjectPtr Delete(const std::string& storage, const ObjectPtr& last);

  // The lowest resourceVersion a watch of `storage` can start from; older
  // ones are expired (compacted, or from before the type was served).
  uint64_t OldestWatchableRv(const std::string& storage) const;
  // Marks the start of a storage key's watch history (a CRD established).
  void StartHistory(const std::string& storage);
  // Changes of `storage` with rv > since, oldest first.
  std::vector<Change> ChangesSince(const std::string& storage, uint64_t since) const;
  // Forgets all history: every earlier resourceVersion becomes expired.
  void Compact();

  void AddListener(ChangeListener* listener) { listeners_.insert(listener); }
  void RemoveListener(ChangeListener* listener) { listeners_.erase(listener); }

 private:
  static std::string Key(const std::string& ns, const std::string& name);
  void Commit(Change change);
  void Journal(const Change& change);
  void Replay(const json& record);

  size_t history_size_;
  uint64_t rv_ = 0;
  uint64_t compacted_rv_ = 0;  // changes at or below this rv are gone
  std::map<std::string, std::map<std::string, ObjectPtr>> objects_;  // storage -> ns/name -> object
  std::map<std::string, uint64_t> history_start_;                   // storage -> first watchable rv
  std::deque<Change> history_;
  std::set<ChangeListener*> listeners_;

  std::optional<std::filesystem::path> data_dir_;
  std::ofstream journal_;
  size_t journal_records_ = 0;
};

}  // namespace testapi
