#include "proxy/upstream_h2.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <vector>

#include "http/h1_writer.h"
#include "http/message.h"
#include "http/trailers.h"
#include "proxy/origin_pool.h"

namespace rampart::proxy {

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadSize = 16 * 1024;
constexpr size_t kFlushChunk = 64 * 1024;
// Request body bytes the layer holds for the origin's window before a write waits.
constexpr size_t kMaxQueued = 256 * 1024;
constexpr uint32_t kRefusedStream = 0x7;
constexpr uint32_t kCancel = 0x8;

// The session already dropped the hop-by-hop fields it knows of; these are the ones
// HTTP/2 forbids or carries otherwise (Host is :authority, TE is set here).
bool dropped_request_field(std::string_view name) {
  return http::is_hop_by_hop(name) || http::iequals(name, "host") || http::iequals(name, "te") ||
         http::iequals(name, "expect") || http::iequals(name, "transfer-encoding");
}

// Fields of an HTTP/2 response that must not reach the HTTP/1.1 parser as they are.
bool dropped_response_field(std::string_view name) {
  return http::is_hop_by_hop(name) || name == "transfer-encoding";
}

const http::ParserLimits kRequestLimits{.max_request_line = 16384,
                                        .max_header_bytes = 65536,
                                        .max_header_count = 200,
                                        .max_body_bytes = 0};

}  // namespace

UpstreamH2::UpstreamH2(core::Socket& socket, std::unique_ptr<UpstreamTls> tls)
    : socket_(socket),
      tls_(std::move(tls)),
      codec_(http::H2ClientLimits{}, *this),
      rbuf_(new char[kReadSize]) {}

UpstreamH2::~UpstreamH2() = default;

bool UpstreamH2::start() {
  return codec_.start();
}

void UpstreamH2::reset_exchange() {
  phase_ = Phase::kHead;
  head_.clear();
  chunked_ = false;
  remaining_ = 0;
  chunks_.reset();
  stream_ = -1;
  head_request_ = false;
  out_.clear();
  out_at_ = 0;
  unconsumed_ = 0;
  final_head_ = chunked_out_ = trailers_written_ = response_done_ = stream_failed_ = false;
  length_left_.reset();
}

// ---- the request, from the session's HTTP/1.1 bytes ----

boost::system::error_code UpstreamH2::begin_request(const http::RequestHead& head) {
  if (head.flags.upgrade || head.method == "CONNECT") {
    return asio::error::operation_not_supported;  // no tunnels over an HTTP/2 origin
  }
  std::vector<http::Header> fields;
  fields.reserve(head.headers.size() + 1);
  for (const http::Header& h : head.headers) {
    if (!dropped_request_field(h.name)) fields.push_back(h);
  }
  fields.push_back(http::Header{"te", "trailers"});
  head_request_ = head.method == "HEAD";
  const bool end_stream = head.body == http::BodyKind::kNone;
  stream_ = codec_.submit_request(head.method, tls_ ? "https" : "http", head.host, head.target,
                                  fields, end_stream);
  if (stream_ < 0) {
    // After a GOAWAY nothing was sent: the session may retry on a fresh connection.
    broken_ = true;
    return asio::error::connection_reset;
  }
  if (end_stream) {
    phase_ = Phase::kSent;
  } else if (head.body == http::BodyKind::kChunked) {
    phase_ = Phase::kBody;
    chunks_.emplace();
  } else {
    phase_ = Phase::kBody;
    remaining_ = head.content_length;
  }
  return {};
}

boost::system::error_code UpstreamH2::feed_body(std::string_view bytes) {
  if (!chunks_) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
    codec_.send_data(stream_, bytes.substr(0, n));
    remaining_ -= n;
    if (remaining_ == 0) {
      codec_.end_data(stream_);
      phase_ = Phase::kSent;
    }
    return {};
  }
  while (!bytes.empty()) {
    http::ChunkedDecoder::Step step = chunks_->feed(bytes);
    if (step.status == http::ParseStatus::kError) return asio::error::invalid_argument;
    codec_.send_data(stream_, step.data);
    bytes.remove_prefix(step.consumed);
    if (step.status == http::ParseStatus::kComplete) {
      codec_.end_data(stream_);  // request trailers are not forwarded
      phase_ = Phase::kSent;
      return {};
    }
    if (step.consumed == 0 && step.data.empty()) break;
  }
  return {};
}

boost::system::error_code UpstreamH2::feed_request(std::string_view bytes) {
  if (phase_ == Phase::kHead) {
    if (head_.size() + bytes.size() > kRequestLimits.max_header_bytes + 4096) {
      return asio::error::message_size;
    }
    head_.append(bytes);
    http::RequestHead head;
    http::ParseResult r = http::parse_request_head(head_, kRequestLimits, head);
    if (r.status == http::ParseStatus::kIncomplete) return {};
    if (r.status == http::ParseStatus::kError) return asio::error::invalid_argument;
    if (auto ec = begin_request(head)) return ec;
    std::string rest = head_.substr(r.consumed);
    head_.clear();
    if (phase_ == Phase::kBody && !rest.empty()) return feed_body(rest);
    return {};
  }
  if (phase_ == Phase::kBody) return feed_body(bytes);
  return {};  // bytes past the request's end: the session never writes any
}

asio::awaitable<IoResult> UpstreamH2::write(std::span<const asio::const_buffer> buffers) {
  if (broken_) co_return IoResult{asio::error::not_connected, 0};
  if (phase_ == Phase::kIdle) {
    // Frames that came while the connection sat idle first: a GOAWAY among them means
    // this request must go elsewhere (nothing was sent, the session may retry).
    if (!drain_idle()) broken_ = true;
    // A response framed by its length can be whole before its END_STREAM arrived.
    if (!broken_ && stream_ > 0 && !response_done_) codec_.reset_stream(stream_, kCancel);
    if (broken_ || !codec_.can_submit()) {
      broken_ = true;
      co_return IoResult{asio::error::connection_reset, 0};
    }
    reset_exchange();
  }
  size_t total = 0;
  for (const auto& b : buffers) {
    std::string_view bytes(static_cast<const char*>(b.data()), b.size());
    if (auto ec = feed_request(bytes)) {
      if (stream_ > 0) codec_.reset_stream(stream_, kCancel);
      broken_ = true;
      co_return IoResult{ec, 0};
    }
    total += b.size();
  }
  if (auto ec = co_await flush()) co_return IoResult{ec, 0};
  // Back-pressure: past kMaxQueued the origin's window must open before more is taken.
  while (stream_ > 0 && codec_.queued(stream_) > kMaxQueued && !stream_failed_ && !delivered()) {
    if (auto ec = co_await pump()) co_return IoResult{ec, 0};
  }
  co_return IoResult{boost::system::error_code{}, total};
}

// ---- the origin's side ----

asio::awaitable<IoResult> UpstreamH2::inner_read(asio::mutable_buffer buffer) {
  if (tls_) co_return co_await tls_->read_some(buffer);
  co_return co_await socket_.async_read_some(buffer, kNoThrow);
}

asio::awaitable<boost::system::error_code> UpstreamH2::inner_write(std::string_view bytes) {
  if (tls_) {
    asio::const_buffer b = asio::buffer(bytes);
    auto [ec, n] = co_await tls_->write(std::span<const asio::const_buffer>(&b, 1));
    co_return ec;
  }
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), kNoThrow);
  co_return ec;
}

asio::awaitable<boost::system::error_code> UpstreamH2::flush() {
  if (writing_) co_return boost::system::error_code{};
  writing_ = true;
  boost::system::error_code ec;
  for (;;) {
    wbuf_.clear();
    codec_.collect_output(wbuf_, kFlushChunk);
    if (wbuf_.empty()) break;
    if ((ec = co_await inner_write(wbuf_))) {
      broken_ = true;
      break;
    }
  }
  writing_ = false;
  co_return ec;
}

asio::awaitable<boost::system::error_code> UpstreamH2::pump() {
  if (auto ec = co_await flush()) co_return ec;
  if (broken_) co_return asio::error::not_connected;
  auto [ec, n] = co_await inner_read(asio::buffer(rbuf_.get(), kReadSize));
  if (ec) {
    if (ec != asio::error::operation_aborted) broken_ = true;
    co_return ec;
  }
  if (!codec_.receive(std::string_view(rbuf_.get(), n), steady_now_ms())) {
    broken_ = true;
    co_await flush();  // the GOAWAY saying why, best effort
    co_return asio::error::connection_aborted;
  }
  co_return co_await flush();
}

void UpstreamH2::consumed_output() {
  out_.clear();
  out_at_ = 0;
  if (unconsumed_ > 0 && stream_ > 0) codec_.consume(stream_, unconsumed_);
  unconsumed_ = 0;
}

asio::awaitable<IoResult> UpstreamH2::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    if (out_at_ < out_.size()) {
      size_t n = std::min(buffer.size(), out_.size() - out_at_);
      std::memcpy(buffer.data(), out_.data() + out_at_, n);
      out_at_ += n;
      if (out_at_ == out_.size()) {
        consumed_output();
        if (delivered()) phase_ = Phase::kIdle;  // the exchange is over
      }
      co_return IoResult{boost::system::error_code{}, n};
    }
    if (delivered()) co_return IoResult{asio::error::eof, 0};
    // A stream the origin refused or reset before its response completed reads as a
    // closed connection: with nothing read, the session may retry a replayable request.
    if (stream_failed_) co_return IoResult{asio::error::connection_reset, 0};
    if (phase_ == Phase::kIdle || phase_ == Phase::kHead) {
      co_return IoResult{asio::error::not_connected, 0};  // no request, no response
    }
    if (auto ec = co_await pump()) co_return IoResult{ec, 0};
  }
}

asio::awaitable<boost::system::error_code> UpstreamH2::wait_readable() {
  for (;;) {
    if (out_at_ < out_.size() || delivered() || stream_failed_) {
      co_return boost::system::error_code{};
    }
    if (auto ec = co_await pump()) co_return ec;
  }
}

void UpstreamH2::shutdown_send() {
  if (stream_ > 0 && phase_ == Phase::kBody) {
    codec_.end_data(stream_);
    phase_ = Phase::kSent;
  }
}

bool UpstreamH2::drain_idle() {
  for (;;) {
    IoResult r;
    if (tls_) {
      r = tls_->read_now(asio::buffer(rbuf_.get(), kReadSize));
    } else {
      boost::system::error_code ec;
      socket_.non_blocking(true, ec);
      size_t n = socket_.read_some(asio::buffer(rbuf_.get(), kReadSize), ec);
      r = IoResult{ec, n};
    }
    auto [ec, n] = r;
    if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
    if (ec || n == 0) return false;
    if (!codec_.receive(std::string_view(rbuf_.get(), n), steady_now_ms())) return false;
  }
}

bool UpstreamH2::idle_usable() {
  if (broken_ || !socket_.is_open()) return false;
  if (!delivered() || out_at_ < out_.size()) return false;
  if (!drain_idle()) {
    broken_ = true;
    return false;
  }
  // Replies the drained frames asked for (PING ACK, SETTINGS ACK) go with the next write.
  return codec_.can_submit();
}

// ---- the response, as HTTP/1.1 ----

void UpstreamH2::on_response_head(int32_t stream_id, int status,
                                  std::span<const http::Header> headers, bool end_stream) {
  if (stream_id != stream_ || final_head_) return;
  out_ += "HTTP/1.1 ";
  out_ += std::to_string(status);
  out_ += ' ';
  out_ += http::reason_phrase(status);
  out_ += "\r\n";
  bool has_length = false;
  for (const http::Header& h : headers) {
    if (dropped_response_field(h.name)) continue;
    if (h.name == "content-length") has_length = true;
    out_.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (status < 200) {
    out_ += "\r\n";  // interim: the session skips it
    return;
  }
  final_head_ = true;
  const bool no_body = head_request_ || status == 204 || status == 304;
  if (no_body) {
    length_left_ = 0;
  } else if (has_length) {
    for (const http::Header& h : headers) {
      uint64_t n = 0;
      if (h.name != "content-length") continue;
      auto [p, ec] = std::from_chars(h.value.data(), h.value.data() + h.value.size(), n);
      if (ec == std::errc() && p == h.value.data() + h.value.size()) length_left_ = n;
    }
  } else {
    if (end_stream) {
      out_ += "content-length: 0\r\n";
    } else {
      out_ += "transfer-encoding: chunked\r\n";
      chunked_out_ = true;
    }
  }
  out_ += "\r\n";
}

void UpstreamH2::on_response_data(int32_t stream_id, std::string_view data) {
  if (stream_id != stream_ || !final_head_ || data.empty()) {
    codec_.consume(stream_id, data.size());
    return;
  }
  if (chunked_out_) {
    char size[24];
    int len = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    out_.append(size, static_cast<size_t>(len));
    out_.append(data);
    out_ += "\r\n";
  } else if (!head_request_) {
    out_.append(data);
    if (length_left_) *length_left_ -= std::min<uint64_t>(*length_left_, data.size());
  }
  unconsumed_ += data.size();
}

void UpstreamH2::on_response_trailers(int32_t stream_id, std::span<const http::Header> trailers) {
  if (stream_id != stream_ || !chunked_out_ || trailers_written_) return;
  trailers_written_ = true;
  out_ += "0\r\n";
  for (const http::Header& h : trailers) {
    if (!http::forwardable_trailer(h.name)) continue;
    out_.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out_ += "\r\n";
}

void UpstreamH2::on_response_end(int32_t stream_id) {
  if (stream_id != stream_ || !final_head_) return;
  if (chunked_out_ && !trailers_written_) out_ += "0\r\n\r\n";
  trailers_written_ = true;
  response_done_ = true;
}

void UpstreamH2::on_stream_close(int32_t stream_id, uint32_t error_code) {
  if (stream_id != stream_) return;
  if (!delivered()) {
    stream_failed_ = true;
    // Bytes of a response that will never finish must not reach the session as if
    // they were whole; a refused stream had none.
    if (error_code == kRefusedStream) {
      out_.clear();
      out_at_ = 0;
    }
  }
  if (phase_ == Phase::kBody) phase_ = Phase::kSent;  // nothing more is taken for it
}

}  // namespace rampart::proxy
