// kube::Informer watches one resource and keeps it in a kube::Store, calling
// handlers on add, update (old and new object) and delete, like client-go's
// shared informer. Controllers read the store and enqueue keys from the
// handlers. HasSynced() turns true after the first full list.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "kube/reflector.h"
#include "kube/store.h"

namespace kube {

struct EventHandler {
  std::function<void(const json& obj)> on_add;
  std::function<void(const json& old_obj, const json& new_obj)> on_update;
  // For a delete noticed only on relist, obj is the last state we saw.
  std::function<void(const json& obj)> on_delete;
};

struct InformerOptions {
  // Every period, on_update(obj, obj) for each cached object, so controllers
  // re-check the world even without changes. Zero disables.
  std::chrono::milliseconds resync_period{0};
  ReflectorOptions reflector;
  // Applied to every object as it arrives, before it is stored or handed to
  // handlers (client-go's SetTransform): drop fields the controller never
  // reads so the cache stays small. Must keep metadata.name, namespace and
  // resourceVersion. Runs on the informer's thread, on each list item as
  // soon as its page is parsed.
  std::function<void(json& obj)> transform;
  // Keep the cache packed (Store(true)): a fraction of the memory for many
  // small objects, at the cost of parsing on every read (store.h).
  bool packed_cache = false;
};

class Informer : private ReflectorSink {
 public:
  Informer(std::shared_ptr<ListerWatcher> lw, InformerOptions options = {});
  Informer(std::shared_ptr<Client> client, Resource r, std::string ns = "", std::string label_selector = "",
           InformerOptions options = {});
  ~Informer() override;

  // Handlers run on the informer's thread, one event at a time, after the
  // store has been updated. A handler added after start first gets on_add
  // for everything already cached.
  void AddEventHandler(EventHandler h);
  Store& store() { return store_; }
  const Store& store() const { return store_; }

  void Start();
  void Stop();  // joins the threads; handlers are not called afterwards
  bool HasSynced() const;
  // Waits for the first list; false on timeout or stop.
  bool WaitForSync(std::chrono::milliseconds timeout, std::stop_token stop = {});
  const Reflector& reflector() const { return reflector_; }

 private:
  void Replace(std::vector<json>&& items, const std::string& resource_version) override;
  void Upsert(json&& obj) override;
  void Remove(json&& obj) override;
  void ResyncLoop(std::stop_token stop);

  const InformerOptions options_;
  Store store_;
  Reflector reflector_;
  std::mutex dispatch_mu_;  // serialises handler calls and guards handlers_
  std::vector<EventHandler> handlers_;
  mutable std::mutex sync_mu_;  // guards synced_
  std::condition_variable_any synced_cv_;
  bool synced_ = false;
  std::jthread reflector_thread_, resync_thread_;
};

}  // namespace kube
