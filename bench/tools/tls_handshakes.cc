// tls_handshakes: full TLS handshakes per second against one server, for bench/tls.sh.
//
//   tls_handshakes HOST PORT SNI CONNS SECONDS [PATH]
//
// Keeps CONNS connections in flight on one thread (non-blocking sockets, epoll). Each
// connection: TCP connect, a full TLS 1.3 handshake (X25519 only, ECDSA P-256 SHA-256
// signatures only, ALPN http/1.1, no session cache and no ticket reuse, so the server
// can never resume), one `GET PATH HTTP/1.1` with `Connection: close`, the whole
// response up to the server's close, then an abortive close (RST, so neither side
// piles up TIME_WAIT sockets over a long run). As soon as one connection ends the next
// one starts. After SECONDS, prints `key: value` lines: connections completed,
// handshakes/s, p50/p99 connection latency (connect to the server's close), errors,
// answers that were not 200, and what the first handshake negotiated.
//
// Built by bench/tls.sh with `g++ -O2 -std=c++20 ... -lssl -lcrypto`; not part of the
// rampart build and depends on nothing in the repo.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Phase { kConnecting, kHandshaking, kWriting, kReading };

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  Phase phase = Phase::kConnecting;
  Clock::time_point start;
  size_t written = 0;
  std::string response;
};

struct Stats {
  long completed = 0;
  long errors = 0;
  long not_200 = 0;
  long resumed = 0;
  std::vector<uint32_t> latency_us;
  std::string negotiated;  // of the first handshake
  std::string first_error;
};

struct Bench {
  sockaddr_in addr{};
  std::string sni;
  std::string request;
  SSL_CTX* ctx = nullptr;
  int epfd = -1;
  std::vector<Conn> conns;
  Stats stats;
  bool stopping = false;
};

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  if (e == 0) return errno != 0 ? std::strerror(errno) : "unexpected EOF";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

void watch(Bench& b, Conn& c, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = static_cast<uint64_t>(&c - b.conns.data());
  epoll_ctl(b.epfd, EPOLL_CTL_MOD, c.fd, &ev);
}

void start(Bench& b, Conn& c);

// Ends a connection (abortively) and, unless the run is over, starts the next one.
void finish(Bench& b, Conn& c, bool ok, const std::string& why) {
  if (ok) {
    ++b.stats.completed;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.start);
    b.stats.latency_us.push_back(static_cast<uint32_t>(us.count()));
    if (c.response.compare(0, 12, "HTTP/1.1 200") != 0) ++b.stats.not_200;
  } else {
    ++b.stats.errors;
    if (b.stats.first_error.empty()) b.stats.first_error = why;
  }
  if (c.ssl != nullptr) SSL_free(c.ssl);
  c.ssl = nullptr;
  linger lg{1, 0};
  setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c.fd);  // also removes it from the epoll set
  c.fd = -1;
  if (!b.stopping) start(b, c);
}

void record_negotiated(Bench& b, Conn& c) {
  if (SSL_session_reused(c.ssl)) ++b.stats.resumed;
  if (!b.stats.negotiated.empty()) return;
  std::string key = "?";
  if (X509* peer = SSL_get1_peer_certificate(c.ssl)) {
    EVP_PKEY* pk = X509_get0_pubkey(peer);
    if (pk != nullptr) {
      char group[64] = "";
      size_t len = 0;
      EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof group, &len);
      key = std::string(EVP_PKEY_get0_type_name(pk)) + (group[0] ? std::string(" ") + group : "");
    }
    X509_free(peer);
  }
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(c.ssl, &alpn, &alpn_len);
  b.stats.negotiated =
      std::string(SSL_get_version(c.ssl)) + ", " + SSL_get_cipher_name(c.ssl) + ", group " +
      OBJ_nid2sn(SSL_get_negotiated_group(c.ssl)) + ", server key " + key + ", ALPN " +
      (alpn_len ? std::string(reinterpret_cast<const char*>(alpn), alpn_len) : std::string("none"));
}

// Moves a connection as far as it can go without blocking.
void drive(Bench& b, Conn& c) {
  for (;;) {
    switch (c.phase) {
      case Phase::kConnecting: {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return finish(b, c, false, std::string("connect: ") + std::strerror(err));
        c.ssl = SSL_new(b.ctx);
        SSL_set_fd(c.ssl, c.fd);
        SSL_set_tlsext_host_name(c.ssl, b.sni.c_str());
        SSL_set_connect_state(c.ssl);
        c.phase = Phase::kHandshaking;
        break;
      }
      case Phase::kHandshaking: {
        ERR_clear_error();
        errno = 0;
        int r = SSL_do_handshake(c.ssl);
        if (r == 1) {
          record_negotiated(b, c);
          c.phase = Phase::kWriting;
          break;
        }
        int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ) return watch(b, c, EPOLLIN);
        if (e == SSL_ERROR_WANT_WRITE) return watch(b, c, EPOLLOUT);
        return finish(b, c, false, "handshake: " + ssl_error_text());
      }
      case Phase::kWriting: {
        ERR_clear_error();
        errno = 0;
        int r = SSL_write(c.ssl, b.request.data() + c.written,
                          static_cast<int>(b.request.size() - c.written));
        if (r > 0) {
          c.written += static_cast<size_t>(r);
          if (c.written == b.request.size()) c.phase = Phase::kReading;
          break;
        }
        int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ) return watch(b, c, EPOLLIN);
        if (e == SSL_ERROR_WANT_WRITE) return watch(b, c, EPOLLOUT);
        return finish(b, c, false, "write: " + ssl_error_text());
      }
      case Phase::kReading: {
        char buf[16384];
        ERR_clear_error();
        errno = 0;
        int r = SSL_read(c.ssl, buf, sizeof buf);
        if (r > 0) {
          c.response.append(buf, static_cast<size_t>(r));
          break;
        }
        int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ) return watch(b, c, EPOLLIN);
        if (e == SSL_ERROR_WANT_WRITE) return watch(b, c, EPOLLOUT);
        // The server's close ends the response (close_notify or a bare FIN, which
        // SSL_OP_IGNORE_UNEXPECTED_EOF turns into ZERO_RETURN).
        if (e == SSL_ERROR_ZERO_RETURN && !c.response.empty()) return finish(b, c, true, "");
        return finish(b, c, false, "read: " + ssl_error_text());
      }
    }
  }
}

void start(Bench& b, Conn& c) {
  c.phase = Phase::kConnecting;
  c.written = 0;
  c.response.clear();
  c.start = Clock::now();
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    std::perror("socket");
    std::exit(2);
  }
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u64 = static_cast<uint64_t>(&c - b.conns.data());
  epoll_ctl(b.epfd, EPOLL_CTL_ADD, c.fd, &ev);
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&b.addr), sizeof b.addr) != 0 &&
      errno != EINPROGRESS) {
    // Failing at once (no local ports left, say) would fail again at once: this slot
    // stays empty for the rest of the run rather than spinning.
    ++b.stats.errors;
    if (b.stats.first_error.empty())
      b.stats.first_error = std::string("connect: ") + std::strerror(errno);
    close(c.fd);
    c.fd = -1;
  }
}

uint32_t percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || argc > 7) {
    std::fprintf(stderr, "usage: %s HOST PORT SNI CONNS SECONDS [PATH]\n", argv[0]);
    return 2;
  }
  Bench b;
  b.addr.sin_family = AF_INET;
  b.addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &b.addr.sin_addr) != 1) {
    std::fprintf(stderr, "HOST must be an IPv4 address\n");
    return 2;
  }
  b.sni = argv[3];
  int nconns = std::atoi(argv[4]);
  double seconds = std::atof(argv[5]);
  if (nconns <= 0 || seconds <= 0) {
    std::fprintf(stderr, "CONNS and SECONDS must be positive\n");
    return 2;
  }
  std::string path = argc == 7 ? argv[6] : "/";
  b.request = "GET " + path + " HTTP/1.1\r\nHost: " + b.sni +
              "\r\nUser-Agent: tls_handshakes\r\nConnection: close\r\n\r\n";

  b.ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(b.ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(b.ctx, TLS1_3_VERSION);
  // Only a full handshake with these algorithms counts: any other outcome fails it.
  if (SSL_CTX_set1_groups_list(b.ctx, "X25519") != 1 ||
      SSL_CTX_set1_sigalgs_list(b.ctx, "ECDSA+SHA256") != 1) {
    std::fprintf(stderr, "OpenSSL lacks X25519 or ECDSA+SHA256\n");
    return 2;
  }
  SSL_CTX_set_session_cache_mode(b.ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(b.ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // The benchmark measures the server: the client skips chain checks (not the handshake
  // signature, which TLS itself requires).
  SSL_CTX_set_verify(b.ctx, SSL_VERIFY_NONE, nullptr);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(b.ctx, kAlpn, sizeof kAlpn);

  b.epfd = epoll_create1(EPOLL_CLOEXEC);
  b.conns.resize(static_cast<size_t>(nconns));
  b.stats.latency_us.reserve(1 << 20);
  auto t0 = Clock::now();
  auto deadline =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (auto& c : b.conns) start(b, c);

  std::vector<epoll_event> events(static_cast<size_t>(nconns));
  while (Clock::now() < deadline) {
    int n = epoll_wait(b.epfd, events.data(), nconns, 100);
    for (int i = 0; i < n; ++i) {
      Conn& c = b.conns[events[static_cast<size_t>(i)].data.u64];
      if (c.fd >= 0) drive(b, c);
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  b.stopping = true;
  long in_flight = 0;
  for (auto& c : b.conns) {
    if (c.fd < 0) continue;
    ++in_flight;
    if (c.ssl != nullptr) SSL_free(c.ssl);
    close(c.fd);
  }

  auto& s = b.stats;
  std::printf("connections: %ld\n", s.completed);
  std::printf("seconds: %.3f\n", elapsed);
  std::printf("handshakes_per_sec: %.1f\n", static_cast<double>(s.completed) / elapsed);
  std::printf("p50_us: %u\n", percentile(s.latency_us, 0.50));
  std::printf("p99_us: %u\n", percentile(s.latency_us, 0.99));
  std::printf("errors: %ld\n", s.errors);
  std::printf("not_200: %ld\n", s.not_200);
  std::printf("resumed: %ld\n", s.resumed);
  std::printf("in_flight_at_end: %ld\n", in_flight);
  std::printf("negotiated: %s\n", s.negotiated.empty() ? "none" : s.negotiated.c_str());
  if (!s.first_error.empty()) std::printf("first_error: %s\n", s.first_error.c_str());
  return s.completed > 0 ? 0 : 1;
}
