// rampart_flood: an HTTP/1.1 flood generator for the layer-7 DDoS tests and benches.
//
//   rampart_flood --target 127.0.0.1:8080 [--host NAME] [--max-seconds S] [--out FILE]
//                 --class NAME [class options] [--class NAME [class options] ...]
//
// Each class is one kind of client (an attack, legitimate visitors) with its own rate,
// schedule, source addresses and request fingerprint:
//
//   --rate N            requests per second (paced; default 100)
//   --start S           seconds after the run starts before the class begins (default 0)
//   --duration S        seconds the class sends for (default 10)
//   --max-requests N    stop after N requests (default: no cap but the duration)
//   --conns N           connections the class keeps in flight at most (default 64)
//   --per-conn N        requests per keep-alive connection before a fresh one (default 10)
//   --sources CIDR      IPv4 loopback range the client sockets bind to (default 127.0.0.1/32)
//   --source-count N    how many distinct addresses of the range to use, one after the
//                       other per new connection (default: every address of the range)
//   --method M          request method (default GET)
//   --path P            path; repeat for several, used in turn; "{n}" becomes a counter
//   --ua UA             User-Agent; repeat for several, used in turn ("" sends none)
//   --header "N: V"     an extra header; repeat for several
//   --timeout S         a request without a full response after S seconds is an error (5)
//
// Every socket binds to its source address before connect, so the server sees
// thousands of distinct clients on loopback. The output (stdout or --out) is one JSON
// object: per class the requests sent, the status histogram ("error" for requests lost
// to a failed connection or a timeout; "connect_error"/"bind_error" count connections
// that failed before carrying a request), latency percentiles in milliseconds, and a per-second
// timeline (seconds from the class's start) of [sent, 2xx, 403, other, error].
// Only loopback targets and sources are accepted; every loop is bounded in time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "flood_report.h"

namespace {

using namespace rampart_flood;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

struct ClassSpec {
  std::string name;
  double rate = 100;
  double start = 0;
  double duration = 10;
  long max_requests = -1;
  int conns = 64;
  int per_conn = 10;
  uint32_t source_base = 0x7f000001;  // host order
  uint32_t source_span = 1;
  uint32_t source_count = 0;  // 0: the whole span
  std::string method = "GET";
  std::vector<std::string> paths;
  std::vector<std::string> uas;
  std::vector<std::string> headers;
  double timeout = 5;
};

enum class State { kIdle, kConnecting, kWriting, kReading };

struct Conn {
  int fd = -1;
  State state = State::kIdle;
  int served = 0;
  std::string out;
  size_t written = 0;
  std::string in;
  Clock::time_point sent_at;
  size_t bucket = 0;
};

struct Class {
  ClassSpec spec;
  ClassStats stats;
  std::vector<Conn> conns;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "rampart_flood: %s (see the comment at the top of flood.cc)\n", why);
  std::exit(2);
}

bool parse_ipv4(const std::string& text, uint32_t& out) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
  out = ntohl(a.s_addr);
  return true;
}

bool is_loopback(uint32_t host_order) {
  return (host_order >> 24) == 127;
}

void parse_cidr(const std::string& text, ClassSpec& spec) {
  size_t slash = text.find('/');
  std::string addr = text.substr(0, slash);
  int bits = slash == std::string::npos ? 32 : std::atoi(text.c_str() + slash + 1);
  uint32_t base = 0;
  if (!parse_ipv4(addr, base) || bits < 8 || bits > 32) usage("bad --sources");
  uint32_t mask = bits == 32 ? 0xffffffffu : ~((1u << (32 - bits)) - 1);
  spec.source_base = base & mask;
  spec.source_span = bits == 32 ? 1 : (1u << (32 - bits));
  if (!is_loopback(spec.source_base)) usage("--sources must be inside 127.0.0.0/8");
}

// The n-th usable address of the class's range: .0 and .255 are skipped so every
// address looks like an ordinary host.
uint32_t source_address(const ClassSpec& spec, uint32_t n) {
  if (spec.source_span == 1) return spec.source_base;
  uint32_t count = spec.source_count ? spec.source_count : spec.source_span;
  // Consecutive connections come from addresses spread over the whole range, as a
  // botnet's would, not from one /24 after the other.
  uint32_t stride = count % 7919 == 0 ? 1 : 7919;
  n = static_cast<uint32_t>((static_cast<uint64_t>(n) * stride) % count);
  uint32_t per_256 = 254;
  uint32_t addr = spec.source_base + (n / per_256) * 256 + 1 + (n % per_256);
  if (addr - spec.source_base >= spec.source_span) addr = spec.source_base + 1 + n % 254;
  return addr;
}

std::string build_request(const ClassSpec& spec, ClassStats& st, const std::string& host) {
  long n = st.counter++;
  std::string path = spec.paths.empty() ? "/" : spec.paths[n % spec.paths.size()];
  if (size_t p = path.find("{n}"); p != std::string::npos) path.replace(p, 3, std::to_string(n));
  std::string req = spec.method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n";
  if (!spec.uas.empty()) {
    const std::string& ua = spec.uas[n % spec.uas.size()];
    if (!ua.empty()) req += "User-Agent: " + ua + "\r\n";
  }
  for (const std::string& h : spec.headers) req += h + "\r\n";
  if (spec.method == "POST" || spec.method == "PUT") req += "Content-Length: 0\r\n";
  req += "\r\n";
  return req;
}

// How far a response in `in` is complete: 0 not yet, else its total length. Sets the
// status and whether the server will close.
size_t response_length(const std::string& in, bool head_request, int& status, bool& close) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  size_t body = end + 4;
  if (in.size() < 12) return 0;
  status = std::atoi(in.c_str() + 9);
  long content_length = -1;
  bool chunked = false;
  close = in.compare(0, 8, "HTTP/1.0") == 0;  // no keep-alive unless it says so
  size_t line = in.find("\r\n") + 2;
  while (line < end) {
    size_t eol = in.find("\r\n", line);
    std::string h = in.substr(line, eol - line);
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h.rfind("content-length:", 0) == 0) content_length = std::atol(h.c_str() + 15);
    if (h.rfind("transfer-encoding:", 0) == 0 && h.find("chunked") != std::string::npos)
      chunked = true;
    if (h.rfind("connection:", 0) == 0) {
      if (h.find("close") != std::string::npos) close = true;
      if (h.find("keep-alive") != std::string::npos) close = false;
    }
    line = eol + 2;
  }
  if (head_request || status == 204 || status == 304 || (status >= 100 && status < 200))
    return body;
  if (content_length >= 0) {
    return in.size() >= body + static_cast<size_t>(content_length) ? body + content_length : 0;
  }
  if (chunked) {
    size_t pos = body;
    while (true) {
      size_t eol = in.find("\r\n", pos);
      if (eol == std::string::npos) return 0;
      unsigned long size = std::strtoul(in.c_str() + pos, nullptr, 16);
      if (size == 0) {
        size_t trailer_end = in.find("\r\n\r\n", eol);
        if (trailer_end == eol) return eol + 4;
        if (in.compare(eol, 4, "\r\n\r\n") == 0) return eol + 4;
        return trailer_end == std::string::npos ? 0 : trailer_end + 4;
      }
      pos = eol + 2 + size + 2;
      if (pos > in.size()) return 0;
    }
  }
  close = true;  // delimited by the close: wait for it
  return 0;
}

class Runner {
 public:
  Runner(std::vector<Class> classes, sockaddr_in target, std::string host, double max_seconds)
      : classes_(std::move(classes)),
        target_(target),
        host_(std::move(host)),
        max_seconds_(max_seconds) {
    epoll_ = epoll_create1(0);
    for (Class& c : classes_) {
      c.conns.resize(c.spec.conns);
      c.stats.timeline.resize(static_cast<size_t>(c.spec.duration + c.spec.timeout) + 2);
    }
  }

  void run() {
    start_ = Clock::now();
    std::vector<epoll_event> events(1024);
    while (true) {
      auto now = Clock::now();
      double t = seconds_since(start_, now);
      if (t > max_seconds_) break;
      bool active = false;
      for (size_t ci = 0; ci < classes_.size(); ++ci) active |= tick(ci, t, now);
      if (!active) break;
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 1);
      for (int i = 0; i < n; ++i) {
        uint64_t id = events[i].data.u64;
        on_event(static_cast<size_t>(id >> 32), static_cast<size_t>(id & 0xffffffffu),
                 events[i].events);
      }
    }
    for (Class& c : classes_) {
      for (Conn& conn : c.conns) {
        if (conn.state == State::kWriting || conn.state == State::kReading ||
            conn.state == State::kConnecting) {
          if (conn.state != State::kConnecting || !conn.out.empty()) record(c, conn, "error", 0);
        }
        drop(conn);
      }
    }
  }

  std::string report() const {
    std::vector<ClassReport> parts;
    for (const Class& c : classes_) parts.push_back({c.spec.name, &c.stats});
    return report_json(parts, seconds_since(start_, Clock::now()));
  }

 private:
  // Starts what the class's pacing allows; false once the class is done and drained.
  bool tick(size_t ci, double t, Clock::time_point now) {
    Class& c = classes_[ci];
    const ClassSpec& s = c.spec;
    double local = t - s.start;
    bool sending =
        local >= 0 && local < s.duration && (s.max_requests < 0 || c.stats.sent < s.max_requests);
    long allowed = sending ? static_cast<long>(local * s.rate) + 1 : 0;
    bool busy = false;
    for (size_t k = 0; k < c.conns.size(); ++k) {
      Conn& conn = c.conns[k];
      bool waiting = conn.state == State::kWriting || conn.state == State::kReading ||
                     (conn.state == State::kConnecting && !conn.out.empty());
      if (waiting && seconds_since(conn.sent_at, now) > s.timeout) {
        record(c, conn, "error", 0);
        drop(conn);
      }
      if (conn.state == State::kConnecting && conn.out.empty() && !sending) drop(conn);
      if (conn.state != State::kIdle) busy = true;
      if (!sending || c.stats.sent >= allowed) continue;
      if (s.max_requests >= 0 && c.stats.sent >= s.max_requests) continue;
      if (conn.state == State::kIdle) {
        if (conn.fd < 0 && !open(ci, k)) continue;
        send_next(c, conn, now, local);
        busy = true;
      } else if (conn.state == State::kConnecting && conn.out.empty()) {
        send_next(c, conn, now, local);  // written once the connect completes
      }
    }
    return sending || busy || (local < 0);
  }

  bool open(size_t ci, size_t k) {
    Class& c = classes_[ci];
    Conn& conn = c.conns[k];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // The kernel picks the port at connect, so thousands of sources need no port math.
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    // Abortive close: a long run would otherwise leave tens of thousands in TIME_WAIT.
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(source_address(c.spec, c.stats.next_source++));
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      ::close(fd);
      c.stats.statuses["bind_error"]++;
      return false;
    }
    int rc = connect(fd, reinterpret_cast<const sockaddr*>(&target_), sizeof target_);
    if (rc != 0 && errno != EINPROGRESS) {
      ::close(fd);
      c.stats.statuses["connect_error"]++;
      return false;
    }
    conn.fd = fd;
    conn.state = State::kConnecting;
    conn.served = 0;
    conn.in.clear();
    conn.out.clear();
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u64 = (static_cast<uint64_t>(ci) << 32) | k;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    c.stats.connections++;
    return true;
  }

  void send_next(Class& c, Conn& conn, Clock::time_point now, double local) {
    conn.out = build_request(c.spec, c.stats, host_);
    conn.written = 0;
    conn.sent_at = now;
    conn.bucket = std::min(c.stats.timeline.size() - 1, static_cast<size_t>(local));
    c.stats.sent++;
    c.stats.timeline[conn.bucket].sent++;
    if (conn.state == State::kIdle) {
      conn.state = State::kWriting;
      flush(c, conn);
    }
  }

  void flush(Class& c, Conn& conn) {
    while (conn.written < conn.out.size()) {
      ssize_t n = ::send(conn.fd, conn.out.data() + conn.written, conn.out.size() - conn.written,
                         MSG_NOSIGNAL);
      if (n > 0) {
        conn.written += static_cast<size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        record(c, conn, "error", 0);
        drop(conn);
        return;
      }
    }
    conn.state = State::kReading;
  }

  void on_event(size_t ci, size_t k, uint32_t events) {
    if (ci >= classes_.size() || k >= classes_[ci].conns.size()) return;
    Class& c = classes_[ci];
    Conn& conn = c.conns[k];
    if (conn.fd < 0) return;
    if (conn.state == State::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
        // A request waiting on the connect is lost; a bare connect failure is not one.
        if (!conn.out.empty()) {
          record(c, conn, "error", 0);
        } else {
          c.stats.statuses["connect_error"]++;
        }
        drop(conn);
        return;
      }
      if (!(events & EPOLLOUT)) return;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = (static_cast<uint64_t>(ci) << 32) | k;
      epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &ev);
      conn.state = conn.out.empty() ? State::kIdle : State::kWriting;
      if (conn.state == State::kWriting) flush(c, conn);
      return;
    }
    if (conn.state == State::kWriting) flush(c, conn);
    if (conn.state != State::kReading && conn.state != State::kIdle) return;
    char buf[16384];
    bool closed = false;
    while (true) {
      ssize_t n = ::recv(conn.fd, buf, sizeof buf, 0);
      if (n > 0) {
        conn.in.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        closed = true;
        break;
      } else {
        if (errno != EAGAIN) closed = true;
        break;
      }
    }
    if (conn.state == State::kIdle) {
      if (closed) drop(conn);  // the server closed a kept-alive connection
      return;
    }
    int status = 0;
    bool server_closes = false;
    size_t len = response_length(conn.in, c.spec.method == "HEAD", status, server_closes);
    if (len == 0 && closed && status != 0 && server_closes) len = conn.in.size();
    if (len == 0) {
      if (closed) {
        record(c, conn, "error", 0);
        drop(conn);
      }
      return;
    }
    record(c, conn, std::to_string(status), status);
    conn.in.erase(0, len);
    conn.out.clear();
    conn.served++;
    if (server_closes || closed || conn.served >= c.spec.per_conn) {
      drop(conn);
    } else {
      conn.state = State::kIdle;
    }
  }

  void record(Class& c, Conn& conn, const std::string& key, int status) {
    c.stats.statuses[key]++;
    Bucket& b = c.stats.timeline[conn.bucket];
    if (status >= 200 && status < 300) {
      b.ok++;
    } else if (status == 403) {
      b.forbidden++;
    } else if (status == 0) {
      b.error++;
    } else {
      b.other++;
    }
    if (status != 0) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - conn.sent_at);
      c.stats.latency_us.push_back(static_cast<uint32_t>(us.count()));
    }
    conn.out.clear();
  }

  void drop(Conn& conn) {
    if (conn.fd >= 0) ::close(conn.fd);
    conn.fd = -1;
    conn.state = State::kIdle;
    conn.in.clear();
    conn.out.clear();
  }

  std::vector<Class> classes_;
  sockaddr_in target_;
  std::string host_;
  double max_seconds_;
  int epoll_ = -1;
  Clock::time_point start_;
};

double number(int argc, char** argv, int& i) {
  if (i + 1 >= argc) usage("an option lacks its value");
  char* end = nullptr;
  double v = std::strtod(argv[++i], &end);
  if (end == argv[i] || *end != '\0' || v < 0) usage("a number was expected");
  return v;
}

std::string text(int argc, char** argv, int& i) {
  if (i + 1 >= argc) usage("an option lacks its value");
  return argv[++i];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Class> classes;
  std::string target_text;
  std::string host = "localhost";
  std::string out_path;
  double max_seconds = 120;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    ClassSpec* s = classes.empty() ? nullptr : &classes.back().spec;
    auto need = [&]() -> ClassSpec& {
      if (!s) usage("class options come after --class NAME");
      return *s;
    };
    if (a == "--target") {
      target_text = text(argc, argv, i);
    } else if (a == "--host") {
      host = text(argc, argv, i);
    } else if (a == "--out") {
      out_path = text(argc, argv, i);
    } else if (a == "--max-seconds") {
      max_seconds = std::min(number(argc, argv, i), 600.0);
    } else if (a == "--class") {
      classes.emplace_back();
      classes.back().spec.name = text(argc, argv, i);
    } else if (a == "--rate") {
      need().rate = std::max(0.1, number(argc, argv, i));
    } else if (a == "--start") {
      need().start = number(argc, argv, i);
    } else if (a == "--duration") {
      need().duration = std::min(number(argc, argv, i), 600.0);
    } else if (a == "--max-requests") {
      need().max_requests = static_cast<long>(number(argc, argv, i));
    } else if (a == "--conns") {
      need().conns = std::clamp(static_cast<int>(number(argc, argv, i)), 1, 20000);
    } else if (a == "--per-conn") {
      need().per_conn = std::max(1, static_cast<int>(number(argc, argv, i)));
    } else if (a == "--sources") {
      parse_cidr(text(argc, argv, i), need());
    } else if (a == "--source-count") {
      need().source_count = static_cast<uint32_t>(number(argc, argv, i));
    } else if (a == "--method") {
      need().method = text(argc, argv, i);
    } else if (a == "--path") {
      need().paths.push_back(text(argc, argv, i));
    } else if (a == "--ua") {
      need().uas.push_back(text(argc, argv, i));
    } else if (a == "--header") {
      need().headers.push_back(text(argc, argv, i));
    } else if (a == "--timeout") {
      need().timeout = std::max(0.1, number(argc, argv, i));
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (classes.empty()) usage("at least one --class is needed");
  size_t colon = target_text.rfind(':');
  uint32_t target_ip = 0;
  if (colon == std::string::npos || !parse_ipv4(target_text.substr(0, colon), target_ip) ||
      !is_loopback(target_ip)) {
    usage("--target must be a 127.x.y.z:port address");
  }
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(target_ip);
  target.sin_port = htons(static_cast<uint16_t>(std::atoi(target_text.c_str() + colon + 1)));
  Runner runner(std::move(classes), target, host, max_seconds);
  runner.run();
  std::string report = runner.report();
  if (out_path.empty()) {
    std::fputs(report.c_str(), stdout);
  } else {
    FILE* f = std::fopen(out_path.c_str(), "w");
    if (!f) usage("cannot write --out");
    std::fputs(report.c_str(), f);
    std::fclose(f);
  }
  return 0;
}
