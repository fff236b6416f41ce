#include "e2e/sim/sim_tree.h"

#include <cerrno>
#include <sstream>

namespace sim {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string p;
  while (std::getline(ss, p, '/'))
    if (!p.empty() && p != ".") parts.push_back(p);
  return parts;
}

}  // namespace

SimTree::Node* SimTree::Find(const std::string& path) const {
  Node* n = root_.get();
  for (const auto& part : Split(path)) {
    if (n->kind != Kind::kDir) return nullptr;
    auto it = n->children.find(part);
    if (it == n->children.end()) return nullptr;
    n = it->second.get();
  }
  return n;
}

SimTree::Node* SimTree::MakeParents(const std::string& path, std::string* leaf) {
  auto parts = Split(path);
  if (parts.empty()) return nullptr;
  *leaf = parts.back();
  parts.pop_back();
  Node* n = root_.get();
  for (const auto& part : parts) {
    auto& child = n->children[part];
    if (!child || child->kind != Kind::kDir) child = std::make_unique<Node>();
    n = child.get();
  }
  return n;
}

void SimTree::AddDir(const std::string& path) {
  std::string leaf;
  Node* parent = MakeParents(path, &leaf);
  if (parent == nullptr) return;
  auto& child = parent->children[leaf];
  if (!child || child->kind != Kind::kDir) child = std::make_unique<Node>();
}

void SimTree::AddFile(const std::string& path, Reader read, Writer write) {
  std::string leaf;
  Node* parent = MakeParents(path, &leaf);
  if (parent == nullptr) return;
  auto node = std::make_unique<Node>();
  node->kind = Kind::kFile;
  node->read = std::move(read);
  node->write = std::move(write);
  parent->children[leaf] = std::move(node);
}

void SimTree::AddConstFile(const std::string& path, const std::string& content) {
  AddFile(path, [content] { return content + "\n"; });
}

void SimTree::AddLink(const std::string& path, const std::string& target) {
  std::string leaf;
  Node* parent = MakeParents(path, &leaf);
  if (parent == nullptr) return;
  auto node = std::make_unique<Node>();
  node->kind = Kind::kLink;
  node->target = target;
  parent->children[leaf] = std::move(node);
}

void SimTree::Remove(const std::string& path) {
  auto parts = Split(path);
  if (parts.empty()) return;
  std::string leaf = parts.back();
  parts.pop_back();
  Node* n = root_.get();
  for (const auto& part : parts) {
    auto it = n->children.find(part);
    if (it == n->children.end() || it->second->kind != Kind::kDir) return;
    n = it->second.get();
  }
  n->children.erase(leaf);
}

SimTree::Kind SimTree::KindOf(const std::string& path) const {
  Node* n = Find(path);
  return n ? n->kind : Kind::kNone;
}

bool SimTree::Writable(const std::string& path) const {
  Node* n = Find(path);
  return n && n->kind == Kind::kFile && n->write != nullptr;
}

bool SimTree::Readable(const std::string& path) const {
  Node* n = Find(path);
  return n && n->kind == Kind::kFile && n->read != nullptr;
}

int SimTree::Read(const std::string& path, std::string* out) const {
  Node* n = Find(path);
  if (n == nullptr) return ENOENT;
  if (n->kind == Kind::kDir) return EISDIR;
  if (n->kind != Kind::kFile) return EINVAL;
  if (!n->read) return EACCES;  // write-only attributes such as bind/unbind
  *out = n->read();
  return 0;
}

int SimTree::Write(const std::string& path, const std::string& value) {
  Node* n = Find(path);
  if (n == nullptr) return ENOENT;
  if (n->kind == Kind::kDir) return EISDIR;
  if (n->kind != Kind::kFile || !n->write) return EACCES;
  // The writer may change the tree (even remove this file), so keep a copy.
  Writer w = n->write;
  return w(value);
}

int SimTree::ReadLink(const std::string& path, std::string* target) const {
  Node* n = Find(path);
  if (n == nullptr) return ENOENT;
  if (n->kind != Kind::kLink) return EINVAL;
  *target = n->target;
  return 0;
}

int SimTree::List(const std::string& path, std::vector<std::string>* names) const {
  Node* n = Find(path);
  if (n == nullptr) return ENOENT;
  if (n->kind != Kind::kDir) return ENOTDIR;
  names->clear();
  for (const auto& [name, child] : n->children) names->push_back(name);
  return 0;
}

}  // namespace sim
