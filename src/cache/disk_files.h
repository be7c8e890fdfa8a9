#pragma once
// File helpers for the disk tier (internal to cache/): POSIX calls with errors as errno
// values, and the names files live under.

#include <cstdint>
#include <string>
#include <string_view>

namespace rampart::cache::disk {

uint64_t key_hash(std::string_view key);
// 16 lower-case hex digits; parse_hash_name() takes exactly that back.
std::string hash_name(uint64_t hash);
bool parse_hash_name(std::string_view name, uint64_t& hash);
// What a file of `bytes` takes on disk, roughly: whole 4 KiB blocks.
uint64_t block_charge(uint64_t bytes);

// Reads the whole regular file at `path` into `out`; 0 or an errno (EFBIG when it is
// bigger than `max_bytes`).
int read_file(const std::string& path, uint64_t max_bytes, std::string& out);
// Reads up to `want` bytes from the start of an open file.
int read_prefix(int fd, uint64_t want, std::string& out);
// Creates `path` (which must not exist) holding `bytes`; removes it again on failure.
int write_new_file(const std::string& path, std::string_view bytes);
int make_directory(const std::string& path);  // 0 when it exists already

}  // namespace rampart::cache::disk
