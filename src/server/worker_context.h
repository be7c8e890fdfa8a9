#pragma once
// State shared by all workers (ServerShared) and state owned by one worker
// (WorkerContext). A worker touches only its own WorkerContext, so none of it is locked.

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "cache/fill.h"
#include "cache/tiered_store.h"
#include "core/line_writer.h"
#include "proxy/upstream_pool.h"
#include "server/accept_guard.h"
#include "server/connection_limiter.h"
#include "server/metrics.h"
#include "server/parking_lot.h"
#include "server/request_id.h"
#include "server/session_state.h"
#include "server/snapshot.h"

namespace rampart::server {

class ClientSession;

struct ServerShared {
  explicit ServerShared(unsigned workers) : metrics(workers) {}
  SnapshotStore store;
  Metrics metrics;
  ConnectionLimiter limiter;
  AcceptRateTable accept_rate;                         // new connections a second per client IP
  std::atomic<core::LineWriter*> access_log{nullptr};  // null: access log off
  std::atomic<bool> draining{false};
  proxy::OriginStateStore origin_states;      // endpoint health and drains, across reloads
  std::unique_ptr<cache::TieredStore> cache;  // sized from the config rampart started with
  cache::FillRegistry fills;                  // collapsed fetches in progress
  cache::FillRegistry revalidations;          // background validations in progress, by key
  // Session ticket keys for every snapshot's TLS contexts, so resumption survives reloads.
  std::shared_ptr<tls::TicketKeys> ticket_keys = std::make_shared<tls::TicketKeys>();
};

// Intrusive list of a worker's live sessions, so a drain can close the idle ones.
class SessionList {
 public:
  void add(ClientSession* s);
  void remove(ClientSession* s);
  template <typename Fn>
  void for_each(Fn&& fn);
  size_t size() const { return size_; }

 private:
  ClientSession* first_ = nullptr;
  size_t size_ = 0;
};

struct WorkerContext {
  WorkerContext(unsigned index, boost::asio::io_context& io, ServerShared& shared)
      : index(index),
        io(io),
        shared(shared),
        snapshots(shared.store),
        metrics(shared.metrics.worker(index)) {}

  unsigned index;
  boost::asio::io_context& io;
  ServerShared& shared;
  SnapshotCache snapshots;
  WorkerSlot& metrics;
  proxy::UpstreamPool pool;
  RequestIdGenerator request_ids;
  SessionList sessions;
  SessionStatePool session_states;
  std::unique_ptr<ParkingLot> parking;  // set up by the server once the worker exists
  size_t round_robin = 0;
  std::chrono::steady_clock::time_point trim_heap_after{};  // see release_memory_after_burst
  std::string log_line;                                     // scratch for access log lines
};

}  // namespace rampart::server
