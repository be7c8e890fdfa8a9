#include "cache/fill.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>

#include <algorithm>

namespace rampart::cache {

void Fill::set_head(int status, std::span<const http::Header> headers, std::string_view vary_key) {
  std::vector<Handler> ready;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::kPending) return;
    status_ = status;
    headers_.assign(headers);
    vary_key_.assign(vary_key);
    state_ = State::kStreaming;
    ready = take_ready_locked();
  }
  post_all(std::move(ready));
}

bool Fill::append(std::string_view bytes) {
  std::vector<Handler> ready;
  bool ok = true;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::kStreaming) return false;
    if (bytes.size() > max_body_bytes_ - body_size_) {
      state_ = State::kFailed;
      ok = false;
    } else {
      while (!bytes.empty()) {
        if (blocks_.empty() || blocks_.back().size() == kBlockBytes) {
          blocks_.emplace_back();
          blocks_.back().reserve(kBlockBytes);  // never reallocates: readers hold views
        }
        std::string& block = blocks_.back();
        size_t n = std::min(bytes.size(), kBlockBytes - block.size());
        block.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        body_size_ += n;
      }
    }
    ready = take_ready_locked();
  }
  post_all(std::move(ready));
  return ok;
}

void Fill::complete() {
  std::vector<Handler> ready;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::kStreaming) return;
    state_ = State::kComplete;
    ready = take_ready_locked();
  }
  post_all(std::move(ready));
}

void Fill::fail() {
  std::vector<Handler> ready;
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::kComplete || state_ == State::kFailed || state_ == State::kPass) return;
    state_ = State::kFailed;
    ready = take_ready_locked();
  }
  post_all(std::move(ready));
}

void Fill::pass() {
  std::vector<Handler> ready;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::kPending) return;
    state_ = State::kPass;
    ready = take_ready_locked();
  }
  post_all(std::move(ready));
}

Fill::State Fill::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

int Fill::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::span<const http::Header> Fill::headers() const {
  std::lock_guard lock(mutex_);
  return headers_.view();
}

size_t Fill::body_size() const {
  std::lock_guard lock(mutex_);
  return body_size_;
}

std::string_view Fill::body_at(size_t offset) const {
  std::lock_guard lock(mutex_);
  if (offset >= body_size_) return {};
  const std::string& block = blocks_[offset / kBlockBytes];
  return std::string_view(block).substr(offset % kBlockBytes);
}

size_t Fill::waiters() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

void Fill::wait(size_t offset, Handler handler) {
  std::vector<Handler> ready;
  {
    std::lock_guard lock(mutex_);
    waiters_.push_back(Waiter{offset, std::move(handler)});
    ready = take_ready_locked();
  }
  post_all(std::move(ready));
}

std::vector<Fill::Handler> Fill::take_ready_locked() {
  std::vector<Handler> ready;
  bool settled = state_ == State::kComplete || state_ == State::kFailed || state_ == State::kPass;
  auto it = std::partition(waiters_.begin(), waiters_.end(), [&](const Waiter& w) {
    bool go = settled || (w.offset == kHead ? state_ != State::kPending : body_size_ > w.offset);
    return !go;
  });
  for (auto i = it; i != waiters_.end(); ++i) ready.push_back(std::move(i->handler));
  waiters_.erase(it, waiters_.end());
  return ready;
}

void Fill::post_all(std::vector<Handler> ready) {
  for (Handler& h : ready) {
    // Never inline: the fetch must not run a reader's coroutine on its own thread.
    auto executor = boost::asio::prefer(boost::asio::get_associated_executor(h),
                                        boost::asio::execution::blocking.never);
    executor.execute([h = std::move(h)]() mutable { std::move(h)(boost::system::error_code{}); });
  }
}

FillRegistry::Joined FillRegistry::join(std::string_view key, size_t max_body_bytes) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = fills_.try_emplace(std::string(key));
  if (!inserted) {
    Fill::State s = it->second->state();
    // A failed fill stays until its leader calls finish(); the first request to see it
    // fail takes the lead of a fresh one, so one retry reaches the origin, not all.
    if (s != Fill::State::kFailed) return Joined{it->second, false};
  }
  it->second = std::make_shared<Fill>(max_body_bytes);
  return Joined{it->second, true};
}

void FillRegistry::finish(std::string_view key, const std::shared_ptr<Fill>& fill) {
  std::lock_guard lock(mutex_);
  auto it = fills_.find(std::string(key));
  if (it != fills_.end() && it->second == fill) fills_.erase(it);
}

size_t FillRegistry::size() const {
  std::lock_guard lock(mutex_);
  return fills_.size();
}

}  // namespace rampart::cache
