#include "redis/connection.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

namespace rampart::redis {
namespace {

static_assert(static_cast<int>(Reply::Type::kString) == REDIS_REPLY_STRING &&
              static_cast<int>(Reply::Type::kArray) == REDIS_REPLY_ARRAY &&
              static_cast<int>(Reply::Type::kInteger) == REDIS_REPLY_INTEGER &&
              static_cast<int>(Reply::Type::kNil) == REDIS_REPLY_NIL &&
              static_cast<int>(Reply::Type::kStatus) == REDIS_REPLY_STATUS &&
              static_cast<int>(Reply::Type::kError) == REDIS_REPLY_ERROR);

redisContext* ctx(void* p) {
  return static_cast<redisContext*>(p);
}

timeval to_timeval(std::chrono::nanoseconds ns) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(ns).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

std::string context_error(const redisContext* c) {
  return c->errstr[0] != '\0' ? std::string(c->errstr) : "no reply";
}

void copy_reply(const redisReply* r, Reply& out) {
  out.type = static_cast<Reply::Type>(r->type);
  out.integer = r->integer;
  if (r->str != nullptr) {
    out.str.assign(r->str, r->len);
  } else {
    out.str.clear();
  }
  out.elements.resize(r->elements);
  for (size_t i = 0; i < r->elements; ++i) copy_reply(r->element[i], out.elements[i]);
}

}  // namespace

std::string describe(const Reply& reply) {
  if (reply.type == Reply::Type::kError) return reply.str;
  return "unexpected reply type " + std::to_string(static_cast<int>(reply.type));
}

Connection::Connection(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

Connection::~Connection() {
  close();
}

std::string Connection::address() const {
  const Endpoint& e = endpoint_;
  return e.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", e.host, e.port)
                                               : fmt::format("{}:{}", e.host, e.port);
}

void Connection::close() {
  if (context_ != nullptr) redisFree(ctx(context_));
  context_ = nullptr;
}

bool Connection::connect(std::string& error) {
  if (context_ != nullptr) return true;
  timeval tv = to_timeval(endpoint_.timeout);
  redisContext* c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv);
  if (c == nullptr) {
    error = "cannot allocate a connection";
    return false;
  }
  if (c->err != 0) {
    error = c->errstr;
    redisFree(c);
    return false;
  }
  redisSetTimeout(c, tv);
  context_ = c;
  if (endpoint_.password.empty()) return true;
  const std::string_view auth[] = {"AUTH", endpoint_.password};
  Reply r;
  if (!append(auth, error) || !read(r, error)) {
    error = "AUTH refused: " + error;
    return false;
  }
  if (r.type != Reply::Type::kStatus) {
    error = "AUTH refused: " + describe(r);
    close();
    return false;
  }
  return true;
}

bool Connection::ping(std::string& error) {
  if (!connect(error)) return false;
  const std::string_view ping[] = {"PING"};
  Reply r;
  if (!append(ping, error) || !read(r, error)) return false;
  if (r.type != Reply::Type::kStatus) {
    error = describe(r);
    close();
    return false;
  }
  return true;
}

bool Connection::append(std::span<const std::string_view> args, std::string& error) {
  if (!connect(error)) return false;
  redisContext* c = ctx(context_);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    error = context_error(c);
    close();
    return false;
  }
  return true;
}

bool Connection::read(Reply& reply, std::string& error) {
  if (context_ == nullptr) {
    error = "not connected";
    return false;
  }
  redisContext* c = ctx(context_);
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
    error = context_error(c);
    if (raw != nullptr) freeReplyObject(raw);
    close();
    return false;
  }
  copy_reply(static_cast<const redisReply*>(raw), reply);
  freeReplyObject(raw);
  return true;
}

}  // namespace rampart::redis
