#include "core/workers.h"

#include "core/log.h"

namespace rampart::core {

namespace {
thread_local int t_worker_index = -1;
}

int current_worker_index() {
  return t_worker_index;
}

// Each worker's sockets are only ever touched from its own thread, so the reactor's
// per-descriptor locking is pure overhead; posting from other threads stays safe.
Worker::Worker(unsigned index) : index_(index), context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO) {}

unsigned resolve_worker_count(unsigned requested) {
  return requested != 0 ? requested : std::max(1u, std::thread::hardware_concurrency());
}

WorkerGroup::WorkerGroup(unsigned count) {
  count = resolve_worker_count(count);
  for (unsigned i = 0; i < count; ++i) workers_.push_back(std::make_unique<Worker>(i));
}

WorkerGroup::~WorkerGroup() {
  stop();
  join();
}

void WorkerGroup::start() {
  for (auto& worker : workers_) {
    guards_.emplace_back(worker->context_.get_executor());
    Worker* w = worker.get();
    w->thread_ = std::thread([w] {
      t_worker_index = static_cast<int>(w->index_);
      w->context_.run();
    });
  }
}

void WorkerGroup::stop() {
  guards_.clear();
  for (auto& worker : workers_) worker->context_.stop();
}

void WorkerGroup::join() {
  for (auto& worker : workers_) {
    if (worker->thread_.joinable()) worker->thread_.join();
  }
}

}  // namespace rampart::core
