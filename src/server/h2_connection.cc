#include "server/h2_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "core/log.h"
#include "server/access_log.h"
#include "server/client_session.h"
#include "server/h2_stream_layer.h"

namespace rampart::server {

namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kWriteChunk = 64 * 1024;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

H2Connection::H2Connection(WorkerContext& worker, ClientIo& io, core::IpAddress peer,
                           std::shared_ptr<const ConnectionInfo> info, const http::H2Limits& limits)
    : worker_(worker),
      io_(io),
      peer_(peer),
      info_(std::move(info)),
      codec_(limits, *this),
      write_signal_(worker.io.get_executor()),
      streams_done_(worker.io.get_executor()),
      read_idle_(worker.io.get_executor(), [this] { io_.cancel(); }),
      write_stall_(worker.io.get_executor(), [this] { io_.cancel(); }) {
  worker_.metrics.h2_connections.fetch_add(1, std::memory_order_relaxed);
}

H2Connection::~H2Connection() = default;

asio::awaitable<void> H2Connection::run(std::string_view received) {
  using namespace asio::experimental::awaitable_operators;
  codec_.start();
  co_await (read_loop(received) && write_loop());
  read_idle_.disarm();
  write_stall_.disarm();
  // Stream sessions still running point at this connection: cut them and wait.
  while (!streams_.empty()) {
    std::vector<H2StreamLayer*> cut;
    for (auto& [id, layer] : streams_) cut.push_back(layer);
    for (H2StreamLayer* layer : cut) layer->reset(true);
    co_await streams_done_.wait();
  }
}

void H2Connection::drain() {
  codec_.shutdown();
  wake_writer();
}

void H2Connection::receive(std::string_view bytes) {
  if (!codec_.receive(bytes, now_ms())) {
    stop_reading_ = true;
    const http::H2Counters& c = codec_.counters();
    if (c.flood != http::H2Flood::kNone) {
      worker_.metrics.h2_floods[static_cast<size_t>(c.flood)].fetch_add(1,
                                                                        std::memory_order_relaxed);
      static core::LogRateLimiter limiter("HTTP/2 flood");
      if (int64_t suppressed = limiter.admit(); suppressed >= 0) {
        core::log(core::LogLevel::kWarn,
                  "HTTP/2 {} flood from {}: connection closed (+{} suppressed)",
                  http::to_string(c.flood), peer_.to_string(), suppressed);
      }
    } else {
      worker_.metrics.h2_protocol_errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
  wake_writer();
}

asio::awaitable<void> H2Connection::read_loop(std::string_view received) {
  if (!received.empty()) receive(received);
  auto buffer = std::make_unique_for_overwrite<char[]>(kReadChunk);
  const config::Timeouts& timeouts = worker_.snapshots.get()->config->timeouts;
  while (!stop_reading_ && !failed_ && codec_.want_read()) {
    if (streams_.empty()) {
      read_idle_.expire_after(timeouts.client_idle);
      if (ClientLayer* layer = io_.layer()) layer->release_idle_memory();
    } else {
      read_idle_.disarm();  // each stream's session keeps its own time
    }
    auto [ec, n] = co_await io_.read_some(asio::buffer(buffer.get(), kReadChunk));
    if (ec) break;
    receive({buffer.get(), n});
  }
  reading_done_ = true;
  // The client left, broke the protocol or flooded: whatever it asked for is moot.
  std::vector<H2StreamLayer*> cut;
  for (auto& [id, layer] : streams_) cut.push_back(layer);
  for (H2StreamLayer* layer : cut) layer->reset(true);
  wake_writer();
}

asio::awaitable<void> H2Connection::write_loop() {
  const config::Timeouts& timeouts = worker_.snapshots.get()->config->timeouts;
  for (;;) {
    if (codec_.want_write()) {
      out_.clear();
      codec_.collect_output(out_, kWriteChunk);
      if (!out_.empty()) {
        write_stall_.expire_after(timeouts.send);
        auto [ec, n] = co_await io_.write(std::string_view(out_));
        write_stall_.disarm();
        if (ec) {
          failed_ = true;
          io_.cancel();  // ends the read loop too
          break;
        }
        for (auto& [id, layer] : streams_) layer->output_drained();
        continue;
      }
    }
    if (reading_done_ && streams_.empty()) break;
    if (!codec_.want_read() && !codec_.want_write() && streams_.empty()) {
      io_.cancel();  // both sides said GOAWAY and nothing is left: end the read
      break;
    }
    co_await write_signal_.wait();
  }
  if (out_.capacity() > kWriteChunk * 2) std::string().swap(out_);
}

H2StreamLayer* H2Connection::stream(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second;
}

void H2Connection::detach(int32_t stream_id) {
  if (streams_.erase(stream_id) == 0) return;
  if (streams_.empty()) streams_done_.notify();
  wake_writer();
}

void H2Connection::refuse(const http::H2Request& request, int status, std::string_view reason) {
  static const http::Header kFields[] = {{"content-type", "text/plain"}};
  codec_.submit_head(request.stream_id, status, kFields, true);
  static SiteCounters* none = worker_.shared.metrics.site("_none");
  none->count(worker_.index, status);
  // Like a malformed HTTP/1.1 request, a refused stream is logged with what it named.
  core::LineWriter* log = worker_.shared.access_log.load(std::memory_order_acquire);
  if (log == nullptr) return;
  char request_id[16];
  worker_.request_ids.next(request_id);
  std::string client_ip = peer_.to_string();
  AccessRecord a;
  a.request_id = {request_id, sizeof(request_id)};
  a.client_ip = client_ip;
  a.host = request.authority;
  a.method = request.method;
  a.path = request.path;
  a.protocol = "HTTP/2";
  if (info_ != nullptr && info_->tls != nullptr) {
    a.tls = true;
    a.ja4 = info_->tls->facts.ja4;
  }
  a.status = status;
  a.error = reason;
  a.config_version = worker_.snapshots.get()->config->version;
  std::string line;
  format_access_line(line, a);
  log->write(line);
}

void H2Connection::on_request(const http::H2Request& request) {
  worker_.metrics.h2_streams.fetch_add(1, std::memory_order_relaxed);
  if (reading_done_ || failed_) return;
  auto layer = std::make_unique<H2StreamLayer>(*this, request.stream_id);
  std::string_view error;
  if (!layer->start(request, error)) {
    refuse(request, 400, error);
    return;
  }
  streams_.emplace(request.stream_id, layer.get());
  auto session = std::make_unique<ClientSession>(
      worker_, ClientIo(core::Socket(worker_.io.get_executor()), std::move(layer)), peer_, 0,
      ClientSession::Role::kStream, info_);
  asio::co_spawn(worker_.io, run_client_session(std::move(session)), asio::detached);
}

void H2Connection::on_request_data(int32_t stream_id, std::string_view data) {
  if (H2StreamLayer* layer = stream(stream_id)) {
    layer->add_body(data);
  } else {
    codec_.consume(stream_id, data.size());  // keeps the connection's window open
  }
}

void H2Connection::on_request_end(int32_t stream_id) {
  if (H2StreamLayer* layer = stream(stream_id)) layer->end_body();
}

void H2Connection::on_stream_close(int32_t stream_id, uint32_t error_code) {
  // A stream that ended normally has had its whole response: its session is finishing
  // and must not be cut. A reset one stops whatever its session is waiting for.
  if (H2StreamLayer* layer = stream(stream_id)) layer->reset(error_code != 0);
}

}  // namespace rampart::server
