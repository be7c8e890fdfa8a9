#pragma once
// One client connection speaking HTTP/2: a reader feeding the codec, a writer flushing
// its frames, and one stream session (a ClientSession over an H2StreamLayer) per
// request, all on the connection's worker. It ends when the client leaves, on a
// protocol error or flood (after the GOAWAY is flushed), or after a graceful GOAWAY once
// the streams in flight are done; it returns only when every stream session has ended.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/deadline.h"
#include "core/ip.h"
#include "http/h2_server_session.h"
#include "server/async_signal.h"
#include "server/client_io.h"
#include "server/worker_context.h"

namespace rampart::server {

struct ConnectionInfo;
class H2StreamLayer;

class H2Connection final : public http::H2ServerEvents {
 public:
  H2Connection(WorkerContext& worker, ClientIo& io, core::IpAddress peer,
               std::shared_ptr<const ConnectionInfo> info, const http::H2Limits& limits);
  ~H2Connection() override;

  // `received`: bytes already read from the client (its preface, maybe more).
  asio::awaitable<void> run(std::string_view received);
  // A drain: GOAWAY now; streams in flight finish.
  void drain();

  // For the stream layers.
  http::H2ServerSession& codec() { return codec_; }
  void wake_writer() { write_signal_.notify(); }
  void detach(int32_t stream_id);
  void count_stall() { worker_.metrics.h2_stalls.fetch_add(1, std::memory_order_relaxed); }
  core::Executor executor() const { return worker_.io.get_executor(); }
  // Where a stream layer parses its session's response head: used and cleared within
  // one call, so one per connection does, and its header vector keeps its capacity.
  http::ResponseHead& response_scratch() { return response_scratch_; }

 private:
  void on_request(const http::H2Request& request) override;
  void on_request_data(int32_t stream_id, std::string_view data) override;
  void on_request_end(int32_t stream_id) override;
  void on_stream_close(int32_t stream_id, uint32_t error_code) override;

  asio::awaitable<void> read_loop(std::string_view received);
  asio::awaitable<void> write_loop();
  void receive(std::string_view bytes);
  // Answers a request that cannot become a stream session (400), and logs it.
  void refuse(const http::H2Request& request, int status, std::string_view reason);
  H2StreamLayer* stream(int32_t stream_id) const;

  WorkerContext& worker_;
  ClientIo& io_;
  core::IpAddress peer_;
  std::shared_ptr<const ConnectionInfo> info_;
  http::H2ServerSession codec_;
  std::unordered_map<int32_t, H2StreamLayer*> streams_;
  AsyncSignal write_signal_;
  AsyncSignal streams_done_;
  core::Deadline read_idle_;    // no stream open and nothing received for client_idle
  core::Deadline write_stall_;  // a write to the client stalled for the send timeout
  std::string out_;
  http::ResponseHead response_scratch_;
  bool stop_reading_ = false;  // flood or protocol error: only the GOAWAY is left to send
  bool reading_done_ = false;
  bool failed_ = false;  // a write failed: the client is gone
};

}  // namespace rampart::server
