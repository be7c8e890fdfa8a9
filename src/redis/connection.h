#pragma once
// A blocking connection to one redis-server for background threads (never the request
// path): connect with a timeout, AUTH, PING, and pipelined commands whose replies are
// copied out of hiredis. hiredis stays inside connection.cc, so its compile flags never
// reach the areas that use it (they share a precompiled header).

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::redis {

// Where a Redis server is and how to talk to it.
struct Endpoint {
  std::string host;
  uint16_t port = 6379;
  std::string password;                          // sent with AUTH when not empty
  std::chrono::nanoseconds timeout{50'000'000};  // connect, and each round trip
};

struct Reply {
  // hiredis's (RESP3) type numbers, so an unexpected one is named as hiredis names it.
  enum class Type : int {
    kNone = 0,
    kString = 1,
    kArray = 2,
    kInteger = 3,
    kNil = 4,
    kStatus = 5,
    kError = 6,
  };
  Type type = Type::kNone;
  std::string str;  // a string, status or error
  long long integer = 0;
  std::vector<Reply> elements;  // an array's (or map's, set's) members
};

class Connection {
 public:
  explicit Connection(Endpoint endpoint);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return context_ != nullptr; }
  // Connects (and authenticates) if not connected. False with `error` set on failure.
  bool connect(std::string& error);
  void close();
  // Connects if needed and makes one PING round trip. A TCP connect alone proves
  // nothing: the kernel of a frozen (SIGSTOP) or wedged server still accepts it.
  bool ping(std::string& error);

  // Queues one command; the replies come back in order through read(), so many
  // commands make one round trip. On failure the connection is closed.
  bool append(std::span<const std::string_view> args, std::string& error);
  // The next queued command's reply. False (the connection closed) when none came.
  bool read(Reply& reply, std::string& error);

  std::string address() const;

 private:
  Endpoint endpoint_;
  void* context_ = nullptr;  // redisContext*
};

// Why `reply` is not what the caller wanted: Redis's error text, or its type.
std::string describe(const Reply& reply);

}  // namespace rampart::redis
