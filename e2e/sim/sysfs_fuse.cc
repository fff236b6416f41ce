#define FUSE_USE_VERSION 35
#include "e2e/sim/sysfs_fuse.h"

#include <fcntl.h>
#include <fuse3/fuse.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace sim {
namespace {

SimulatedNode* Node() { return static_cast<SimulatedNode*>(fuse_get_context()->private_data); }

void* Init(fuse_conn_info*, fuse_config* cfg) {
  // sysfs contents change under the reader: never cache names, attributes
  // or data, or a removed VF would still "exist" for a second.
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  return fuse_get_context()->private_data;
}

int GetAttr(const char* path, struct stat* st, fuse_file_info*) {
  SimulatedNode* node = Node();
  node->Refresh();
  SimTree& tree = node->tree();
  std::memset(st, 0, sizeof(*st));
  st->st_uid = 0;
  st->st_gid = 0;
  switch (tree.KindOf(path)) {
    case SimTree::Kind::kNone:
      return -ENOENT;
    case SimTree::Kind::kDir:
      st->st_mode = S_IFDIR | 0755;
      st->st_nlink = 2;
      return 0;
    case SimTree::Kind::kLink: {
      std::string target;
      tree.ReadLink(path, &target);
      st->st_mode = S_IFLNK | 0777;
      st->st_nlink = 1;
      st->st_size = static_cast<off_t>(target.size());
      return 0;
    }
    case SimTree::Kind::kFile:
      st->st_mode = S_IFREG | (tree.Readable(path) ? 0444 : 0) | (tree.Writable(path) ? 0200 : 0);
      st->st_nlink = 1;
      st->st_size = 4096;  // as sysfs reports for attributes
      return 0;
  }
  return -ENOENT;
}

int ReadDir(const char* path, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info*, fuse_readdir_flags) {
  SimulatedNode* node = Node();
  node->Refresh();
  std::vector<std::string> names;
  int err = node->tree().List(path, &names);
  if (err != 0) return -err;
  filler(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  filler(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  for (const auto& n : names) filler(buf, n.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  return 0;
}

int Open(const char* path, fuse_file_info* fi) {
  SimTree& tree = Node()->tree();
  if (tree.KindOf(path) != SimTree::Kind::kFile) return tree.KindOf(path) == SimTree::Kind::kNone ? -ENOENT : -EISDIR;
  int mode = fi->flags & O_ACCMODE;
  if ((mode == O_WRONLY || mode == O_RDWR) && !tree.Writable(path)) return -EACCES;
  if ((mode == O_RDONLY || mode == O_RDWR) && !tree.Readable(path)) return -EACCES;
  fi->direct_io = 1;
  return 0;
}

int Read(const char* path, char* buf, size_t size, off_t off, fuse_file_info*) {
  std::string content;
  int err = Node()->tree().Read(path, &content);
  if (err != 0) return -err;
  if (off >= static_cast<off_t>(content.size())) return 0;
  size_t n = std::min(size, content.size() - static_cast<size_t>(off));
  std::memcpy(buf, content.data() + off, n);
  return static_cast<int>(n);
}

int Write(const char* path, const char* buf, size_t size, off_t, fuse_file_info*) {
  int err = Node()->tree().Write(path, std::string(buf, size));
  if (err != 0) return -err;
  return static_cast<int>(size);
}

int Truncate(const char* path, off_t, fuse_file_info*) {
  // `echo N > file` opens with O_TRUNC; sysfs ignores that for attributes.
  return Node()->tree().Writable(path) ? 0 : -EACCES;
}

int ReadLink(const char* path, char* buf, size_t size) {
  std::string target;
  int err = Node()->tree().ReadLink(path, &target);
  if (err != 0) return -err;
  if (size == 0) return -EINVAL;
  size_t n = std::min(size - 1, target.size());
  std::memcpy(buf, target.data(), n);
  buf[n] = '\0';
  return 0;
}

int Create(const char*, mode_t, fuse_file_info*) { return -EACCES; }  // sysfs has no new files

}  // namespace

int ServeSimulatedNode(SimulatedNode& node, const FuseOptions& options) {
  fuse_operations ops{};
  ops.init = Init;
  ops.getattr = GetAttr;
  ops.readdir = ReadDir;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.truncate = Truncate;
  ops.readlink = ReadLink;
  ops.create = Create;

  const char* argv[] = {"sysfs-sim", "-o", "fsname=sysfs-sim,allow_other,default_permissions"};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  fuse* f = fuse_new(&args, &ops, sizeof(ops), &node);
  fuse_opt_free_args(&args);  // fuse_new copies what it needs
  if (f == nullptr) {
    std::fprintf(stderr, "sysfs-sim: cannot create the FUSE session\n");
    return 1;
  }
  if (fuse_mount(f, options.mountpoint.c_str()) != 0) {
    std::fprintf(stderr, "sysfs-sim: cannot mount on %s (is /dev/fuse usable, are we root?)\n",
                 options.mountpoint.c_str());
    fuse_destroy(f);
    return 1;
  }
  if (!options.foreground) {
    if (fuse_daemonize(0) != 0) {
      fuse_unmount(f);
      fuse_destroy(f);
      return 1;
    }
    if (!options.log_file.empty()) {
      int fd = ::open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 2);
        ::close(fd);
      }
    }
  }
  if (!options.pid_file.empty()) std::ofstream(options.pid_file) << ::getpid() << "\n";
  if (options.on_ready) options.on_ready();
  fuse_session* se = fuse_get_session(f);
  fuse_set_signal_handlers(se);
  int rc = fuse_loop(f);
  fuse_remove_signal_handlers(se);
  fuse_unmount(f);
  fuse_destroy(f);
  if (!options.pid_file.empty()) ::unlink(options.pid_file.c_str());
  // A loop ended by SIGTERM/SIGINT/SIGHUP reports the signal: a clean stop.
  return rc == 0 || rc == SIGTERM || rc == SIGINT || rc == SIGHUP ? 0 : 1;
}

}  // namespace sim
