#pragma once
// HTTP/2 to an origin under the session's HTTP/1.1: the session writes an HTTP/1.1
// request and reads an HTTP/1.1 response as it does over any connection, and this layer
// carries them as one HTTP/2 stream (http::H2ClientSession) over the plain socket or
// the TLS layer.
//
// One request at a time per connection: the request head becomes HEADERS (:authority
// from Host, hop-by-hop fields dropped, `te: trailers` added as gRPC servers require),
// its body (Content-Length or chunked) DATA ending with END_STREAM. The response comes
// back as a status line and fields, then its body as sent when the origin gave a
// Content-Length, else chunked with the origin's trailers in the last chunk. A
// trailers-only response (HEADERS with END_STREAM, as gRPC errors are) gets
// `content-length: 0`, so an HTTP/2 client sees it trailers-only again. After the
// response the connection can carry the next request on a new stream, until the origin
// sends GOAWAY.

#include <memory>
#include <optional>
#include <string>

#include "http/h1_parser.h"
#include "http/h2_client_session.h"
#include "proxy/upstream_io.h"
#include "proxy/upstream_tls.h"

namespace rampart::proxy {

class UpstreamH2 final : public UpstreamLayer, private http::H2ClientEvents {
 public:
  // `socket` must outlive the layer; `tls` is the handshaken TLS layer, null for
  // cleartext prior knowledge (:scheme is https or http accordingly).
  UpstreamH2(core::Socket& socket, std::unique_ptr<UpstreamTls> tls);
  ~UpstreamH2() override;
  UpstreamH2(const UpstreamH2&) = delete;
  UpstreamH2& operator=(const UpstreamH2&) = delete;

  // Queues the connection preface; false if nghttp2 could not start.
  bool start();

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) override;
  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) override;
  asio::awaitable<boost::system::error_code> wait_readable() override;
  void shutdown_send() override;
  bool idle_usable() override;

 private:
  enum class Phase : uint8_t { kIdle, kHead, kBody, kSent };

  // The session's bytes of one request, parsed and handed to the codec.
  boost::system::error_code feed_request(std::string_view bytes);
  boost::system::error_code begin_request(const http::RequestHead& head);
  boost::system::error_code feed_body(std::string_view bytes);
  void reset_exchange();

  // One read from the origin into the codec, then the codec's output flushed.
  asio::awaitable<boost::system::error_code> pump();
  asio::awaitable<boost::system::error_code> flush();
  asio::awaitable<IoResult> inner_read(asio::mutable_buffer buffer);
  asio::awaitable<boost::system::error_code> inner_write(std::string_view bytes);
  // Frames the origin sent while nothing was asked (PING, SETTINGS, GOAWAY...), read
  // without waiting; false when the connection is unusable.
  bool drain_idle();
  // Response bytes leave `out_`: their window opens again once all are read.
  void consumed_output();

  void on_response_head(int32_t stream_id, int status, std::span<const http::Header> headers,
                        bool end_stream) override;
  void on_response_data(int32_t stream_id, std::string_view data) override;
  void on_response_trailers(int32_t stream_id, std::span<const http::Header> trailers) override;
  void on_response_end(int32_t stream_id) override;
  void on_stream_close(int32_t stream_id, uint32_t error_code) override;

  core::Socket& socket_;
  std::unique_ptr<UpstreamTls> tls_;
  http::H2ClientSession codec_;
  bool broken_ = false;
  bool writing_ = false;  // a flush is on the wire; others leave their frames to it

  // The request.
  Phase phase_ = Phase::kIdle;
  std::string head_;  // request head bytes until they parse
  bool chunked_ = false;
  uint64_t remaining_ = 0;  // Content-Length body bytes still to come
  std::optional<http::ChunkedDecoder> chunks_;
  int32_t stream_ = -1;
  bool head_request_ = false;

  // The response, as HTTP/1.1 for the session: out_[out_at_..] is still to be read.
  std::string out_;
  size_t out_at_ = 0;
  size_t unconsumed_ = 0;  // body bytes in out_ whose window is not reopened yet
  bool final_head_ = false;
  bool chunked_out_ = false;
  bool trailers_written_ = false;
  bool response_done_ = false;
  bool stream_failed_ = false;
  // Body bytes still to come of a response framed by Content-Length (0 for no body).
  std::optional<uint64_t> length_left_;
  // The session has the whole response once out_ is read: END_STREAM came, or every
  // byte its framing promised did (the END_STREAM may still be on its way).
  bool delivered() const { return response_done_ || (length_left_ && *length_left_ == 0); }

  std::string wbuf_;
  std::unique_ptr<char[]> rbuf_;
};

}  // namespace rampart::proxy
