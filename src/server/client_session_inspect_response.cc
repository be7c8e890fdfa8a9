// Response inspection (the WAF's phases 3 and 4): the response head goes to the modules
// before it is stored or sent; when a module asks for the body, up to its limit is read
// ahead and inspected first, then relayed. A response no module asks about streams as
// before, with no buffering.

#include "http/h1_parser.h"
#include "server/client_session.h"

namespace rampart::server {

asio::awaitable<void> ClientSession::hold_response_body(proxy::UpstreamConnection& up,
                                                        const http::ResponseHead& response,
                                                        size_t head_size, size_t limit,
                                                        std::string& held, std::string& body,
                                                        bool& truncated) {
  const config::Timeouts& t = snapshot_->config->timeouts;
  // Enough body to decide (the limit and one byte more); chunk framing is bounded too,
  // so a body of tiny chunks cannot make us hold much more than the limit.
  const size_t wanted = limit + 1;
  const size_t max_held = 2 * wanted + 65536;
  held.assign(up.buffer.readable().substr(head_size));
  http::ChunkedDecoder decoder;
  size_t parsed = 0;
  bool complete = false;
  auto decode = [&] {
    switch (response.body) {
      case http::BodyKind::kContentLength: {
        uint64_t length = response.content_length;
        body.assign(held.data(), static_cast<size_t>(std::min<uint64_t>(held.size(), length)));
        complete = held.size() >= length;
        if (length > limit) truncated = true;
        break;
      }
      case http::BodyKind::kChunked:
        while (parsed < held.size() && !complete) {
          http::ChunkedDecoder::Step step = decoder.feed(std::string_view(held).substr(parsed));
          parsed += step.consumed;
          body.append(step.data);
          // A broken body is the relay's to report; what came before it is inspected.
          if (step.status != http::ParseStatus::kIncomplete) complete = true;
          if (step.consumed == 0 && step.data.empty()) break;
        }
        break;
      default:
        body = held;
        break;
    }
    if (body.size() > limit) truncated = true;
  };
  decode();
  while (!complete && body.size() < wanted && held.size() < max_held) {
    size_t old = held.size();
    held.resize(old + 16384);
    deadline_.expire_after(t.upstream_idle);
    auto [ec, n] = co_await up.io.read_some(asio::buffer(held.data() + old, 16384));
    held.resize(old + (ec ? 0 : n));
    if (ec) {
      // End of a close-delimited body, or a failure the relay meets again and reports.
      break;
    }
    if (response.body == http::BodyKind::kUntilClose) {
      body.append(held, old, n);
      if (body.size() > limit) truncated = true;
    } else {
      decode();
    }
  }
  if (held.size() >= max_held && !complete) truncated = true;
  co_return;
}

bool ClientSession::inspect_stored_response(pipeline::RequestContext& ctx, std::string_view body,
                                            bool with_body) {
  const pipeline::Pipeline& pipeline = *snapshot_->pipeline;
  if (pipeline.inspect_response(ctx) == pipeline::RequestResult::kRespond) return true;
  if (!with_body) return false;
  size_t limit = pipeline.response_body_limit(ctx);
  if (limit == 0) return false;
  return pipeline.inspect_response_body(ctx, body.substr(0, limit), body.size() > limit) ==
         pipeline::RequestResult::kRespond;
}

}  // namespace rampart::server
