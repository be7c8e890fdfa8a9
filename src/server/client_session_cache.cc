// Answering from the cache: a stored response (or a 304 for a client's own conditional
// request) with its Age and Cache-Status, after the site's response header rules.

#include "cache/conditional.h"
#include "http/h1_writer.h"
#include "server/client_session.h"
#include "server/session_io.h"

namespace rampart::server {

asio::awaitable<ClientSession::Flow> ClientSession::respond_from_cache(
    pipeline::RequestContext& ctx, RequestRecord& record, const CacheHit& hit, bool must_close) {
  const cache::CachedObject& object = *hit.object;
  record.cache = "hit";
  bool not_modified = cache::evaluate_conditional(
                          a_->head.method, a_->head.headers, object.status(), object.headers(),
                          object.response_time()) == cache::ConditionalResult::kNotModified;
  std::vector<http::Header> fields;  // views into `object`, alive for this call
  if (not_modified) {
    fields = cache::not_modified_headers(object.headers());
  } else {
    fields.assign(object.headers().begin(), object.headers().end());
  }
  int status = not_modified ? 304 : object.status();
  record.status = status;

  a_->response_headers.assign(fields.begin(), fields.end());
  ctx.response_status = status;
  ctx.response_headers = &a_->response_headers;
  snapshot_->pipeline->run_response(ctx);
  ctx.response_headers = nullptr;
  std::string age = std::to_string(hit.age);
  std::string cache_status = "rampart; hit; ttl=" + std::to_string(hit.ttl);
  std::string content_length = std::to_string(object.body().size());
  a_->response_headers.push_back({"Age", age});
  a_->response_headers.push_back({"Cache-Status", cache_status});
  a_->response_headers.push_back({"Via", "1.1 rampart"});
  a_->response_headers.push_back({"X-Request-Id", ctx.request_id});
  // A 304 and responses that never have a body (RFC 9110 §6.4.1) carry no length.
  bool bodiless = not_modified || object.status() == 204 || object.status() < 200;
  if (!bodiless) a_->response_headers.push_back({"Content-Length", content_length});
  if (must_close) {
    a_->response_headers.push_back({"Connection", "close"});
  } else if (a_->head.version_minor == 0) {
    a_->response_headers.push_back({"Connection", "keep-alive"});
  }
  a_->out.clear();
  http::write_response_head(a_->out, status, a_->response_headers);
  bool with_body = !bodiless && a_->head.method != "HEAD";
  record.bytes_out += a_->out.size() + (with_body ? object.body().size() : 0);
  std::array<asio::const_buffer, 2> buffers{
      asio::buffer(a_->out),
      asio::buffer(object.body().data(), with_body ? object.body().size() : 0)};
  bool ok = co_await write_client(std::span<const asio::const_buffer>(buffers));
  a_->out.clear();
  co_return (ok && !must_close) ? Flow::kKeepAlive : Flow::kClose;
}

}  // namespace rampart::server
