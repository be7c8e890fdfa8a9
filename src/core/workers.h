#pragma once
// N event loops, one thread each (shared-nothing): connections accepted on a worker
// live and die on that worker.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <thread>
#include <vector>

namespace rampart::core {

class Worker {
 public:
  explicit Worker(unsigned index);
  unsigned index() const { return index_; }
  boost::asio::io_context& context() { return context_; }

 private:
  friend class WorkerGroup;
  unsigned index_;
  boost::asio::io_context context_;
  std::thread thread_;
};

class WorkerGroup {
 public:
  explicit WorkerGroup(unsigned count);  // 0 = one per core
  ~WorkerGroup();
  size_t size() const { return workers_.size(); }
  Worker& operator[](size_t i) { return *workers_[i]; }
  void start();
  void stop();  // stops the loops and joins the threads
  void join();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Guard> guards_;
};

// `requested` workers, or one per core when 0.
unsigned resolve_worker_count(unsigned requested);

// The index of the worker running the calling thread, or -1 outside workers.
int current_worker_index();

}  // namespace rampart::core
