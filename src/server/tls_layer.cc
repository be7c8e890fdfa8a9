#include "server/tls_layer.h"

#include <openssl/err.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::server {

TlsLayer::TlsLayer(core::Socket& socket, SSL* ssl) : ssl_(ssl), stream_(socket, ssl) {}

TlsLayer::~TlsLayer() {
  SSL_free(ssl_);
}

asio::awaitable<bool> TlsLayer::handshake(std::string& error) {
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(ssl_);
    if (r == 1) co_return true;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await stream_.wait_for(e)) {
        stream_.set_broken();
        error = ec == asio::error::operation_aborted ? "handshake timed out" : ec.message();
        co_return false;
      }
      continue;
    }
    unsigned long code = ERR_peek_error();
    if (code != 0) {
      char text[256];
      ERR_error_string_n(code, text, sizeof(text));
      error = text;
    } else {
      error =
          e == SSL_ERROR_SYSCALL ? "connection closed during the handshake" : "handshake failed";
    }
    stream_.failure(e);
    co_return false;
  }
}

asio::awaitable<boost::system::error_code> TlsLayer::wait_readable() {
  if (SSL_has_pending(ssl_) == 1) co_return boost::system::error_code{};
  // A read into the stream's staging buffer (no epoll re-arm); done at once when bytes
  // are already staged.
  co_return co_await stream_.wait_for(SSL_ERROR_WANT_READ);
}

asio::awaitable<void> TlsLayer::shutdown() {
  // One close_notify, without waiting for the client's: the socket closes next anyway.
  if (!stream_.broken() && SSL_is_init_finished(ssl_) == 1) {
    ERR_clear_error();
    if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
  }
  co_return;
}

void TlsLayer::cancel() {}

void TlsLayer::release_idle_memory() {
  if (stream_.usable()) SSL_free_buffers(ssl_);
  stream_.release_idle_memory();
}  // the socket's cancel ends any wait in progress

}  // namespace rampart::server
