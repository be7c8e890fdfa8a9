#pragma once
// A real Server on loopback for server tests: a blocking origin that records what it
// received, raw HTTP/1.1 clients and an HTTP/2 client (prior knowledge) over
// http::H2ClientSession. Everything blocks with short socket timeouts, so a broken
// server fails a test instead of hanging it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/h1_parser.h"
#include "http/h2_client_session.h"

namespace rampart::test {

// A connected or listening loopback socket, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

inline void set_timeouts(int fd, std::chrono::milliseconds t) {
  timeval tv{static_cast<time_t>(t.count() / 1000),
             static_cast<suseconds_t>((t.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

inline Fd listen_loopback(uint16_t& port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(fd.get(), 64);
  socklen_t len = sizeof(addr);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// A port nothing listens on right now (the server binds it next).
inline uint16_t free_port() {
  uint16_t port = 0;
  listen_loopback(port);
  return port;
}

inline Fd connect_loopback(uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  set_timeouts(fd.get(), std::chrono::milliseconds(5000));
  return fd;
}

inline bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Appends what one recv gives; false on close, error or timeout.
inline bool recv_some(int fd, std::string& into) {
  char buf[16384];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  into.append(buf, static_cast<size_t>(n));
  return true;
}

// What the origin got in one request.
struct OriginRequest {
  std::string method;
  std::string target;
  bool chunked = false;
  std::string body;  // decoded
};

// Answers every request 200 "ok:<body size>" after reading its whole body; keeps
// connections alive.
class RecordingOrigin {
 public:
  RecordingOrigin() : listener_(listen_loopback(port_)) {
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~RecordingOrigin() {
    stopping_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);
    acceptor_.join();
    for (std::thread& t : connections_) t.join();
  }
  uint16_t port() const { return port_; }
  std::vector<OriginRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept(listener_.get(), nullptr, nullptr);
      if (fd < 0) return;
      connections_.emplace_back([this, fd] { serve(Fd(fd)); });
    }
  }

  // Waits for more bytes through read timeouts until the test ends; false: closed.
  bool more(int fd, std::string& in) {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || stopping_) return false;
    }
  }

  void serve(Fd fd) {
    set_timeouts(fd.get(), std::chrono::milliseconds(1000));
    std::string in;
    while (!stopping_) {
      http::RequestHead head;
      http::ParseResult parsed;
      for (;;) {
        parsed = http::parse_request_head(in, http::ParserLimits{}, head);
        if (parsed.status != http::ParseStatus::kIncomplete) break;
        if (!more(fd.get(), in)) return;
      }
      if (parsed.status != http::ParseStatus::kComplete) return;
      OriginRequest got{std::string(head.method),
                        std::string(head.target),
                        head.body == http::BodyKind::kChunked,
                        {}};
      in.erase(0, parsed.consumed);
      if (head.body == http::BodyKind::kContentLength) {
        while (in.size() < head.content_length) {
          if (!more(fd.get(), in)) return;
        }
        got.body = in.substr(0, head.content_length);
        in.erase(0, head.content_length);
      } else if (head.body == http::BodyKind::kChunked) {
        http::ChunkedDecoder decoder;
        for (;;) {
          http::ChunkedDecoder::Step step = decoder.feed(in);
          got.body.append(step.data);
          in.erase(0, step.consumed);
          if (step.status == http::ParseStatus::kError) return;
          if (step.status == http::ParseStatus::kComplete) break;
          if (step.consumed == 0 && !more(fd.get(), in)) return;
        }
      }
      std::string answer = "ok:" + std::to_string(got.body.size());
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(got));
      }
      std::string out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) +
                        "\r\n\r\n" + answer;
      if (!send_all(fd.get(), out)) return;
    }
  }

  uint16_t port_ = 0;
  Fd listener_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor thread only until join
  std::mutex mutex_;
  std::vector<OriginRequest> requests_;
};

struct Response {
  int status = 0;
  std::string body;
  bool closes = false;    // the response said Connection: close
  int interim_count = 0;  // 1xx responses before it
};

// Reads one response (after `pending` bytes already received) from an HTTP/1.1
// connection; nullopt when the connection ended first.
inline std::optional<Response> read_response(int fd, std::string& pending,
                                             std::string_view method = "POST") {
  Response r;
  for (;;) {
    http::ResponseHead head;
    http::ParseResult parsed = http::parse_response_head(pending, method, {}, head);
    if (parsed.status == http::ParseStatus::kError) return std::nullopt;
    if (parsed.status == http::ParseStatus::kComplete) {
      if (head.status >= 100 && head.status < 200) {
        ++r.interim_count;
        pending.erase(0, parsed.consumed);
        continue;
      }
      while (pending.size() < parsed.consumed + head.content_length) {
        if (!recv_some(fd, pending)) return std::nullopt;
      }
      r.status = head.status;
      r.closes = !head.keep_alive;
      r.body = pending.substr(parsed.consumed, head.content_length);
      pending.erase(0, parsed.consumed + head.content_length);
      return r;
    }
    if (!recv_some(fd, pending)) return std::nullopt;
  }
}

// True when the server closed the connection: EOF before any byte, or a reset (a close
// with unread request bytes in its socket resets the connection).
inline bool closed_by_peer(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

// One HTTP/2 request with prior knowledge over a fresh connection.
class H2Client final : public http::H2ClientEvents {
 public:
  explicit H2Client(uint16_t port) : fd_(connect_loopback(port)), session_({}, *this) {
    session_.start();
  }

  std::optional<Response> request(std::string_view method, std::string_view path,
                                  std::optional<std::string_view> body) {
    std::vector<http::Header> headers;
    int32_t id = session_.submit_request(method, "http", "main.test", path, headers, !body);
    if (id < 0) return std::nullopt;
    current_ = id;
    if (body) {
      session_.send_data(id, *body);
      session_.end_data(id);
    }
    status_ = 0;
    body_.clear();
    done_ = false;
    std::string out;
    for (;;) {
      out.clear();
      session_.collect_output(out, 1 << 20);
      if (!out.empty() && !send_all(fd_.get(), out)) return std::nullopt;
      if (done_) break;
      std::string in;
      if (!recv_some(fd_.get(), in)) return std::nullopt;
      if (!session_.receive(in, now_ms())) return std::nullopt;
    }
    if (status_ == 0) return std::nullopt;
    return Response{status_, body_, false, 0};
  }

  // Events of an earlier stream (e.g. the reset that closes a refused upload after its
  // answer arrived) may come while a later request waits; only its own stream counts.
  void on_response_head(int32_t id, int status, std::span<const http::Header>, bool end) override {
    if (id != current_) return;
    if (status >= 200) status_ = status;
    if (end) done_ = true;
  }
  void on_response_data(int32_t id, std::string_view data) override {
    session_.consume(id, data.size());
    if (id == current_) body_.append(data);
  }
  void on_response_trailers(int32_t id, std::span<const http::Header>) override {
    if (id == current_) done_ = true;
  }
  void on_response_end(int32_t id) override {
    if (id == current_) done_ = true;
  }
  void on_stream_close(int32_t id, uint32_t) override {
    if (id == current_) done_ = true;
  }

 private:
  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  Fd fd_;
  http::H2ClientSession session_;
  int status_ = 0;
  std::string body_;
  bool done_ = false;
  int32_t current_ = -1;  // the stream of the request in progress
};

}  // namespace rampart::test
