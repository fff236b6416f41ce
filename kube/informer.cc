#include "kube/informer.h"

#include <malloc.h>

#include <unordered_set>

namespace kube {

namespace {

// The reflector applies the transform, so that list pages are trimmed as
// they arrive (see ReflectorOptions::transform).
ReflectorOptions WithTransform(const InformerOptions& o) {
  ReflectorOptions r = o.reflector;
  r.transform = o.transform;
  return r;
}

}  // namespace

Informer::Informer(std::shared_ptr<ListerWatcher> lw, InformerOptions options)
    : options_(options), store_(options.packed_cache), reflector_(std::move(lw), this, WithTransform(options)) {}

Informer::Informer(std::shared_ptr<Client> client, Resource r, std::string ns, std::string label_selector,
                   InformerOptions options)
    : Informer(std::make_shared<ResourceListerWatcher>(std::move(client), std::move(r), std::move(ns),
                                                       std::move(label_selector)),
               options) {}

Informer::~Informer() { Stop(); }

void Informer::AddEventHandler(EventHandler h) {
  std::lock_guard<std::mutex> lock(dispatch_mu_);
  if (h.on_add)
    for (const auto& o : store_.List()) h.on_add(*o);
  handlers_.push_back(std::move(h));
}

void Informer::Start() {
  if (reflector_thread_.joinable()) return;
  reflector_thread_ = std::jthread([this](std::stop_token st) { reflector_.Run(st); });
  if (options_.resync_period.count() > 0)
    resync_thread_ = std::jthread([this](std::stop_token st) { ResyncLoop(st); });
}

void Informer::Stop() {
  for (auto* t : {&reflector_thread_, &resync_thread_}) {
    if (t->joinable()) {
      t->request_stop();
      t->join();
    }
  }
}

bool Informer::HasSynced() const {
  std::lock_guard<std::mutex> lock(sync_mu_);
  return synced_;
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout, std::stop_token stop) {
  std::unique_lock<std::mutex> lock(sync_mu_);
  return synced_cv_.wait_for(lock, stop, timeout, [this] { return synced_; });
}

void Informer::Replace(std::vector<json>&& items, const std::string&) {
  std::lock_guard<std::mutex> lock(dispatch_mu_);
  std::unordered_set<std::string> keep;
  keep.reserve(items.size());
  for (auto& item : items) {
    auto obj = std::make_shared<const json>(std::move(item));
    std::string key = KeyOf(*obj);
    keep.insert(key);
    auto old = store_.Get(key);
    if (old && ResourceVersionOf(*old) == ResourceVersionOf(*obj) && !ResourceVersionOf(*obj).empty()) continue;
    store_.Upsert(obj);
    for (const auto& h : handlers_) {
      if (old && h.on_update) h.on_update(*old, *obj);
      if (!old && h.on_add) h.on_add(*obj);
    }
  }
  for (const auto& key : store_.Keys()) {
    if (keep.count(key)) continue;
    auto old = store_.Remove(key);
    if (!old) continue;
    for (const auto& h : handlers_)
      if (h.on_delete) h.on_delete(*old);
  }
  // A list's pages and parsed items are freed by now, but glibc keeps freed
  // memory that lies between live blocks (cached objects allocated in the
  // meantime) in the process: give the free pages back. For a packed cache
  // of 1000 node states that is about 2 MB of RSS; it costs about a ms. A
  // cache of trees keeps most of what the list allocated, so not there.
  if (options_.packed_cache) malloc_trim(0);
  {
    std::lock_guard<std::mutex> sl(sync_mu_);
    synced_ = true;
  }
  synced_cv_.notify_all();
}

void Informer::Upsert(json&& o) {
  std::lock_guard<std::mutex> lock(dispatch_mu_);
  auto obj = std::make_shared<const json>(std::move(o));
  auto old = store_.Upsert(obj);
  for (const auto& h : handlers_) {
    if (old && h.on_update) h.on_update(*old, *obj);
    if (!old && h.on_add) h.on_add(*obj);
  }
}

void Informer::Remove(json&& o) {
  std::lock_guard<std::mutex> lock(dispatch_mu_);
  auto old = store_.Remove(KeyOf(o));
  if (!old) return;  // already gone (e.g. removed by a relist)
  for (const auto& h : handlers_)
    if (h.on_delete) h.on_delete(o);
}

void Informer::ResyncLoop(std::stop_token stop) {
  while (SleepFor(options_.resync_period, stop)) {
    if (!HasSynced()) continue;
    std::lock_guard<std::mutex> lock(dispatch_mu_);
    for (const auto& o : store_.List())
      for (const auto& h : handlers_)
        if (h.on_update) h.on_update(*o, *o);
  }
}

}  // namespace kube
