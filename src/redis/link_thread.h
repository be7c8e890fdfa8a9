#pragma once
// The thread a Redis link runs on: it works until its owner stops it, sleeping between
// rounds. Its mutex guards the stop flag and whatever the owner shares with the thread,
// so a change the owner makes under it can wake the thread at once.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace rampart::redis {

class LinkThread {
 public:
  LinkThread() = default;
  ~LinkThread() { stop(); }
  LinkThread(const LinkThread&) = delete;
  LinkThread& operator=(const LinkThread&) = delete;

  // Call once, when everything `body` touches is ready.
  void start(std::function<void()> body) { thread_ = std::thread(std::move(body)); }
  // Wakes the thread and joins it once `body` has seen stopping() and returned. The
  // owner calls it first in its destructor, before its members go.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::mutex& mutex() { return mutex_; }
  // Wakes a waiting thread; the owner changed something under mutex().
  void notify() { wake_.notify_all(); }
  // With mutex() held.
  bool stopping() const { return stop_; }
  // With `lock` on mutex(): sleeps until stop, `ready()` or the end of `pause`. True
  // unless stopping.
  template <class Rep, class Period, class Ready>
  bool wait_for(std::unique_lock<std::mutex>& lock, std::chrono::duration<Rep, Period> pause,
                Ready ready) {
    wake_.wait_for(lock, pause, [&] { return stop_ || ready(); });
    return !stop_;
  }
  template <class Ready>
  bool wait(std::unique_lock<std::mutex>& lock, Ready ready) {
    wake_.wait(lock, [&] { return stop_ || ready(); });
    return !stop_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rampart::redis
