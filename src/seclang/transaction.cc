// Transaction set-up and the phase entry points; rule evaluation is in
// transaction_eval.cc.
#include "seclang/transaction.h"

#include "seclang/text_util.h"
#include "seclang/transaction_eval.h"

namespace rampart::seclang {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ModSecurity's URI decoding for REQUEST_URI / REQUEST_FILENAME: valid %XX escapes
// become bytes, anything else (including '+') is kept as is.
std::string uri_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = hex_digit(in[i + 1]);
      int lo = hex_digit(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

Transaction::Transaction(const RuleSet& rules, const RequestData& request,
                         std::span<const std::pair<std::string, std::string>> initial_tx,
                         Clock::time_point deadline)
    : rules_(rules),
      prefilters_(rules.prefilters()),
      request_(request),
      deadline_(deadline),
      mode_(rules.settings().mode),
      body_access_(rules.settings().request_body_access) {
  for (const auto& [name, value] : initial_tx) tx_[to_lower(name)] = value;
  buf_ = acquire_buffers(rules);
  parse_request_line_and_headers();
}

Transaction::~Transaction() {
  release_buffers(std::move(buf_));
}

namespace {

// What a released transaction's buffers may keep for the next one; anything beyond is
// freed, so one huge request does not pin its memory to the worker.
constexpr size_t kPoolPerThread = 4;  // transactions a worker runs at once, typically
constexpr size_t kKeptStrings = 1024;
constexpr size_t kKeptStringBytes = 4096;
constexpr size_t kKeptLooseEntries = 512;
constexpr size_t kKeptValues = 4096;
constexpr size_t kKeptSpareBytes = 64 * 1024;

void trim_string(std::string& s, size_t max_bytes) {
  if (s.capacity() > max_bytes) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

template <typename T>
void trim_vector(std::vector<T>& v, size_t max_size) {
  if (v.capacity() > max_size) {
    std::vector<T>().swap(v);
  } else {
    v.clear();
  }
}

}  // namespace

// The worker's spare buffers. The pointer is trivially destructible, so a transaction
// destroyed during thread exit (after the pool's owner) still sees a valid null.
struct BufferPool {
  std::vector<std::unique_ptr<Transaction::Buffers>> free;
};
namespace {
thread_local BufferPool* tls_pool = nullptr;
struct BufferPoolOwner {
  BufferPool pool;
  BufferPoolOwner() { tls_pool = &pool; }
  ~BufferPoolOwner() { tls_pool = nullptr; }
};
}  // namespace

std::unique_ptr<Transaction::Buffers> Transaction::acquire_buffers(const RuleSet& rules) {
  thread_local BufferPoolOwner owner;
  std::unique_ptr<Buffers> b;
  if (tls_pool != nullptr && !tls_pool->free.empty()) {
    b = std::move(tls_pool->free.back());
    tls_pool->free.pop_back();
  } else {
    b = std::make_unique<Buffers>();
  }
  // Released buffers are already empty; only the counts may differ (another rule set).
  b->value_sets.resize(rules.value_set_count());
  b->value_groups.resize(rules.value_group_count());
  return b;
}

void Transaction::release_buffers(std::unique_ptr<Buffers> b) {
  if (b == nullptr || tls_pool == nullptr || tls_pool->free.size() >= kPoolPerThread) return;
  b->transform_cache.reset();
  for (size_t i = 0; i < b->loose_used; ++i) b->loose_entries[i].reset(kKeptStringBytes);
  if (b->loose_entries.size() > kKeptLooseEntries) b->loose_entries.resize(kKeptLooseEntries);
  b->loose_used = 0;
  for (auto& set : b->value_sets) {
    set.epoch = 0;
    trim_vector(set.values, kKeptValues);
  }
  for (auto& group : b->value_groups) {
    group.epoch = 0;
    group.scanned = false;
    trim_vector(group.values, kKeptValues);
  }
  trim_vector(b->prefilter_hits, kKeptValues);
  for (size_t i = 0; i < b->scratch_used && i < kKeptStrings; ++i) {
    trim_string(b->scratch[i], kKeptStringBytes);
  }
  if (b->scratch.size() > kKeptStrings) b->scratch.resize(kKeptStrings);
  b->scratch_used = 0;
  trim_string(b->transform_spare, kKeptSpareBytes);
  tls_pool->free.push_back(std::move(b));
}

void Transaction::parse_request_line_and_headers() {
  const auto& r = request_;
  uri_decoded_ = uri_decode(r.uri);
  size_t query_raw = r.uri.find('?');
  if (query_raw != std::string_view::npos) {
    query_string_ = r.uri.substr(query_raw + 1);
    has_query_ = true;
  }
  size_t query_decoded = uri_decoded_.find('?');
  filename_ = uri_decoded_.substr(0, query_decoded);
  size_t slash = filename_.find_last_of("/\\");
  if (slash != std::string::npos && filename_.size() > slash + 1) {
    basename_ = filename_.substr(slash + 1);
    has_basename_ = true;
  }
  // An absolute-form target ("http://host/path") is reduced to its path, as ModSecurity does.
  if (!uri_decoded_.empty() && uri_decoded_[0] != '/') {
    size_t scheme = uri_decoded_.find("://");
    if (scheme != std::string::npos) {
      size_t path = uri_decoded_.find('/', scheme + 3);
      if (path != std::string::npos) {
        uri_decoded_ = uri_decoded_.substr(path);
        filename_ = uri_decoded_.substr(0, uri_decoded_.find('?'));
      }
    }
  }
  protocol_ = "HTTP/" + std::string(r.http_version);
  request_line_.reserve(r.method.size() + r.uri.size() + protocol_.size() + 2);
  request_line_.append(r.method).append(" ").append(r.uri).append(" ").append(protocol_);
  remote_port_text_ = std::to_string(r.remote_port);
  server_port_text_ = std::to_string(r.server_port);

  BodyLimits limits;
  limits.max_args = rules_.settings().arguments_limit;
  if (has_query_ && !query_string_.empty()) {
    args_get_ = parse_urlencoded(query_string_, limits, rules_.settings().argument_separator).args;
  }
  for (const auto& h : r.headers) {
    if (iequals(h.name, "cookie")) {
      // Split on ';', trim the name's leading space, skip empty names (ModSecurity v3).
      std::string_view rest = h.value;
      while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
      while (true) {
        size_t semi = rest.find(';');
        std::string_view pair = rest.substr(0, semi);
        size_t eq = pair.find('=');
        std::string_view name = pair.substr(0, eq);
        while (!name.empty() && (name[0] == ' ' || name[0] == '\t' || name[0] == '\n' ||
                                 name[0] == '\r' || name[0] == '\v' || name[0] == '\f')) {
          name.remove_prefix(1);
        }
        if (!name.empty()) {
          std::string_view value =
              eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
          cookies_.push_back({std::string(name), std::string(value)});
        }
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
      }
    } else if (iequals(h.name, "host")) {
      server_name_ = std::string(h.value.substr(0, h.value.find(':')));
    } else if (iequals(h.name, "content-type")) {
      if (starts_with_ci(h.value, "multipart/form-data")) body_processor_ = "MULTIPART";
      if (starts_with_ci(h.value, "application/x-www-form-urlencoded"))
        body_processor_ = "URLENCODED";
    }
  }
}

std::string_view Transaction::tx(std::string_view name) const {
  auto it = tx_.find(to_lower(name));
  return it == tx_.end() ? std::string_view() : std::string_view(it->second);
}

void Transaction::process_request_headers() {
  run_phase(1);
}

bool Transaction::wants_request_body() const {
  return mode_ != EngineMode::kOff && body_access_ && !intervention_.disruptive;
}

size_t Transaction::request_body_limit() const {
  return rules_.settings().request_body_limit;
}

void Transaction::process_request_body(std::string_view body, bool truncated) {
  if (intervention_.disruptive) return;
  body_phase_ran_ = true;
  const auto& settings = rules_.settings();
  if (truncated) {
    inbound_data_error_ = true;
    if (settings.request_body_limit_action == BodyLimitAction::kReject) {
      if (mode_ == EngineMode::kOn) {
        intervention_ = {true, 403, 0, {}, false};
        return;
      }
    }
  }
  if (body_access_) apply_body(body);
  run_phase(2);
}

void Transaction::apply_body(std::string_view body) {
  const auto& settings = rules_.settings();
  BodyLimits limits;
  // SecArgumentsLimit counts ARGS_GET and ARGS_POST together, as ModSecurity v3 does.
  size_t args_left =
      settings.arguments_limit > args_get_.size() ? settings.arguments_limit - args_get_.size() : 0;
  limits.max_args = args_left;
  limits.max_json_depth = settings.json_depth_limit;
  std::string processor = forced_processor_.empty() ? body_processor_ : forced_processor_;
  body_processor_ = processor;
  if (processor == "URLENCODED") {
    body_ = parse_urlencoded(body, limits, settings.argument_separator);
  } else if (processor == "MULTIPART") {
    std::string_view content_type;
    for (const auto& h : request_.headers) {
      if (iequals(h.name, "content-type")) content_type = h.value;
    }
    body_ = parse_multipart(body, content_type, limits);
  } else if (processor == "JSON") {
    body_ = parse_json(body, limits);
    if (body.empty()) body_.error = false;
  } else if (processor == "XML") {
    body_ = parse_xml(body, limits);
  }
  args_post_ = std::move(body_.args);
  body_.args.clear();
  if (args_post_.size() > args_left) args_post_.resize(args_left);
  body_error_ = body_.error;
  if (!body.empty()) request_body_ = body;
}

void Transaction::process_response_headers(int status, std::string_view protocol,
                                           std::span<const HeaderView> headers) {
  response_seen_ = true;
  response_status_ = std::to_string(status);
  response_protocol_ = protocol;
  response_headers_ = headers;
  for (const auto& h : headers) {
    if (iequals(h.name, "content-type")) {
      std::string_view type = h.value.substr(0, h.value.find(';'));
      response_content_type_ = std::string(type);
    }
  }
  if (intervention_.disruptive) return;
  run_phase(3);
}

size_t Transaction::response_body_limit() const {
  return rules_.settings().response_body_limit;
}

bool Transaction::wants_response_body() const {
  const auto& settings = rules_.settings();
  if (mode_ == EngineMode::kOff || !settings.response_body_access || intervention_.disruptive) {
    return false;
  }
  std::string type = to_lower(response_content_type_);
  for (const auto& allowed : settings.response_body_mime_types) {
    if (allowed == type) return true;
  }
  return false;
}

void Transaction::process_response_body(std::string_view body, bool truncated) {
  if (intervention_.disruptive) return;
  if (truncated) {
    outbound_data_error_ = true;
    if (rules_.settings().response_body_limit_action == BodyLimitAction::kReject) {
      // ModSecurity v3: a 403 when the engine is On, else the partial body is inspected.
      if (mode_ == EngineMode::kOn) {
        intervention_ = {true, 403, 0, {}, false};
        return;
      }
    }
  }
  response_body_text_.assign(body);
  response_body_ = response_body_text_;
  has_response_body_ = true;
  run_phase(4);
}

void Transaction::process_logging() {
  run_phase(5);
  save_collections();
}

Transaction::Collection* Transaction::collection_of(Variable variable) {
  switch (variable) {
    case Variable::kTx:
      return &tx_;
    case Variable::kIp:
      return &ip_;
    case Variable::kGlobal:
      return &global_;
    case Variable::kSession:
      return &session_;
    case Variable::kUser:
      return &user_;
    case Variable::kResource:
      return &resource_;
    default:
      return nullptr;
  }
}

void Transaction::init_collection(Variable collection, std::string key) {
  for (const auto& p : persisted_) {
    if (p.variable == collection) return;  // the first initcol of a collection wins
  }
  Collection* values = collection == Variable::kTx ? nullptr : collection_of(collection);
  if (values == nullptr) return;
  Persisted& p = persisted_.emplace_back();
  p.variable = collection;
  p.key = std::move(key);
  if (store_ != nullptr) {
    store_->load(to_lower(variable_info(collection).name), p.key, Clock::now(), p.loaded);
  }
  // Values set before the initcol stay (and are saved as changes).
  for (const auto& [name, value] : p.loaded) values->try_emplace(name, value);
}

void Transaction::expire_variable(Variable collection, std::string name, int64_t seconds) {
  for (auto& p : persisted_) {
    if (p.variable == collection) p.expiries[std::move(name)] = seconds;
  }
}

void Transaction::save_collections() {
  if (saved_ || store_ == nullptr) return;
  saved_ = true;
  auto now = Clock::now();
  for (const auto& p : persisted_) {
    const Collection* values = collection_of(p.variable);
    store_->save(to_lower(variable_info(p.variable).name), p.key, p.loaded, *values, p.expiries,
                 now);
  }
}

void Transaction::run_phase(int phase) {
  TransactionEval(*this).run_phase(phase);
}

}  // namespace rampart::seclang
