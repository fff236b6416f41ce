// SimTree: the in-memory file tree behind the simulated sysfs.
//
// Directories, symbolic links and attribute files whose contents come from a
// function (so a read always shows the simulated kernel's current state) and
// whose writes go to a function that answers like a sysfs store() callback:
// 0 or a positive errno (EBUSY, EINVAL, ...). The FUSE layer serves this
// tree; unit tests call it directly.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sim {

class SimTree {
 public:
  using Reader = std::function<std::string()>;
  using Writer = std::function<int(const std::string& value)>;  // 0 or errno

  enum class Kind { kNone, kDir, kFile, kLink };

  // Parents are created as needed; adding over an existing path replaces it.
  void AddDir(const std::string& path);
  void AddFile(const std::string& path, Reader read, Writer write = nullptr);
  void AddConstFile(const std::string& path, const std::string& content);
  void AddLink(const std::string& path, const std::string& target);
  void Remove(const std::string& path);  // and everything under it

  Kind KindOf(const std::string& path) const;  // without following links
  bool Writable(const std::string& path) const;
  bool Readable(const std::string& path) const;
  // errno-style results for the FUSE layer.
  int Read(const std::string& path, std::string* out) const;
  int Write(const std::string& path, const std::string& value);
  int ReadLink(const std::string& path, std::string* target) const;
  int List(const std::string& path, std::vector<std::string>* names) const;

 private:
  struct Node {
    Kind kind = Kind::kDir;
    Reader read;
    Writer write;
    std::string target;
    std::map<std::string, std::unique_ptr<Node>> children;
  };
  Node* Find(const std::string& path) const;
  Node* MakeParents(const std::string& path, std::string* leaf);

  std::unique_ptr<Node> root_ = std::make_unique<Node>();
};

}  // namespace sim
