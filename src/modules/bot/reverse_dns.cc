#include "modules/bot/reverse_dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <cstring>

#include "core/log.h"

namespace rampart::modules::bot {

namespace {

constexpr size_t kMaxQueue = 1024;
constexpr size_t kBatch = 64;
constexpr size_t kMaxNames = 4;  // PTR names forward-checked per address

std::string normalized(std::string_view host) {
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct AresInit {
  AresInit() { ares_library_init(ARES_LIB_INIT_ALL); }
};

}  // namespace

bool host_has_suffix(std::string_view host_text, std::string_view suffix) {
  std::string host = normalized(host_text);
  if (suffix.empty() || host.size() < suffix.size()) return false;
  if (host.size() == suffix.size()) return host == suffix;
  return host.ends_with(suffix) && host[host.size() - suffix.size() - 1] == '.';
}

bool forward_confirms(const core::IpAddress& ip, const std::vector<std::string>& addresses) {
  for (const std::string& a : addresses) {
    if (ip.v4 && a.size() == 4 && std::memcmp(a.data(), ip.bytes.data() + 12, 4) == 0) return true;
    if (!ip.v4 && a.size() == 16 && std::memcmp(a.data(), ip.bytes.data(), 16) == 0) return true;
  }
  return false;
}

std::shared_ptr<ReverseDns> ReverseDns::shared(const ReverseDnsOptions& options) {
  static std::mutex mu;
  static std::vector<std::weak_ptr<ReverseDns>> resolvers;
  std::lock_guard lock(mu);
  std::shared_ptr<ReverseDns> found;
  std::erase_if(resolvers, [&](const std::weak_ptr<ReverseDns>& w) {
    auto r = w.lock();
    if (r && r->options_ == options) found = r;
    return r == nullptr;
  });
  if (found) return found;
  auto r = std::make_shared<ReverseDns>(options);
  resolvers.push_back(r);
  return r;
}

ReverseDns::ReverseDns(ReverseDnsOptions options) : options_(std::move(options)) {
  static AresInit init;
  thread_ = std::thread([this] { run(); });
}

ReverseDns::~ReverseDns() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stopping_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ReverseDns::Answer ReverseDns::lookup(const core::IpAddress& ip) {
  std::string key = key_of(ip);
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  if (it != cache_.end() && (it->second.status == Status::kPending || it->second.expires > now))
    return {it->second.status, it->second.host};
  if (queue_.size() >= kMaxQueue) {
    ++stats_.queue_full;
    return {};
  }
  if (it == cache_.end()) {
    while (cache_.size() >= options_.cache_size && !order_.empty()) {
      cache_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
  }
  // Marked pending so the address is queued once, however many requests it sends.
  cache_[key] = Entry{Status::kPending, {}, now};
  queue_.push_back(ip);
  cv_.notify_one();
  return {};
}

ReverseDns::Stats ReverseDns::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void ReverseDns::store(const Job& job) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = cache_.find(key_of(job.ip));
  if (it == cache_.end()) return;  // evicted meanwhile
  bool ok = job.answer.status == Status::kConfirmed;
  it->second = Entry{ok ? Status::kConfirmed : Status::kFailed, job.answer.host,
                     now + (ok ? options_.positive_ttl : options_.negative_ttl)};
  ++(ok ? stats_.confirmed : stats_.failed);
}

void ReverseDns::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::vector<Job> jobs;
    while (!queue_.empty() && jobs.size() < kBatch) {
      jobs.push_back(Job{queue_.front()});
      queue_.pop_front();
    }
    lock.unlock();
    resolve_batch(jobs);
    for (const Job& job : jobs) store(job);
    lock.lock();
  }
}

namespace {

struct Forward {
  ReverseDns* self;
  void* job;
  std::string name;
};

}  // namespace

void ReverseDns::resolve_batch(std::vector<Job>& jobs) {
  ares_channel channel = nullptr;
  ares_options opts{};
  opts.timeout = static_cast<int>(options_.timeout.count());
  opts.tries = 1;
  char lookups[] = "b";  // DNS only: never /etc/hosts
  opts.lookups = lookups;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  if (ares_init_options(&channel, &opts, mask) != ARES_SUCCESS) {
    core::log(core::LogLevel::kWarn, "verified bots: cannot start the DNS resolver");
    return;  // every job stays failed (answer kPending → stored as failed)
  }
  if (!options_.resolver.empty() &&
      ares_set_servers_ports_csv(channel, options_.resolver.c_str()) != ARES_SUCCESS) {
    core::log(core::LogLevel::kWarn, "verified bots: bad resolver address {}", options_.resolver);
    ares_destroy(channel);
    return;
  }
  std::vector<std::unique_ptr<Forward>> forwards;

  static constexpr auto on_forward = [](void* arg, int status, int, hostent* host) {
    auto* f = static_cast<Forward*>(arg);
    auto* job = static_cast<Job*>(f->job);
    if (status == ARES_SUCCESS && host != nullptr && job->answer.status != Status::kConfirmed) {
      std::vector<std::string> addresses;
      for (char** a = host->h_addr_list; a != nullptr && *a != nullptr; ++a)
        addresses.emplace_back(*a, static_cast<size_t>(host->h_length));
      if (forward_confirms(job->ip, addresses)) {
        job->answer.status = Status::kConfirmed;
        job->answer.host = normalized(f->name);
      }
    }
    if (--job->forward_pending == 0) job->done = true;
  };

  // Each job carries what its PTR callback needs through a small context.
  struct PtrArg {
    Job* job;
    ares_channel channel;
    std::vector<std::unique_ptr<Forward>>* forwards;
    ReverseDns* self;
  };
  std::vector<PtrArg> ptr_args;
  ptr_args.reserve(jobs.size());
  for (Job& job : jobs) {
    ptr_args.push_back(PtrArg{&job, channel, &forwards, this});
    PtrArg* arg = &ptr_args.back();
    auto on_ptr = [](void* a, int status, int, hostent* host) {
      auto* p = static_cast<PtrArg*>(a);
      Job* job = p->job;
      if (status != ARES_SUCCESS || host == nullptr || host->h_name == nullptr) {
        job->done = true;
        return;
      }
      std::vector<std::string> names{host->h_name};
      for (char** al = host->h_aliases; al != nullptr && *al != nullptr && names.size() < kMaxNames;
           ++al)
        names.emplace_back(*al);
      job->forward_pending = static_cast<int>(names.size());
      int family = job->ip.v4 ? AF_INET : AF_INET6;
      for (std::string& name : names) {
        p->forwards->push_back(std::make_unique<Forward>(Forward{p->self, job, std::move(name)}));
        Forward* f = p->forwards->back().get();
        ares_gethostbyname(p->channel, f->name.c_str(), family, on_forward, f);
      }
    };
    if (job.ip.v4) {
      in_addr a4;
      std::memcpy(&a4, job.ip.bytes.data() + 12, 4);
      ares_gethostbyaddr(channel, &a4, sizeof a4, AF_INET, on_ptr, arg);
    } else {
      in6_addr a6;
      std::memcpy(&a6, job.ip.bytes.data(), 16);
      ares_gethostbyaddr(channel, &a6, sizeof a6, AF_INET6, on_ptr, arg);
    }
  }

  // Bounded: two sequential lookups per address, each within the timeout.
  auto deadline = std::chrono::steady_clock::now() + 3 * options_.timeout + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline && !stopping_.load()) {
    if (std::all_of(jobs.begin(), jobs.end(), [](const Job& j) { return j.done; })) break;
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    int n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events == 0) continue;
      fds[n++] = pollfd{socks[i], events, 0};
    }
    timeval max_tv{0, 200'000}, tv{};
    timeval* t = ares_timeout(channel, &max_tv, &tv);
    int wait_ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000);
    if (n == 0) {
      // No query in flight but jobs not done: a callback chain ended; nothing to wait on.
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      if (ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM) == 0) break;
      continue;
    }
    int ready = ::poll(fds, static_cast<nfds_t>(n), std::max(wait_ms, 1));
    if (ready <= 0) {
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
      continue;
    }
    for (int i = 0; i < n; ++i) {
      ares_socket_t r =
          (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
      ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
      if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) ares_process_fd(channel, r, w);
    }
  }
  // Whatever is still running is cancelled; its callbacks run now, before `jobs` goes.
  ares_destroy(channel);
  for (Job& job : jobs) {
    if (job.answer.status != Status::kConfirmed) job.answer.status = Status::kFailed;
  }
}

}  // namespace rampart::modules::bot
