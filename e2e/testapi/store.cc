#include "e2e/testapi/store.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace testapi {

namespace {
constexpr size_t kCheckpointEvery = 20000;  // journal records between snapshots
}

Store::Store(size_t history_size) : history_size_(history_size) {}

Store::~Store() {
  if (data_dir_) Checkpoint();
}

std::string Store::Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

ObjectPtr Store::Get(const std::string& storage, const std::string& ns, const std::string& name) const {
  auto s = objects_.find(storage);
  if (s == objects_.end()) return nullptr;
  auto it = s->second.find(Key(ns, name));
  return it == s->second.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::List(const std::string& storage, const std::string& ns) const {
  std::vector<ObjectPtr> out;
  auto s = objects_.find(storage);
  if (s == objects_.end()) return out;
  if (ns.empty()) {
    out.reserve(s->second.size());
    for (const auto& [_, o] : s->second) out.push_back(o);
    return out;
  }
  std::string prefix = ns + "/";
  for (auto it = s->second.lower_bound(prefix); it != s->second.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second);
  return out;
}

std::vector<std::string> Store::StorageKeys() const {
  std::vector<std::string> keys;
  for (const auto& [k, m] : objects_)
    if (!m.empty()) keys.push_back(k);
  return keys;
}

static std::string NsOf(const json& o) { return o["metadata"].value("namespace", ""); }
static std::string NameOf(const json& o) { return o["metadata"].value("name", ""); }

ObjectPtr Store::Create(const std::string& storage, json object) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  auto ptr = std::make_shared<const json>(std::move(object));
  objects_[storage][Key(NsOf(*ptr), NameOf(*ptr))] = ptr;
  Commit({EventType::kAdded, storage, rv_, ptr, nullptr});
  return ptr;
}

ObjectPtr Store::Update(const std::string& storage, json object, const ObjectPtr& old) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  auto ptr = std::make_shared<const json>(std::move(object));
  objects_[storage][Key(NsOf(*ptr), NameOf(*ptr))] = ptr;
  Commit({EventType::kModified, storage, rv_, ptr, old});
  return ptr;
}

ObjectPtr Store::Delete(const std::string& storage, const ObjectPtr& last) {
  json object = *last;
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  auto ptr = std::make_shared<const json>(std::move(object));
  objects_[storage].erase(Key(NsOf(*ptr), NameOf(*ptr)));
  Commit({EventType::kDeleted, storage, rv_, ptr, last});
  return ptr;
}

void Store::Commit(Change change) {
  Journal(change);
  history_.push_back(change);
  while (history_.size() > history_size_) {
    compacted_rv_ = history_.front().rv;
    history_.pop_front();
  }
  // Listeners may remove themselves while being called.
  std::vector<ChangeListener*> listeners(listeners_.begin(), listeners_.end());
  for (auto* l : listeners)
    if (listeners_.count(l)) l->OnChange(change);
}

uint64_t Store::OldestWatchableRv(const std::string& storage) const {
  uint64_t oldest = compacted_rv_;
  auto it = history_start_.find(storage);
  if (it != history_start_.end()) oldest = std::max(oldest, it->second);
  return oldest;
}

void Store::StartHistory(const std::string& storage) { history_start_[storage] = rv_; }

std::vector<Change> Store::ChangesSince(const std::string& storage, uint64_t since) const {
  std::vector<Change> out;
  auto it = std::lower_bound(history_.begin(), history_.end(), since + 1,
                             [](const Change& c, uint64_t rv) { return c.rv < rv; });
  for (; it != history_.end(); ++it)
    if (it->storage == storage) out.push_back(*it);
  return out;
}

void Store::Compact() {
  compacted_rv_ = rv_;
  history_.clear();
}

// ---- persistence -----------------------------------------------------------
// snapshot.json: {"rv": N, "objects": [{"s": storage, "o": object}, ...]}
// journal.jsonl: one {"rv", "t": "put"|"del", "s", "o"} per committed change.

std::optional<std::string> Store::OpenDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "create data directory " + dir.string() + ": " + ec.message();
  auto snapshot = dir / "snapshot.json";
  if (std::filesystem::exists(snapshot)) {
    std::ifstream in(snapshot);
    json snap = json::parse(in, nullptr, false);
    if (snap.is_discarded() || !snap.contains("rv"))
      return "read " + snapshot.string() + ": not a kube-testapi snapshot";
    rv_ = snap["rv"].get<uint64_t>();
    for (const auto& rec : snap["objects"]) {
      auto ptr = std::make_shared<const json>(rec["o"]);
      objects_[rec["s"].get<std::string>()][Key(NsOf(*ptr), NameOf(*ptr))] = ptr;
    }
  }
  auto journal = dir / "journal.jsonl";
  size_t replayed = 0;
  if (std::filesystem::exists(journal)) {
    std::ifstream in(journal);
    std::string line;
    while (std::getline(in, line)) {
      json rec = json::parse(line, nullptr, false);
      if (rec.is_discarded()) {
        // A torn last line from a crash mid-write: everything before it stands.
        spdlog::warn("msg=\"ignoring torn journal record\" file={}", journal.string());
        break;
      }
      Replay(rec);
      ++replayed;
    }
  }
  // Nothing before this point can be watched from: like a restarted
  // kube-apiserver, whose watch cache starts at the current revision.
  compacted_rv_ = rv_;
  data_dir_ = dir;
  Checkpoint();
  spdlog::info("msg=\"loaded data directory\" dir={} resourceVersion={} journalRecords={}", dir.string(), rv_,
               replayed);
  return std::nullopt;
}

void Store::Replay(const json& rec) {
  uint64_t rv = rec.value("rv", uint64_t{0});
  if (rv <= rv_) return;  // already in the snapshot
  rv_ = rv;
  const auto& o = rec["o"];
  auto storage = rec["s"].get<std::string>();
  if (rec["t"] == "del") {
    objects_[storage].erase(Key(NsOf(o), NameOf(o)));
  } else {
    objects_[storage][Key(NsOf(o), NameOf(o))] = std::make_shared<const json>(o);
  }
}

void Store::Journal(const Change& change) {
  if (!data_dir_) return;
  json rec = {{"rv", change.rv},
              {"t", change.type == EventType::kDeleted ? "del" : "put"},
              {"s", change.storage},
              {"o", *change.object}};
  journal_ << rec.dump() << '\n';
  journal_.flush();  // survives a crash of this process; not an fsync
  if (++journal_records_ >= kCheckpointEvery) Checkpoint();
}

void Store::Checkpoint() {
  if (!data_dir_) return;
  json snap = {{"rv", rv_}, {"objects", json::array()}};
  for (const auto& [storage, objs] : objects_)
    for (const auto& [_, o] : objs) snap["objects"].push_back({{"s", storage}, {"o", *o}});
  auto tmp = *data_dir_ / "snapshot.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << snap.dump();
  }
  std::filesystem::rename(tmp, *data_dir_ / "snapshot.json");
  journal_.close();
  journal_.open(*data_dir_ / "journal.jsonl", std::ios::trunc);
  journal_records_ = 0;
}

}  // namespace testapi
