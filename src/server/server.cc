#include "server/server.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <malloc.h>
#include <unistd.h>

#include <future>
#include <optional>
#include <thread>

#include "core/listener.h"
#include "core/log.h"
#include "server/client_session.h"
#include "server/overload.h"

namespace rampart::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

core::IpAddress to_ip(const tcp::endpoint& endpoint) {
  core::IpAddress ip;
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    ip.bytes[10] = ip.bytes[11] = 0xff;
    std::copy(b.begin(), b.end(), ip.bytes.begin() + 12);
    ip.v4 = true;
  } else {
    auto b = address.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), ip.bytes.begin());
  }
  return ip;
}

// The connection guard at accept, before a byte is read: the deny list, the new
// connection rate per IP, then the connection caps (which take a slot when they pass).
std::optional<GuardClose> guard_at_accept(WorkerContext& worker, const core::IpAddress& ip) {
  const config::Limits& limits = worker.snapshots.get()->config->limits;
  if (limits.deny.contains(ip)) return GuardClose::kDenied;
  if (limits.accept_rate_per_ip != 0 &&
      !worker.shared.accept_rate.allow(ip, limits.accept_rate_per_ip, limits.accept_burst_per_ip,
                                       std::chrono::steady_clock::now())) {
    return GuardClose::kAcceptRate;
  }
  if (!worker.shared.limiter.try_acquire(ip)) return GuardClose::kConnectionCap;
  return std::nullopt;
}

// `listener` indexes the config's listeners: whether the connection speaks TLS, and with
// which settings, comes from the snapshot current when it arrives.
asio::awaitable<void> accept_loop(WorkerContext& worker, core::Acceptor& acceptor,
                                  size_t listener) {
  // Shared by every connection from this acceptor (immutable; a TLS handshake makes
  // the connection its own), so a plain connection costs no allocation for it.
  const auto info = std::make_shared<const ConnectionInfo>(ConnectionInfo{listener});
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of descriptors or similar: back off briefly instead of spinning.
      asio::steady_timer pause(worker.io, std::chrono::milliseconds(20));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    worker.metrics.accepted_connections.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code peer_ec;
    tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    if (peer_ec) continue;
    core::IpAddress ip = to_ip(peer);
    if (worker.shared.draining.load(std::memory_order_relaxed)) continue;
    if (auto refused = guard_at_accept(worker, ip)) {
      worker.metrics.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      worker.metrics.count_close(*refused);
      // Closed without reading: a reset rather than a FIN, so a refused client holds
      // nothing in TIME_WAIT here.
      boost::system::error_code ignored;
      socket.set_option(asio::socket_base::linger(true, 0), ignored);
      continue;  // the socket closes as it goes out of scope
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(worker.io,
                   run_client_session(std::make_unique<ClientSession>(
                       worker, ClientIo(std::move(socket)), ip, 0, ClientSession::Role::kConnection,
                       info, peer.port())),
                   asio::detached);
  }
}

// After a burst of connections goes idle, a worker hands back what it kept for the
// burst: spare session states beyond what its live sessions could use again, and once
// it has no session at all the heap pages they freed (glibc keeps freed pages resident
// otherwise), so the cost never lands on a request.
void release_memory_after_burst(WorkerContext& worker, std::chrono::steady_clock::time_point now) {
  constexpr size_t kSpareWhileBusy = 128;
  size_t live = worker.sessions.size();
  size_t keep = live == 0 ? 8 : std::max(kSpareWhileBusy, live);
  if (worker.session_states.trim(keep) > 0) worker.trim_heap_after = now + std::chrono::seconds(2);
  if (live != 0) return;
  if (worker.trim_heap_after != std::chrono::steady_clock::time_point{} &&
      now >= worker.trim_heap_after) {
    worker.trim_heap_after = {};
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
  }
}

// A parked connection sent bytes: give it a session again.
void resume_parked(WorkerContext& worker, int fd, const core::IpAddress& peer, uint32_t requests) {
  core::Socket socket(worker.io.get_executor());
  boost::system::error_code ec;
  socket.assign(peer.v4 ? tcp::v4() : tcp::v6(), fd, ec);
  if (ec) {
    ::close(fd);
    worker.metrics.active_connections.fetch_sub(1, std::memory_order_relaxed);
    worker.shared.limiter.release(peer);
    return;
  }
  asio::co_spawn(worker.io,
                 run_client_session(std::make_unique<ClientSession>(
                     worker, ClientIo(std::move(socket)), peer, std::max<uint32_t>(requests, 1))),
                 asio::detached);
}

// The cache tiers, sized from the config rampart starts with. A disk tier that cannot be
// opened is logged and left out: the node serves from memory rather than not at all.
std::unique_ptr<cache::TieredStore> make_cache(const config::CacheSettings& settings) {
  cache::MemoryStoreOptions memory_options;
  memory_options.capacity_bytes = settings.memory_bytes;
  auto memory = std::make_unique<cache::MemoryStore>(memory_options);
  std::unique_ptr<cache::DiskStore> disk;
  if (!settings.disk.path.empty()) {
    cache::DiskStoreOptions disk_options;
    disk_options.directory = settings.disk.path;
    disk_options.capacity_bytes = settings.disk.size_bytes;
    disk_options.max_object_bytes = settings.max_object_bytes;
    disk = std::make_unique<cache::DiskStore>(disk_options);
    cache::DiskOpenResult opened = disk->open();  // logs what it found
    if (!opened.ok) {
      core::log(core::LogLevel::kError, "disk cache {} not used: {}", settings.disk.path,
                opened.error);
      disk.reset();
    }
  }
  return std::make_unique<cache::TieredStore>(std::move(memory), std::move(disk));
}

}  // namespace

Server::Server(std::shared_ptr<const config::Config> config,
               const pipeline::ModuleRegistry& registry)
    : registry_(registry),
      initial_config_(std::move(config)),
      shared_(core::resolve_worker_count(initial_config_->workers)),
      workers_(core::resolve_worker_count(initial_config_->workers)) {
  shared_.cache = make_cache(initial_config_->cache);
  for (size_t i = 0; i < workers_.size(); ++i) {
    contexts_.push_back(
        std::make_unique<WorkerContext>(static_cast<unsigned>(i), workers_[i].context(), shared_));
    WorkerContext* ctx = contexts_.back().get();
    ctx->parking = std::make_unique<ParkingLot>(
        ctx->io,
        [ctx](int fd, const core::IpAddress& peer, uint32_t requests) {
          resume_parked(*ctx, fd, peer, requests);
        },
        [ctx](const core::IpAddress& peer) {
          ctx->metrics.active_connections.fetch_sub(1, std::memory_order_relaxed);
          ctx->shared.limiter.release(peer);
        });
  }
}

Server::~Server() {
  stop_deployment_thread();
  if (!stopped_) {
    workers_.stop();
    workers_.join();
  }
  close_worker_sockets();
  for (auto& log : access_logs_) log->flush_and_stop();
}

// Sockets owned outside coroutines (pooled origin connections, listeners) must close
// while their event loops still exist; the loops are destroyed right after.
void Server::close_worker_sockets() {
  for (auto& ctx : contexts_) {
    ctx->pool.clear();
    ctx->parking.reset();
  }
  acceptors_.clear();
}

bool Server::open_access_log(const config::Config& config, std::string& error) {
  const std::string& path = config.access_log.path;
  if (path == access_log_target_ && (path == "off" || shared_.access_log.load() != nullptr)) {
    return true;
  }
  if (path == "off") {
    shared_.access_log.store(nullptr, std::memory_order_release);
    access_log_target_ = path;
    return true;
  }
  auto writer = std::make_unique<core::LineWriter>();
  if (!writer->open(path, error)) return false;
  shared_.access_log.store(writer.get(), std::memory_order_release);
  // Writers of earlier configs stay alive: a worker may still hold a pointer to one.
  access_logs_.push_back(std::move(writer));
  access_log_target_ = path;
  return true;
}

void Server::apply_runtime_settings(const config::Config& config) {
  shared_.limiter.set_limits(config.limits.max_connections, config.limits.max_connections_per_ip);
  core::set_log_level(core::parse_log_level(config.log_level));
  core::set_log_config_version(config.version);
  core::set_log_rate(config.safety.error_log_burst, config.safety.error_log_interval);
}

bool Server::open_listeners(const config::Config& config, std::vector<std::string>& errors) {
  acceptors_.resize(workers_.size());
  for (const config::Listener& listener : config.listeners) {
    std::string error;
    auto endpoint = core::resolve_endpoint(listener.address.host, listener.address.port, error);
    if (!endpoint) {
      errors.push_back("listener " + listener.name + ": " + error);
      continue;
    }
    for (size_t w = 0; w < workers_.size(); ++w) {
      auto acceptor = std::make_unique<core::Acceptor>(workers_[w].context().get_executor());
      if (!core::open_listener(*acceptor, *endpoint, true, error)) {
        errors.push_back("listener " + listener.name + ": " + error);
        break;
      }
      acceptors_[w].push_back(std::move(acceptor));
    }
  }
  return errors.empty();
}

void Server::start_housekeeping(WorkerContext& worker) {
  asio::co_spawn(
      worker.io,
      [&worker]() -> asio::awaitable<void> {
        asio::steady_timer timer(worker.io);
        while (!worker.shared.draining.load(std::memory_order_relaxed)) {
          timer.expires_after(std::chrono::seconds(1));
          co_await timer.async_wait(kNoThrow);
          auto snapshot = worker.snapshots.get();
          worker.pool.sweep(snapshot->config->timeouts.upstream_idle);
          auto now = std::chrono::steady_clock::now();
          worker.sessions.for_each([now](ClientSession* s) { s->close_if_parked_past(now); });
          if (worker.parking) worker.parking->close_expired(now);
          release_memory_after_burst(worker, now);
        }
        worker.pool.clear();
      },
      asio::detached);
}

bool Server::start(std::vector<std::string>& errors) {
  BuildResult built = build_snapshot(initial_config_, registry_, shared_.metrics,
                                     &shared_.origin_states, shared_.ticket_keys);
  for (const auto& d : built.errors) errors.push_back(d.to_string());
  if (!built.snapshot) return false;
  std::string log_error;
  if (!open_access_log(*initial_config_, log_error)) {
    errors.push_back("access_log: " + log_error);
    return false;
  }
  apply_runtime_settings(*initial_config_);
  shared_.store.publish(built.snapshot);
  health_.update(built.snapshot->origins);
  if (!open_listeners(*initial_config_, errors)) return false;
  for (size_t w = 0; w < workers_.size(); ++w) {
    for (size_t l = 0; l < acceptors_[w].size(); ++l) {
      asio::co_spawn(workers_[w].context(), accept_loop(*contexts_[w], *acceptors_[w][l], l),
                     asio::detached);
    }
    start_housekeeping(*contexts_[w]);
    asio::co_spawn(workers_[w].context(), probe_load(*contexts_[w]), asio::detached);
  }
  workers_.start();
  deployment_thread_ = std::thread([this] { watch_deployments(); });
  started_at_ = std::chrono::steady_clock::now();
  for (const config::Listener& l : initial_config_->listeners) {
    core::log(core::LogLevel::kInfo, "listening on {} ({}), {} workers, config {}",
              l.address.to_string(), l.name, workers_.size(), initial_config_->version);
  }
  return true;
}

ReloadOutcome Server::reload(bool force) {
  std::lock_guard lock(reload_mutex_);
  ReloadOutcome outcome;
  auto current = shared_.store.load();
  const std::string& source = current->config->source;
  config::LoadResult loaded = source == "<embedded>"
                                  ? config::load_string(config::embedded_demo_config(), source)
                                  : config::load_file(source);
  for (const auto& d : loaded.errors) outcome.errors.push_back(d.to_string());
  if (loaded.ok()) {
    BuildResult built = build_snapshot(loaded.config, registry_, shared_.metrics,
                                       &shared_.origin_states, shared_.ticket_keys);
    for (const auto& d : built.errors) outcome.errors.push_back(d.to_string());
    if (built.snapshot) {
      const auto& old_listeners = current->config->listeners;
      const auto& new_listeners = loaded.config->listeners;
      bool same = old_listeners.size() == new_listeners.size();
      for (size_t i = 0; same && i < old_listeners.size(); ++i) {
        same = old_listeners[i].address.to_string() == new_listeners[i].address.to_string();
      }
      if (!same) {
        core::log(core::LogLevel::kWarn,
                  "listener addresses changed: they take effect at the next restart");
      }
      // The running config's policy decides how a change arrives, so a config cannot
      // skip its own trial by dropping the section.
      const config::Deployment& policy = current->config->deployment;
      if (policy.enabled && !force) {
        if (trial_) {
          record_decision("rollback", trial_->candidate->config->version,
                          "superseded by a newer reload");
        }
        trial_ = Trial{built.snapshot,     policy, std::chrono::steady_clock::now(),
                       tally_of(*current), false,  std::nullopt};
        begin_rollout(*current->config, *trial_);
        if (trial_->rollout && trial_->rollout->waiting()) {
          // Staged only: no connection sees it until the lower groups promoted it.
          shared_.store.publish_candidate(nullptr, 0);
        } else {
          start_canary(*trial_);
        }
        outcome.ok = true;
        outcome.staged = true;
        outcome.config_version = loaded.config->version;
        deployment_wake_.notify_all();
      } else {
        std::string log_error;
        if (!open_access_log(*loaded.config, log_error)) {
          outcome.errors.push_back("access_log: " + log_error);
        } else {
          if (trial_) {
            record_decision("rollback", trial_->candidate->config->version,
                            "superseded by a forced reload");
          }
          activate(built.snapshot);
          if (rollout_link_) rollout_link_->stop_watching();
          if (force && policy.enabled) {
            record_decision("force", loaded.config->version, "reload forced: no canary");
          }
          outcome.ok = true;
          outcome.config_version = loaded.config->version;
        }
      }
    }
  }
  if (outcome.ok) {
    shared_.metrics.reloads.fetch_add(1, std::memory_order_relaxed);
    last_reload_errors_.clear();
    if (outcome.staged && trial_->rollout && trial_->rollout->waiting()) {
      core::log(core::LogLevel::kInfo,
                "config {} staged on node {} (group {}): its canary waits for the lower node "
                "groups to promote it",
                outcome.config_version, trial_->rollout->node(), trial_->rollout->group());
    } else if (outcome.staged) {
      core::log(core::LogLevel::kInfo,
                "config {} on trial: {}% of connections for {} s, then promoted or rolled back",
                outcome.config_version, trial_->policy.canary_percent,
                trial_->policy.window.count() / 1000.0);
    } else {
      core::log(core::LogLevel::kInfo, "config reloaded: version {}", outcome.config_version);
    }
  } else {
    shared_.metrics.reload_failures.fetch_add(1, std::memory_order_relaxed);
    last_reload_errors_ = outcome.errors;
    outcome.config_version = current->config->version;
    core::log(core::LogLevel::kError, "config reload refused ({} errors); still running {}",
              outcome.errors.size(), current->config->version);
    for (const auto& e : outcome.errors) core::log(core::LogLevel::kError, "  {}", e);
  }
  return outcome;
}

bool Server::drain_and_stop() {
  if (stopped_) return true;
  shared_.draining.store(true, std::memory_order_relaxed);
  // Each worker closes its own listeners and idle connections on its own thread.
  for (size_t w = 0; w < workers_.size(); ++w) {
    WorkerContext* ctx = contexts_[w].get();
    auto* acceptors = &acceptors_[w];
    asio::post(workers_[w].context(), [ctx, acceptors] {
      for (auto& acceptor : *acceptors) {
        boost::system::error_code ignored;
        acceptor->close(ignored);
      }
      ctx->sessions.for_each([](ClientSession* s) { s->close_if_idle(); });
      if (ctx->parking) ctx->parking->close_all();
    });
  }
  auto grace = shared_.store.load()->config->timeouts.shutdown_grace;
  auto deadline = std::chrono::steady_clock::now() + grace;
  bool finished = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (shared_.metrics.active_connections() == 0) {
      finished = true;
      break;
    }
    // Connections that finished a request during the drain close themselves; poke the
    // idle ones again in case they went idle after the first pass.
    for (size_t w = 0; w < workers_.size(); ++w) {
      WorkerContext* ctx = contexts_[w].get();
      asio::post(workers_[w].context(), [ctx] {
        ctx->sessions.for_each([](ClientSession* s) { s->close_if_idle(); });
        if (ctx->parking) ctx->parking->close_all();
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop_deployment_thread();
  workers_.stop();
  workers_.join();
  health_.stop();
  stopped_ = true;
  for (auto& log : access_logs_) log->flush_and_stop();
  return finished;
}

}  // namespace rampart::server
