#pragma once
// One HTTP/2 stream as the byte stream of a client session. The request arrives as an
// HTTP/1.1 head (translated by http::translate_h2_request) followed by its body, chunked
// when the client gave no length; the session's HTTP/1.1 response is read back here —
// head, then a body framed by Content-Length or chunked — and handed to the codec as
// HEADERS and DATA. So an HTTP/2 request takes the very same path as an HTTP/1.1 one
// (strict parse, phases, cache, logs, metrics); only the framing differs.

#include <string>

#include "http/h1_parser.h"
#include "http/h2_server_session.h"
#include "server/async_signal.h"
#include "server/client_io.h"

namespace rampart::server {

class H2Connection;

class H2StreamLayer final : public ClientLayer {
 public:
  H2StreamLayer(H2Connection& connection, int32_t stream_id);
  ~H2StreamLayer() override;

  // --- fed by the connection ---
  // false: the request cannot be translated (`error` says why); the stream is refused.
  bool start(const http::H2Request& request, std::string_view& error);
  void add_body(std::string_view data);
  void end_body();
  // The stream is over for the client: reset by it or cut with its connection (`abort`:
  // the session is told, to stop its origin request), or ended normally.
  void reset(bool abort);
  // The connection sent frames: a writer held back by a full queue may go on.
  void output_drained() { drained_.notify(); }
  int32_t stream_id() const { return stream_id_; }

  // --- the session's side ---
  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) override;
  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) override;
  asio::awaitable<boost::system::error_code> wait_readable() override;
  asio::awaitable<void> shutdown() override;
  void cancel() override;

 private:
  enum class Out : uint8_t { kHead, kFixed, kChunked, kUntilEnd, kDone };
  // Translates response bytes from the session into codec calls; false on a response
  // the session should never produce (the stream is then reset).
  bool feed(std::string_view bytes);
  bool feed_head(std::string_view bytes);
  void finish_body();

  H2Connection& connection_;
  int32_t stream_id_;
  std::string method_;
  // Request bytes for the session: the head, then the body as it arrives.
  std::string inbound_;
  size_t inbound_pos_ = 0;
  bool inbound_ended_ = false;
  bool chunk_body_ = false;
  size_t uncredited_ = 0;  // DATA bytes not yet given back to flow control
  AsyncSignal readable_;
  AsyncSignal drained_;
  // Response translation.
  Out out_ = Out::kHead;
  std::string head_;
  uint64_t remaining_ = 0;
  http::ChunkedDecoder chunks_;
  std::string chunk_rest_;  // undecoded tail of a chunked body
  bool gone_ = false;       // reset by the client, or the connection ended
  uint64_t cancels_ = 0;    // a cancel() ends the waits begun before it
};

}  // namespace rampart::server
