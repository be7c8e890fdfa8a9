#include "cache/disk_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>

namespace rampart::cache::disk {

uint64_t key_hash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

std::string hash_name(uint64_t hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) name[i] = kHex[hash & 0xf];
  return name;
}

bool parse_hash_name(std::string_view name, uint64_t& hash) {
  if (name.size() != 16) return false;
  uint64_t h = 0;
  for (char c : name) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    h = (h << 4) | static_cast<uint64_t>(digit);
  }
  hash = h;
  return true;
}

uint64_t block_charge(uint64_t bytes) {
  return (bytes + 4095) & ~uint64_t{4095};
}

int read_prefix(int fd, uint64_t want, std::string& out) {
  out.resize(want);
  size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd, out.data() + got, want - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;  // shorter than it said: the caller sees it in the size
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return 0;
}

int read_file(const std::string& path, uint64_t max_bytes, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  struct stat st;
  int error = 0;
  if (::fstat(fd, &st) != 0) {
    error = errno;
  } else if (!S_ISREG(st.st_mode)) {
    error = EISDIR;
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    error = EFBIG;
  } else {
    error = read_prefix(fd, static_cast<uint64_t>(st.st_size), out);
  }
  ::close(fd);
  return error;
}

int write_new_file(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int error = 0;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  // No fsync: a cache may lose objects in a crash, and one cut short by it fails its
  // checksum or length check and is removed at the next start.
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) ::unlink(path.c_str());
  return error;
}

int make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return 0;
  if (errno != EEXIST) return errno;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

}  // namespace rampart::cache::disk
