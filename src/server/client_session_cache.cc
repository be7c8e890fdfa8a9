// The cache half of a client session: the lookup, answering from a stored copy (or a
// 304 for a client's own conditional request), joining a collapsed fetch and streaming
// it as it grows, and serving a stale copy when the origin fails.

#include <charconv>

#include "cache/conditional.h"
#include "cache/range.h"
#include "cache/vary.h"
#include "http/h1_writer.h"
#include "server/background_revalidation.h"
#include "server/client_session.h"
#include "server/session_io.h"

namespace rampart::server {

namespace {

using session_io::kNoThrow;

// Requests that may lead or join a collapsed fetch: a plain GET whose answer is the
// full representation. Conditional and range requests want another answer than the
// one being fetched and go to the origin on their own.
bool collapsible(const http::RequestHead& head) {
  if (head.method != "GET" || head.body != http::BodyKind::kNone) return false;
  for (const http::Header& h : head.headers) {
    if (http::iequals(h.name, "if-none-match") || http::iequals(h.name, "if-modified-since") ||
        http::iequals(h.name, "range") || http::iequals(h.name, "if-range")) {
      return false;
    }
  }
  return true;
}

bool has_field(std::span<const http::Header> fields, std::string_view name) {
  for (const http::Header& h : fields) {
    if (http::iequals(h.name, name)) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<ClientSession::Flow> ClientSession::serve_with_cache(pipeline::RequestContext& ctx,
                                                                     RequestRecord& record,
                                                                     bool must_close) {
  CacheLookup lookup = cache_lookup_for(*ctx.site, a_->head, &ctx.cache);
  cache::TieredStore& store = *worker_.shared.cache;
  if (std::optional<CacheHit> hit = find_usable(store, lookup, a_->head, ctx.site->cache)) {
    if (hit->revalidate) {
      start_background_revalidation(worker_, snapshot_, ctx, lookup.key, hit->object,
                                    a_->upstream_headers);
    }
    co_return co_await respond_from_cache(ctx, record, *hit, must_close || !body_done_);
  }
  if (lookup.eligible) record.cache = "miss";

  if (lookup.eligible && collapsible(a_->head)) {
    // A follower whose fetch failed tries once more, led by one of the waiters; after a
    // second failure it answers with that failure rather than queueing again.
    for (int round = 0; round < 2 && !lookup.fill; ++round) {
      cache::FillRegistry::Joined joined =
          worker_.shared.fills.join(lookup.key, snapshot_->config->cache.max_object_bytes);
      if (joined.leader) {
        lookup.fill = std::move(joined.fill);
        break;
      }
      deadline_.disarm();  // the leader's own timeouts bound this wait
      co_await joined.fill->async_wait(cache::Fill::kHead, kNoThrow);
      cache::Fill::State state = joined.fill->state();
      if (state == cache::Fill::State::kStreaming || state == cache::Fill::State::kComplete) {
        cache::VaryKey vk = cache::build_vary_key(joined.fill->headers(), a_->head.headers);
        if (vk.status == cache::VaryStatus::kOk && vk.key == joined.fill->vary_key()) {
          co_return co_await stream_from_fill(ctx, record, *joined.fill, lookup,
                                              must_close || !body_done_);
        }
        break;  // it varies on something this request has otherwise: ask alone
      }
      if (state == cache::Fill::State::kPass) break;
      if (lookup.stale && lookup.stale_if_error) {
        cache_lookup_ = &lookup;
        Flow flow = co_await respond_stale(ctx, record, 0, must_close || !body_done_);
        cache_lookup_ = nullptr;
        co_return flow;
      }
      if (round == 1) {
        record.error = "origin failed (collapsed request)";
        co_return co_await respond_local(502, record.error, must_close || !body_done_, record);
      }
    }
  }

  if (lookup.stale) lookup.revalidating = add_validators(*lookup.stale, a_->upstream_headers);
  cache_lookup_ = lookup.eligible ? &lookup : nullptr;
  Flow flow = co_await forward(ctx, record);
  cache_lookup_ = nullptr;
  if (lookup.fill) {
    // Whatever ended the fetch, waiters must not wait on it any longer.
    lookup.fill->fail();
    worker_.shared.fills.finish(lookup.key, lookup.fill);
  }
  co_return flow;
}

asio::awaitable<ClientSession::Flow> ClientSession::respond_from_cache(
    pipeline::RequestContext& ctx, RequestRecord& record, const CacheHit& hit, bool must_close) {
  must_close = must_close || must_close_;  // as in respond_local
  const cache::CachedObject& object = *hit.object;
  record.cache = hit.log_status;
  bool not_modified = cache::evaluate_conditional(
                          a_->head.method, a_->head.headers, object.status(), object.headers(),
                          object.response_time()) == cache::ConditionalResult::kNotModified;
  // Views into `object`, which outlives this call.
  std::vector<http::Header>& fields = a_->response_headers;
  if (not_modified) {
    fields = cache::not_modified_headers(object.headers());
  } else {
    fields.assign(object.headers().begin(), object.headers().end());
  }
  int status = not_modified ? 304 : object.status();
  // A Range request on a stored full response gets its ranges (RFC 9110 §14.2).
  std::string_view body = object.body();
  std::string multipart;
  std::string content_range;
  std::string content_type;
  if (!not_modified && object.status() == 200 && a_->head.method == "GET") {
    const http::Header* range = a_->head.find("range");
    const http::Header* if_range = a_->head.find("if-range");
    if (range != nullptr &&
        (if_range == nullptr || cache::if_range_allows(if_range->value, object.headers()))) {
      cache::RangeResult ranges = cache::parse_range(range->value, body.size());
      if (ranges.status == cache::RangeStatus::kUnsatisfiable) {
        status = 416;
        content_range = cache::format_unsatisfied_range(body.size());
        body = {};
      } else if (ranges.status == cache::RangeStatus::kSatisfiable) {
        status = 206;
        if (ranges.ranges.size() == 1) {
          const cache::ByteRange& r = ranges.ranges.front();
          content_range = cache::format_content_range(r, body.size());
          body = body.substr(r.first, r.last - r.first + 1);
        } else {
          std::string boundary = "rampart-" + std::string(ctx.request_id);
          std::string_view part_type;
          for (const http::Header& h : fields) {
            if (http::iequals(h.name, "content-type")) part_type = h.value;
          }
          multipart = cache::multipart_byteranges(body, ranges.ranges, part_type, boundary);
          body = multipart;
          content_type = "multipart/byteranges; boundary=" + boundary;
          std::erase_if(
              fields, [](const http::Header& h) { return http::iequals(h.name, "content-type"); });
        }
      }
    }
  }
  record.status = status;

  ctx.response_status = status;
  ctx.response_headers = &a_->response_headers;
  bool has_body = !not_modified && object.status() >= 200 && object.status() != 204 &&
                  a_->head.method != "HEAD";
  if (inspect_stored_response(ctx, body, has_body)) {
    ctx.response_headers = nullptr;
    co_return co_await respond_redirect_or_local(ctx, record, must_close);
  }
  snapshot_->pipeline->run_response(ctx);
  ctx.response_headers = nullptr;
  // The stored copy is identity; a client that accepts a coding gets the compressed
  // form kept with it (made once).
  Compression compression;
  StoredEncoding encoded;
  if (status == 200 && !not_modified) {
    encoded = encode_stored(compression, *ctx.site, status, a_->response_headers, object, a_->head);
    if (encoded.body) body = *encoded.body;
  }
  std::string age = std::to_string(hit.age);
  std::string cache_status =
      hit.cache_status.empty() ? "rampart; hit; ttl=" + std::to_string(hit.ttl) : hit.cache_status;
  std::string content_length = std::to_string(body.size());
  a_->response_headers.push_back({"Age", age});
  a_->response_headers.push_back({"Cache-Status", cache_status});
  a_->response_headers.push_back({"Via", "1.1 rampart"});
  a_->response_headers.push_back({"X-Request-Id", ctx.request_id});
  add_config_header();
  if (!content_range.empty()) a_->response_headers.push_back({"Content-Range", content_range});
  if (!content_type.empty()) a_->response_headers.push_back({"Content-Type", content_type});
  if (status == 200 && encoded.coding == compress::Coding::kIdentity &&
      !has_field(fields, "accept-ranges")) {
    a_->response_headers.push_back({"Accept-Ranges", "bytes"});
  }
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
  record.bytes_out += a_->out.size() + (with_body ? body.size() : 0);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(a_->out),
                                            asio::buffer(body.data(), with_body ? body.size() : 0)};
  bool ok = co_await write_client(std::span<const asio::const_buffer>(buffers));
  a_->out.clear();
  co_return (ok && !must_close) ? Flow::kKeepAlive : Flow::kClose;
}

asio::awaitable<ClientSession::Flow> ClientSession::respond_stale(pipeline::RequestContext& ctx,
                                                                  RequestRecord& record,
                                                                  int origin_status,
                                                                  bool must_close) {
  CacheHit hit = hit_of(cache_lookup_->stale);
  hit.cache_status = "rampart; fwd=stale";
  if (origin_status != 0)
    hit.cache_status.append("; fwd-status=").append(std::to_string(origin_status));
  hit.cache_status.append("; ttl=")
      .append(std::to_string(hit.ttl))
      .append("; detail=stale-if-error");
  hit.log_status = "stale";
  co_return co_await respond_from_cache(ctx, record, hit, must_close);
}

asio::awaitable<ClientSession::Flow> ClientSession::stream_from_fill(pipeline::RequestContext& ctx,
                                                                     RequestRecord& record,
                                                                     cache::Fill& fill,
                                                                     const CacheLookup& lookup,
                                                                     bool must_close) {
  record.cache = "collapsed";
  int status = fill.status();
  record.status = status;
  std::optional<uint64_t> length;
  a_->response_headers.clear();
  for (const http::Header& h : fill.headers()) {
    if (http::iequals(h.name, "content-length")) {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(h.value.data(), h.value.data() + h.value.size(), n);
      if (ec == std::errc() && end == h.value.data() + h.value.size()) length = n;
      continue;
    }
    a_->response_headers.push_back(h);
  }
  ctx.response_status = status;
  ctx.response_headers = &a_->response_headers;
  // The fetch's body passed its leader's inspection; this request's phase 3 runs on the
  // head (phase 4 would need the whole body before streaming it).
  if (snapshot_->pipeline->inspect_response(ctx) == pipeline::RequestResult::kRespond) {
    ctx.response_headers = nullptr;
    co_return co_await respond_redirect_or_local(ctx, record, must_close);
  }
  snapshot_->pipeline->run_response(ctx);
  ctx.response_headers = nullptr;
  bool bodiless = status == 204 || status == 304 || status < 200;
  Compression compression;
  bool compressing = begin_compression(compression, *ctx.site, status, a_->response_headers, length,
                                       a_->head, !bodiless);
  if (compressing) length.reset();  // the coded length is known only at the end
  std::string cache_status =
      "rampart; fwd=" + lookup.miss + "; fwd-status=" + std::to_string(status) + "; collapsed";
  a_->response_headers.push_back({"Cache-Status", cache_status});
  a_->response_headers.push_back({"Via", "1.1 rampart"});
  a_->response_headers.push_back({"X-Request-Id", ctx.request_id});
  add_config_header();
  bool keep_alive = !must_close;
  bool chunked = false;
  std::string length_text = length ? std::to_string(*length) : std::string();
  if (!bodiless) {
    if (length) {
      a_->response_headers.push_back({"Content-Length", length_text});
    } else if (a_->head.version_minor >= 1) {
      a_->response_headers.push_back({"Transfer-Encoding", "chunked"});
      chunked = true;
    } else {
      keep_alive = false;  // an HTTP/1.0 client reads to the close
    }
  }
  if (!keep_alive) {
    a_->response_headers.push_back({"Connection", "close"});
  } else if (a_->head.version_minor == 0) {
    a_->response_headers.push_back({"Connection", "keep-alive"});
  }
  a_->out.clear();
  http::write_response_head(a_->out, status, a_->response_headers);
  record.bytes_out += a_->out.size();
  bool ok = co_await write_client(a_->out);
  a_->out.clear();
  if (!ok) co_return Flow::kClose;

  size_t offset = 0;
  while (!bodiless) {
    std::string_view block = fill.body_at(offset);
    if (!block.empty()) {
      offset += block.size();
      if (compressing) {
        compression.out.clear();
        if (!compression.encoder->compress(block, compression.out) ||
            !compression.encoder->flush(compression.out)) {
          co_return Flow::kClose;
        }
        block = compression.out;
        if (block.empty()) continue;
      }
      session_io::ChunkHeader header(block.size());
      std::array<asio::const_buffer, 3> buffers{asio::buffer(header.text, header.size),
                                                asio::buffer(block), asio::buffer("\r\n", 2)};
      std::span<const asio::const_buffer> view(buffers);
      if (!chunked) view = view.subspan(1, 1);
      record.bytes_out += chunked ? header.size + block.size() + 2 : block.size();
      if (!co_await write_client(view)) co_return Flow::kClose;
      continue;
    }
    cache::Fill::State state = fill.state();
    if (state == cache::Fill::State::kComplete) {
      if (offset >= fill.body_size()) break;
      continue;
    }
    if (state != cache::Fill::State::kStreaming) {
      // The body was cut short: closing tells the client so.
      record.error = "the collapsed origin fetch failed during the body";
      co_return Flow::kClose;
    }
    deadline_.disarm();
    co_await fill.async_wait(offset, kNoThrow);
  }
  if (compressing) {
    compression.out.clear();
    if (!compression.encoder->finish(compression.out)) co_return Flow::kClose;
    if (!compression.out.empty()) {
      session_io::ChunkHeader header(compression.out.size());
      std::array<asio::const_buffer, 3> buffers{asio::buffer(header.text, header.size),
                                                asio::buffer(compression.out),
                                                asio::buffer("\r\n", 2)};
      record.bytes_out += header.size + compression.out.size() + 2;
      if (!co_await write_client(std::span<const asio::const_buffer>(buffers))) {
        co_return Flow::kClose;
      }
    }
  }
  if (chunked) {
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    record.bytes_out += kLastChunk.size();
    if (!co_await write_client(kLastChunk)) co_return Flow::kClose;
  }
  co_return keep_alive ? Flow::kKeepAlive : Flow::kClose;
}

}  // namespace rampart::server
