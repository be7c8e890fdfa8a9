#include "server/h2_stream_layer.h"

#include <boost/asio/error.hpp>

#include <cstring>

#include "http/h2_request_h1.h"
#include "http/trailers.h"
#include "server/h2_connection.h"
#include "server/session_io.h"

namespace rampart::server {

namespace {

// A writer waits while more than this is queued on its stream and not yet framed: the
// stream's share of memory stays bounded while a client reads slowly.
constexpr size_t kQueueHighWater = 64 * 1024;
// The session's own response heads: what it relays from origins, plus its own fields.
constexpr http::ParserLimits kResponseHeadLimits{65536, 131072, 500, 0};
constexpr uint32_t kInternalError = 0x2;  // RFC 9113 §7

}  // namespace

H2StreamLayer::H2StreamLayer(H2Connection& connection, int32_t stream_id)
    : connection_(connection),
      stream_id_(stream_id),
      readable_(connection.executor()),
      drained_(connection.executor()) {}

H2StreamLayer::~H2StreamLayer() {
  connection_.detach(stream_id_);
}

bool H2StreamLayer::start(const http::H2Request& request, std::string_view& error) {
  method_.assign(request.method);
  http::H2HeadTranslation t = http::translate_h2_request(request, inbound_);
  if (!t.ok) {
    error = t.error;
    return false;
  }
  // One request per stream: the session (Role::kStream) ends after it by itself, so the
  // head carries no Connection field for every proxy step to look through.
  chunk_body_ = !request.end_stream && !request.content_length.has_value();
  inbound_ended_ = request.end_stream;
  return true;
}

void H2StreamLayer::add_body(std::string_view data) {
  if (gone_ || inbound_ended_) return;
  if (inbound_pos_ == inbound_.size()) {
    inbound_.clear();
    inbound_pos_ = 0;
  }
  if (chunk_body_) {
    session_io::ChunkHeader header(data.size());
    inbound_.append(header.text, header.size).append(data).append("\r\n");
  } else {
    inbound_.append(data);
  }
  uncredited_ += data.size();
  readable_.notify();
}

void H2StreamLayer::end_body() {
  if (inbound_ended_) return;
  if (chunk_body_) inbound_.append("0\r\n\r\n");
  inbound_ended_ = true;
  readable_.notify();
}

void H2StreamLayer::reset(bool abort) {
  if (gone_) return;
  gone_ = true;
  readable_.notify();
  drained_.notify();
  if (abort && on_gone_) on_gone_();
}

void H2StreamLayer::cancel() {
  ++cancels_;
  readable_.notify();
  drained_.notify();
}

asio::awaitable<IoResult> H2StreamLayer::read_some(asio::mutable_buffer buffer) {
  uint64_t cancels = cancels_;
  for (;;) {
    if (gone_) co_return IoResult{asio::error::connection_reset, 0};
    if (inbound_pos_ < inbound_.size()) {
      size_t n = std::min(buffer.size(), inbound_.size() - inbound_pos_);
      std::memcpy(buffer.data(), inbound_.data() + inbound_pos_, n);
      inbound_pos_ += n;
      if (inbound_pos_ == inbound_.size()) {
        inbound_.clear();
        inbound_pos_ = 0;
      }
      // Flow control opens as the session takes the body, not as it arrives.
      size_t credit = std::min(uncredited_, n);
      if (credit > 0) {
        uncredited_ -= credit;
        connection_.codec().consume(stream_id_, credit);
        connection_.wake_writer();
      }
      co_return IoResult{boost::system::error_code{}, n};
    }
    if (inbound_ended_) co_return IoResult{asio::error::eof, 0};
    co_await readable_.wait();
    if (cancels != cancels_) co_return IoResult{asio::error::operation_aborted, 0};
  }
}

asio::awaitable<boost::system::error_code> H2StreamLayer::wait_readable() {
  uint64_t cancels = cancels_;
  while (!gone_ && inbound_pos_ == inbound_.size() && !inbound_ended_) {
    co_await readable_.wait();
    if (cancels != cancels_) co_return asio::error::operation_aborted;
  }
  co_return gone_ ? asio::error::connection_reset : boost::system::error_code{};
}

asio::awaitable<IoResult> H2StreamLayer::write(std::span<const asio::const_buffer> buffers) {
  uint64_t cancels = cancels_;
  size_t total = 0;
  for (const auto& b : buffers) {
    if (gone_) co_return IoResult{asio::error::connection_reset, 0};
    if (!feed({static_cast<const char*>(b.data()), b.size()})) {
      connection_.codec().reset_stream(stream_id_, kInternalError);
      connection_.wake_writer();
      gone_ = true;
      co_return IoResult{asio::error::connection_aborted, 0};
    }
    total += b.size();
  }
  connection_.wake_writer();
  while (!gone_ && connection_.codec().queued(stream_id_) > kQueueHighWater) {
    co_await drained_.wait();
    if (cancels != cancels_) {
      // The send timeout passed with the client's window shut (a zero-window stall).
      connection_.count_stall();
      co_return IoResult{asio::error::operation_aborted, 0};
    }
  }
  if (gone_) co_return IoResult{asio::error::connection_reset, 0};
  co_return IoResult{boost::system::error_code{}, total};
}

bool H2StreamLayer::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (out_) {
      case Out::kHead:
        return feed_head(bytes);
      case Out::kFixed: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
        connection_.codec().send_data(stream_id_, bytes.substr(0, take));
        remaining_ -= take;
        bytes.remove_prefix(take);
        if (remaining_ == 0) finish_body();
        break;
      }
      case Out::kChunked: {
        if (!chunk_rest_.empty()) {
          // A chunk line split across writes: decode it with what follows.
          chunk_rest_.append(bytes);
          std::string joined = std::move(chunk_rest_);
          chunk_rest_.clear();
          return feed(joined);
        }
        http::ChunkedDecoder::Step step = chunks_.feed(bytes);
        if (step.status == http::ParseStatus::kError) return false;
        if (!step.data.empty()) connection_.codec().send_data(stream_id_, step.data);
        bytes.remove_prefix(step.consumed);
        if (step.status == http::ParseStatus::kComplete) {
          finish_body();
        } else if (step.consumed == 0 && step.data.empty()) {
          chunk_rest_.assign(bytes);
          return true;
        }
        break;
      }
      case Out::kUntilEnd:
        connection_.codec().send_data(stream_id_, bytes);
        return true;
      case Out::kDone:
        return true;  // nothing follows a complete response on a stream
    }
  }
  return true;
}

bool H2StreamLayer::feed_head(std::string_view bytes) {
  if (head_.size() + bytes.size() > kResponseHeadLimits.max_header_bytes + 1024) return false;
  // A head that arrives in one write (the usual case) is parsed where it is; only a
  // head split across writes is gathered in head_.
  if (!head_.empty()) {
    head_.append(bytes);
    bytes = head_;
  }
  http::ResponseHead& response = connection_.response_scratch();
  for (;;) {
    http::ParseResult r = http::parse_response_head(bytes, method_, kResponseHeadLimits, response);
    if (r.status == http::ParseStatus::kIncomplete) {
      if (head_.empty()) {
        head_.assign(bytes);
      } else {
        head_.erase(0, head_.size() - bytes.size());  // interim heads already dropped
      }
      return true;
    }
    if (r.status == http::ParseStatus::kError) return false;
    if (response.status >= 100 && response.status < 200) {
      // 100 Continue and other interim answers have no HTTP/2 counterpart worth sending.
      bytes.remove_prefix(r.consumed);
      if (bytes.empty()) {
        head_.clear();
        return true;
      }
      continue;
    }
    bool tunnel = method_ == "CONNECT" && response.status >= 200 && response.status < 300;
    bool no_body = !tunnel && response.body == http::BodyKind::kNone;
    if (!connection_.codec().submit_head(stream_id_, response.status, response.headers, no_body)) {
      return false;
    }
    if (tunnel) {
      out_ = Out::kUntilEnd;
    } else if (no_body) {
      out_ = Out::kDone;
    } else if (response.body == http::BodyKind::kContentLength) {
      out_ = Out::kFixed;
      remaining_ = response.content_length;
    } else if (response.body == http::BodyKind::kChunked) {
      out_ = Out::kChunked;
      chunks_.keep_trailers();  // they become the stream's trailing HEADERS
    } else {
      out_ = Out::kUntilEnd;
    }
    bytes.remove_prefix(r.consumed);
    response.clear();
    if (head_.empty()) return bytes.empty() || feed(bytes);
    std::string rest(bytes);
    head_.clear();
    head_.shrink_to_fit();
    return rest.empty() || feed(rest);
  }
}

void H2StreamLayer::finish_body() {
  std::vector<http::Header> trailers;
  if (out_ == Out::kChunked) http::split_trailer_fields(chunks_.trailers(), trailers);
  connection_.codec().end_data(stream_id_, trailers);
  out_ = Out::kDone;
}

asio::awaitable<void> H2StreamLayer::shutdown() {
  if (gone_) co_return;
  switch (out_) {
    case Out::kUntilEnd:
      finish_body();
      break;
    case Out::kHead:
    case Out::kFixed:
    case Out::kChunked:
      // No response, or a truncated one: the client must not take it for complete.
      connection_.codec().reset_stream(stream_id_, kInternalError);
      break;
    case Out::kDone:
      break;
  }
  connection_.wake_writer();
  co_return;
}

}  // namespace rampart::server
