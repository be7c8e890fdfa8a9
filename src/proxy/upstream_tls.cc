#include "proxy/upstream_tls.h"

#include <openssl/err.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::proxy {

namespace {}  // namespace

UpstreamTls::UpstreamTls(core::Socket& socket, tls::SslPtr ssl)
    : ssl_(std::move(ssl)), stream_(socket, ssl_.get()) {}

// OpenSSL forgets the session of a connection freed without a close_notify sent, which
// would leave the session cache with nothing to resume: a connection that ends well
// sends one (best effort, no wait), one that ends with a reset or a timeout is marked
// shut down quietly. Only a connection whose TLS itself failed loses its session.
UpstreamTls::~UpstreamTls() {
  if (SSL_is_init_finished(ssl_.get()) != 1 || stream_.protocol_error()) return;
  if (usable()) {
    ERR_clear_error();
    if (SSL_shutdown(ssl_.get()) >= 0) return;
    ERR_clear_error();
  }
  SSL_set_shutdown(ssl_.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
}

bool UpstreamTls::resumed() const {
  return SSL_session_reused(ssl_.get()) == 1;
}

bool UpstreamTls::alpn_h2() const {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
  return len == 2 && proto[0] == 'h' && proto[1] == '2';
}

IoResult UpstreamTls::read_now(asio::mutable_buffer buffer) {
  if (!usable()) return IoResult{asio::error::not_connected, 0};
  // What the socket holds now, even after a short read: an idle HTTP/2 connection is
  // drained with this to find the origin's GOAWAY or close.
  stream_.probe_socket();
  size_t n = 0;
  ERR_clear_error();
  int r = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n);
  if (r == 1) return IoResult{boost::system::error_code{}, n};
  int e = SSL_get_error(ssl_.get(), r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return IoResult{asio::error::would_block, 0};
  }
  return IoResult{stream_.failure(e), 0};
}

asio::awaitable<std::optional<tls::OriginHandshakeError>> UpstreamTls::handshake() {
  for (;;) {
    if (!usable()) {
      stream_.set_broken();
      co_return tls::OriginHandshakeError{tls::OriginFailure::kOther, "connection closed"};
    }
    ERR_clear_error();
    int r = SSL_connect(ssl_.get());
    if (r == 1) co_return std::nullopt;
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await stream_.wait_for(e)) {
        stream_.set_broken();
        co_return tls::OriginHandshakeError{
            tls::OriginFailure::kOther,
            ec == asio::error::operation_aborted ? "TLS handshake timed out" : ec.message()};
      }
      continue;
    }
    tls::OriginHandshakeError error = tls::OriginContext::failure(ssl_.get(), e);
    ERR_clear_error();
    stream_.set_broken();
    co_return error;
  }
}

// Readable means application bytes: a TLS 1.3 session ticket arriving after the
// handshake makes the socket readable long before the origin answers, and a hedge
// waiting on that must not take it for the answer.
asio::awaitable<boost::system::error_code> UpstreamTls::wait_readable() {
  for (;;) {
    if (!usable()) co_return asio::error::not_connected;
    if (SSL_has_pending(ssl_.get()) == 1) co_return boost::system::error_code{};
    if (auto ec = co_await stream_.wait_for(SSL_ERROR_WANT_READ)) co_return ec;
    if (!usable()) co_return asio::error::not_connected;
    char byte;
    size_t n = 0;
    int r = SSL_peek_ex(ssl_.get(), &byte, 1, &n);
    if (r == 1) co_return boost::system::error_code{};
    int e = SSL_get_error(ssl_.get(), r);
    if (e != SSL_ERROR_WANT_READ) {
      ERR_clear_error();
      co_return boost::system::error_code{};  // closed or broken: the read says which
    }
  }
}

void UpstreamTls::shutdown_send() {
  if (!usable() || SSL_is_init_finished(ssl_.get()) != 1) return;
  ERR_clear_error();
  if (SSL_shutdown(ssl_.get()) < 0) ERR_clear_error();
}

bool UpstreamTls::idle_usable() {
  if (!usable() || SSL_has_pending(ssl_.get()) == 1) return false;
  stream_.probe_socket();
  char byte;
  size_t n = 0;
  ERR_clear_error();
  int r = SSL_peek_ex(ssl_.get(), &byte, 1, &n);
  if (r == 1) return false;  // the origin sent bytes nobody asked for
  int e = SSL_get_error(ssl_.get(), r);
  ERR_clear_error();
  if (e == SSL_ERROR_WANT_READ) return true;  // nothing, or only tickets and key updates
  stream_.set_broken();
  return false;
}

}  // namespace rampart::proxy
