// The body-streaming half of a client session: request bodies to the origin, response
// bodies to the client (re-framed where needed), and byte tunnels after an upgrade.

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "http/h1_writer.h"
#include "http/trailers.h"
#include "server/client_session.h"
#include "server/session_io.h"

namespace rampart::server {

using session_io::BufferList;
using session_io::ChunkHeader;
using session_io::kBodyBufSize;

asio::awaitable<bool> ClientSession::read_body_bytes(size_t max) {
  if (!a_->body_buf) a_->body_buf = std::make_unique_for_overwrite<char[]>(kBodyBufSize);
  a_->body_begin = a_->body_end = 0;
  arm_client_wait(snapshot_->config->timeouts.body_read, receive_floor_, 0, GuardClose::kSlowBody);
  auto waited_from = std::chrono::steady_clock::now();
  auto [ec, n] =
      co_await io_.read_some(asio::buffer(a_->body_buf.get(), std::min(max, kBodyBufSize)));
  if (ec) {
    note_floor_expiry();
    co_return false;
  }
  receive_floor_.record(n, std::chrono::steady_clock::now() - waited_from);
  a_->body_end = n;
  co_return true;
}

asio::awaitable<bool> ClientSession::send_request_body(proxy::UpstreamConnection& up,
                                                       RequestRecord& record) {
  const config::Timeouts& t = snapshot_->config->timeouts;
  auto write_upstream = [&](const BufferList& buffers) -> asio::awaitable<bool> {
    deadline_.expire_after(t.send);
    auto [ec, n] = co_await up.io.write(buffers.view());
    co_return !ec;
  };
  // The next bytes of the body: what an inspection read ahead, what is left in the head
  // buffer, then a_->body_buf.
  auto available = [&]() -> std::string_view {
    if (a_->held_begin < a_->held_body.size()) {
      return std::string_view(a_->held_body).substr(a_->held_begin);
    }
    if (!a_->rbuf.empty()) return a_->rbuf.readable();
    return {a_->body_buf ? a_->body_buf.get() + a_->body_begin : nullptr,
            a_->body_end - a_->body_begin};
  };
  auto consume = [&](size_t n) {
    if (a_->held_begin < a_->held_body.size()) {
      a_->held_begin += n;
    } else if (!a_->rbuf.empty()) {
      a_->rbuf.consume(n);
    } else {
      a_->body_begin += n;
    }
  };
  auto client_failed = [&]() {
    if (deadline_.expired()) {
      worker_.metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
      record.status = 408;
      record.error = "request body not received in time";
    } else {
      record.error = "client closed during request body";
    }
    closing_ = true;
  };

  BufferList buffers;
  if (a_->head.body == http::BodyKind::kContentLength) {
    uint64_t remaining = a_->head.content_length;
    while (remaining > 0) {
      std::string_view data = available();
      if (data.empty()) {
        if (!co_await read_body_bytes(
                static_cast<size_t>(std::min<uint64_t>(remaining, kBodyBufSize)))) {
          client_failed();
          co_return false;
        }
        continue;
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, data.size()));
      buffers.assign({asio::buffer(data.data(), take)});
      consume(take);
      remaining -= take;
      record.bytes_in += take;
      if (!co_await write_upstream(buffers)) co_return false;
    }
    body_done_ = true;
    co_return true;
  }

  http::ChunkedDecoder decoder(snapshot_->config->limits.max_body_bytes);
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  for (;;) {
    std::string_view data = available();
    if (data.empty()) {
      if (!co_await read_body_bytes(kBodyBufSize)) {
        client_failed();
        co_return false;
      }
      continue;
    }
    http::ChunkedDecoder::Step step = decoder.feed(data);
    consume(step.consumed);
    record.bytes_in += step.consumed;
    if (step.status == http::ParseStatus::kError) {
      record.status = step.error.status;
      record.error = step.error.reason.empty() ? "invalid chunked body" : step.error.reason;
      closing_ = true;
      co_return false;
    }
    if (!step.data.empty()) {
      ChunkHeader header(step.data.size());
      buffers.assign(
          {asio::buffer(header.text, header.size), asio::buffer(step.data), asio::buffer(kCrlf)});
      if (!co_await write_upstream(buffers)) co_return false;
    }
    if (step.status == http::ParseStatus::kComplete) {
      buffers.assign({asio::buffer(kLastChunk)});
      if (!co_await write_upstream(buffers)) co_return false;
      body_done_ = true;
      co_return true;
    }
  }
}

asio::awaitable<bool> ClientSession::relay_response_body(proxy::UpstreamConnection& up,
                                                         const http::ResponseHead& response,
                                                         bool chunk_to_client,
                                                         RequestRecord& record) {
  const config::Timeouts& t = snapshot_->config->timeouts;
  BufferList buffers;
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";

  auto fill = [&]() -> asio::awaitable<int> {  // 1 = got bytes, 0 = EOF, -1 = error
    auto [ptr, room] = up.buffer.prepare(16384);
    deadline_.expire_after(t.upstream_idle);
    auto [ec, n] = co_await up.io.read_some(asio::buffer(ptr, room));
    if (ec == asio::error::eof) co_return 0;
    if (ec) co_return -1;
    up.buffer.commit(n);
    co_return 1;
  };
  // When this request leads a collapsed fetch, its client going away does not end the
  // fetch: the body is still read for the requests streaming it (and for storing).
  bool client_gone = false;
  auto keep_fetching = [&](bool written) {
    if (written || client_gone || pending_store_ == nullptr || !pending_store_->fill) {
      return written;
    }
    client_gone = true;
    record.error = "client went away; the fetch went on for the requests sharing it";
    return true;
  };
  // Writes body bytes (after the head, when it is still waiting in a_->out); empty
  // bytes write only a waiting head, never a chunk (a zero-size chunk ends the body).
  auto emit = [&](std::string_view data, bool as_chunk) -> asio::awaitable<bool> {
    if (client_gone) co_return true;
    if (data.empty()) {
      if (a_->out.empty()) co_return true;
      buffers.assign({});
    } else if (as_chunk) {
      ChunkHeader header(data.size());
      buffers.assign(
          {asio::buffer(header.text, header.size), asio::buffer(data), asio::buffer(kCrlf)});
      record.bytes_out += header.size + data.size() + 2;
    } else {
      buffers.assign({asio::buffer(data)});
      record.bytes_out += data.size();
    }
    if (!a_->out.empty()) buffers.push_front(asio::buffer(a_->out));
    bool ok = co_await write_client(buffers.view());
    a_->out.clear();
    co_return keep_fetching(ok);
  };
  Compression* compression = compression_;
  // A stored response is stored (and its waiters told) before the client gets its last
  // bytes: a client asking again at once finds it.
  auto store_now = [&] {
    if (pending_store_ != nullptr && cache_lookup_ != nullptr) {
      finish_store(*worker_.shared.cache, *cache_lookup_, *pending_store_);
    }
  };
  auto send = [&](std::string_view data, bool as_chunk,
                  bool last_piece = false) -> asio::awaitable<bool> {
    if (pending_store_ != nullptr) pending_store_->add_body(data);
    if (last_piece) store_now();
    if (compression == nullptr) co_return co_await emit(data, as_chunk);
    // Flushed per piece: a streamed body keeps streaming, compressed.
    compression->out.clear();
    if (!compression->encoder->compress(data, compression->out) ||
        !compression->encoder->flush(compression->out)) {
      record.error = "compressing the response failed";
      co_return false;
    }
    co_return co_await emit(compression->out, true);
  };
  // The origin's trailer fields, when it sent some, ride in the last chunk.
  std::string_view origin_trailers;
  auto send_last_chunk = [&]() -> asio::awaitable<bool> {
    if (client_gone) co_return true;
    std::string last;
    if (!origin_trailers.empty()) {
      std::vector<http::Header> fields;
      http::split_trailer_fields(origin_trailers, fields);
      if (!fields.empty()) {
        last.append("0\r\n");
        for (const http::Header& f : fields) {
          last.append(f.name).append(": ").append(f.value).append("\r\n");
        }
        last.append("\r\n");
      }
    }
    std::string_view bytes = last.empty() ? kLastChunk : std::string_view(last);
    record.bytes_out += bytes.size();
    buffers.assign({asio::buffer(bytes)});
    co_return keep_fetching(co_await write_client(buffers.view()));
  };
  // After the whole body: the encoder's last bytes and the chunked terminator.
  auto end_body = [&]() -> asio::awaitable<bool> {
    store_now();
    if (compression != nullptr) {
      compression->out.clear();
      if (!compression->encoder->finish(compression->out)) {
        record.error = "compressing the response failed";
        co_return false;
      }
      if (!co_await emit(compression->out, true)) co_return false;
    }
    if (chunk_to_client) co_return co_await send_last_chunk();
    co_return true;
  };
  // The body starts a fresh buffer so reads do not keep growing it.
  up.buffer.set_max(65536);

  switch (response.body) {
    case http::BodyKind::kContentLength: {
      uint64_t remaining = response.content_length;
      while (remaining > 0) {
        if (up.buffer.empty() && co_await fill() != 1) {
          record.error = "origin closed during the response body";
          co_return false;
        }
        std::string_view data = up.buffer.readable();
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, data.size()));
        up.buffer.consume(take);
        remaining -= take;
        if (!co_await send(data.substr(0, take), false, remaining == 0)) co_return false;
      }
      co_return co_await end_body();
    }
    case http::BodyKind::kChunked: {
      http::ChunkedDecoder decoder;
      if (chunk_to_client) decoder.keep_trailers();
      for (;;) {
        if (up.buffer.empty() && co_await fill() != 1) {
          record.error = "origin closed during a chunked body";
          co_return false;
        }
        http::ChunkedDecoder::Step step = decoder.feed(up.buffer.readable());
        up.buffer.consume(step.consumed);
        if (step.status == http::ParseStatus::kError) {
          record.error = "origin sent an invalid chunked body";
          co_return false;
        }
        if (!step.data.empty() && !co_await send(step.data, chunk_to_client)) co_return false;
        if (step.status == http::ParseStatus::kComplete) {
          origin_trailers = decoder.trailers();
          co_return co_await end_body();
        }
        if (step.consumed == 0 && step.data.empty()) {
          if (co_await fill() != 1) {
            record.error = "origin closed during a chunked body";
            co_return false;
          }
        }
      }
    }
    case http::BodyKind::kUntilClose: {
      for (;;) {
        if (up.buffer.empty()) {
          int got = co_await fill();
          if (got == 0) break;
          if (got < 0) {
            record.error = "origin failed during the response body";
            co_return false;
          }
        }
        std::string_view data = up.buffer.readable();
        up.buffer.consume(data.size());
        if (!co_await send(data, chunk_to_client)) co_return false;
      }
      co_return co_await end_body();
    }
    case http::BodyKind::kNone:
      co_return true;
  }
  co_return true;
}

asio::awaitable<void> ClientSession::tunnel(proxy::UpstreamConnection& up, RequestRecord& record) {
  using namespace asio::experimental::awaitable_operators;
  const auto idle = snapshot_->config->timeouts.client_idle;
  // Bytes that arrived early on either side go first.
  if (!a_->rbuf.empty()) {
    auto [ec, n] = co_await up.io.write(a_->rbuf.readable());
    a_->rbuf.consume(a_->rbuf.size());
    if (ec) co_return;
  }
  if (!up.buffer.empty()) {
    if (!co_await write_client(up.buffer.readable())) co_return;
    up.buffer.consume(up.buffer.size());
  }
  auto client_to_origin = [this, idle](proxy::UpstreamIo& to,
                                       uint64_t& counter) -> asio::awaitable<void> {
    auto buffer = std::make_unique_for_overwrite<char[]>(16384);
    for (;;) {
      deadline_.expire_after(idle);
      auto [rec, n] = co_await io_.read_some(asio::buffer(buffer.get(), 16384));
      if (rec) break;
      counter += n;
      auto [wec, wn] = co_await to.write(std::string_view(buffer.get(), n));
      if (wec) break;
    }
    to.shutdown_send();
  };
  auto origin_to_client = [this, idle](proxy::UpstreamIo& from,
                                       uint64_t& counter) -> asio::awaitable<void> {
    auto buffer = std::make_unique_for_overwrite<char[]>(16384);
    for (;;) {
      deadline_.expire_after(idle);
      auto [rec, n] = co_await from.read_some(asio::buffer(buffer.get(), 16384));
      if (rec) break;
      counter += n;
      auto [wec, wn] = co_await io_.write(std::string_view(buffer.get(), n));
      if (wec) break;
    }
    // The client's half closes with the session (after the other direction ends too).
  };
  co_await (client_to_origin(up.io, record.bytes_in) || origin_to_client(up.io, record.bytes_out));
  closing_ = true;
}

}  // namespace rampart::server
