#pragma once
// Request collapsing: one origin fetch for a cache key, shared by every request that
// misses on that key while it runs. The fetch writes the response head and body into
// a Fill as they arrive; each waiting request streams from it at its own pace, on its
// own worker, starting before the body is complete. Body bytes live in fixed blocks
// that never move, so a reader's view stays valid while the fill grows.
//
// The fetch is its own task, not any one client's: a client that goes away does not
// stall the others. A failed fetch wakes every waiter with kFailed; the registry then
// lets exactly one of them lead the next attempt.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/owned_fields.h"
#include "http/message.h"

namespace rampart::cache {

class Fill {
 public:
  enum class State : uint8_t {
    kPending,    // no response head yet
    kStreaming,  // head known, body arriving
    kComplete,   // the whole body is here
    kFailed,     // the fetch failed; what arrived must not be served as complete
    kPass,       // the response may not be shared: each waiter asks the origin itself
  };

  static constexpr size_t kBlockBytes = 64 * 1024;
  // async_wait's offset for "until the response head is known".
  static constexpr size_t kHead = SIZE_MAX;

  explicit Fill(size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}
  Fill(const Fill&) = delete;
  Fill& operator=(const Fill&) = delete;

  // ---- the fetch
  // `vary_key` is the secondary key of the request that led the fetch: a waiter whose
  // own varied fields give another key may not use this response.
  void set_head(int status, std::span<const http::Header> headers, std::string_view vary_key = {});
  // False when the body would pass max_body_bytes: the fill is then failed.
  bool append(std::string_view bytes);
  void complete();
  void fail();  // no effect once complete or passed
  void pass();  // only before the head

  // ---- the readers
  State state() const;
  int status() const;  // valid once the state is past kPending
  // Header fields, owned by the fill (stable once the head is set).
  std::span<const http::Header> headers() const;
  const std::string& vary_key() const { return vary_key_; }  // stable once the head is set
  size_t body_size() const;
  // Up to the end of one block from `offset`; empty when nothing is there yet.
  std::string_view body_at(size_t offset) const;

  // Completes (with no error) once the fill has more than `offset` body bytes (with
  // kHead: once the head is known) or its state is past kStreaming, or at once when
  // that is already so. The handler runs on
  // its own associated executor, so readers on other workers are woken on theirs.
  template <typename CompletionToken>
  auto async_wait(size_t offset, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this, offset](auto handler) { wait(offset, Handler(std::move(handler))); }, token);
  }

  size_t waiters() const;

 private:
  using Handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;
  struct Waiter {
    size_t offset;
    Handler handler;
  };
  void wait(size_t offset, Handler handler);
  // Wakes the waiters that can make progress; called with mutex_ held, posts after.
  std::vector<Handler> take_ready_locked();
  static void post_all(std::vector<Handler> ready);

  mutable std::mutex mutex_;
  size_t max_body_bytes_;
  State state_ = State::kPending;
  int status_ = 0;
  OwnedFields headers_;
  std::string vary_key_;
  std::deque<std::string> blocks_;
  size_t body_size_ = 0;
  std::vector<Waiter> waiters_;
};

// The fills in progress by key. A lookup that misses either leads a new fill or joins
// the running one.
class FillRegistry {
 public:
  struct Joined {
    std::shared_ptr<Fill> fill;
    bool leader = false;  // this request starts the fetch
  };
  Joined join(std::string_view key, size_t max_body_bytes);
  // The fetch is over (stored, failed or abandoned): later misses start a new one.
  void finish(std::string_view key, const std::shared_ptr<Fill>& fill);
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Fill>> fills_;
};

}  // namespace rampart::cache
