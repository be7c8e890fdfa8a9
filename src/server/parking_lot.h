#pragma once
// Idle keep-alive connections, parked outside the event loop's own bookkeeping.
//
// A connection idle past the hot period hands its bare file descriptor to its worker's
// ParkingLot: a separate epoll set (watched by the worker's loop through one
// descriptor) plus a ~64-byte record. It holds no session object, coroutine, buffer,
// timer or reactor registration until the client sends again; then the worker builds a
// session around the descriptor and carries on. This is what makes ten thousand idle
// keep-alive connections cheap.

#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

#include "core/ip.h"
#include "core/net_types.h"

namespace rampart::server {

struct ParkedConnection {
  int fd = -1;
  core::IpAddress peer;
  uint32_t requests = 0;
  std::chrono::steady_clock::time_point close_at;
  ParkedConnection* prev = nullptr;
  ParkedConnection* next = nullptr;

  static void* operator new(size_t size);
  static void operator delete(void* p);
};

class ParkingLot {
 public:
  // Called on the worker thread for a parked connection that became readable; it now
  // owns `fd` (and the connection-limiter slot of `peer`).
  using ResumeFn = std::function<void(int fd, const core::IpAddress& peer, uint32_t requests)>;
  // Called for every parked connection the lot closes itself (idle limit, drain).
  using ClosedFn = std::function<void(const core::IpAddress& peer)>;

  ParkingLot(boost::asio::io_context& io, ResumeFn on_resume, ClosedFn on_closed);
  ~ParkingLot();
  ParkingLot(const ParkingLot&) = delete;
  ParkingLot& operator=(const ParkingLot&) = delete;

  // Takes `fd`. Returns false (and leaves `fd` to the caller) if it cannot be parked.
  bool park(int fd, const core::IpAddress& peer, uint32_t requests,
            std::chrono::steady_clock::time_point close_at);
  // Closes parked connections whose idle limit passed.
  void close_expired(std::chrono::steady_clock::time_point now);
  void close_all();
  size_t size() const { return size_; }

 private:
  void wait();
  void on_ready();
  void unlink(ParkedConnection* p);
  void close_one(ParkedConnection* p);

  int epoll_fd_ = -1;
  boost::asio::posix::basic_stream_descriptor<core::Executor> watcher_;
  ResumeFn on_resume_;
  ClosedFn on_closed_;
  ParkedConnection* first_ = nullptr;
  size_t size_ = 0;
  bool waiting_ = false;
};

}  // namespace rampart::server
