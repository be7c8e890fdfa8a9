#include "server/parking_lot.h"

#include <sys/epoll.h>
#include <unistd.h>

#include "core/log.h"
#include "core/slab.h"

namespace rampart::server {

void* ParkedConnection::operator new(size_t) {
  return core::SlabAllocator<sizeof(ParkedConnection)>::allocate();
}
void ParkedConnection::operator delete(void* p) {
  core::SlabAllocator<sizeof(ParkedConnection)>::deallocate(p);
}

ParkingLot::ParkingLot(boost::asio::io_context& io, ResumeFn on_resume, ClosedFn on_closed)
    : watcher_(io.get_executor()),
      on_resume_(std::move(on_resume)),
      on_closed_(std::move(on_closed)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    core::log(core::LogLevel::kWarn,
              "parking lot unavailable (epoll_create1 failed); idle "
              "connections stay in the event loop");
    return;
  }
  boost::system::error_code ec;
  watcher_.assign(epoll_fd_, ec);
  if (ec) {
    ::close(epoll_fd_);
    epoll_fd_ = -1;
  }
}

ParkingLot::~ParkingLot() {
  while (first_ != nullptr) {
    ParkedConnection* p = first_;
    unlink(p);
    ::close(p->fd);
    delete p;
  }
  boost::system::error_code ignored;
  watcher_.close(ignored);  // closes epoll_fd_
}

bool ParkingLot::park(int fd, const core::IpAddress& peer, uint32_t requests,
                      std::chrono::steady_clock::time_point close_at) {
  if (epoll_fd_ < 0) return false;
  auto* p = new ParkedConnection;
  p->fd = fd;
  p->peer = peer;
  p->requests = requests;
  p->close_at = close_at;
  epoll_event ev{};
  // One-shot: a readable connection is reported once and then handed back to the loop.
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = p;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    delete p;
    return false;
  }
  p->next = first_;
  if (first_ != nullptr) first_->prev = p;
  first_ = p;
  ++size_;
  if (!waiting_) wait();
  return true;
}

void ParkingLot::wait() {
  waiting_ = true;
  watcher_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [this](const boost::system::error_code& ec) {
                        waiting_ = false;
                        if (ec) return;
                        on_ready();
                        if (size_ > 0) wait();
                      });
}

void ParkingLot::on_ready() {
  epoll_event events[256];
  int n = ::epoll_wait(epoll_fd_, events, 256, 0);
  for (int i = 0; i < n; ++i) {
    auto* p = static_cast<ParkedConnection*>(events[i].data.ptr);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, p->fd, nullptr);
    unlink(p);
    int fd = p->fd;
    core::IpAddress peer = p->peer;
    uint32_t requests = p->requests;
    delete p;
    on_resume_(fd, peer, requests);
  }
}

void ParkingLot::unlink(ParkedConnection* p) {
  if (p->prev != nullptr) p->prev->next = p->next;
  if (p->next != nullptr) p->next->prev = p->prev;
  if (first_ == p) first_ = p->next;
  p->prev = p->next = nullptr;
  --size_;
}

void ParkingLot::close_one(ParkedConnection* p) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, p->fd, nullptr);
  unlink(p);
  ::close(p->fd);
  core::IpAddress peer = p->peer;
  delete p;
  on_closed_(peer);
}

void ParkingLot::close_expired(std::chrono::steady_clock::time_point now) {
  for (ParkedConnection* p = first_; p != nullptr;) {
    ParkedConnection* next = p->next;
    if (now >= p->close_at) close_one(p);
    p = next;
  }
}

void ParkingLot::close_all() {
  while (first_ != nullptr) close_one(first_);
}

}  // namespace rampart::server
