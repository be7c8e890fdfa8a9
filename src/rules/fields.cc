#include "rules/fields.h"

#include <ctime>

#include "http/message.h"
#include "rules/text.h"

namespace rampart::rules {
namespace {

// ---- helpers ----

Value optional_header(const Request& r, std::string_view name) {
  const http::Header* h = r.head->find(name);
  return h ? Value::of_string(h->value) : Value::none(Type::kString);
}

std::span<const std::string_view> header_values(const Request& r, std::string_view name,
                                                Scratch& s) {
  // The length test first: most names differ in length, and it saves the call.
  auto named = [&](const http::Header& h) {
    return h.name.size() == name.size() && http::iequals(h.name, name);
  };
  size_t n = 0;
  const http::Header* first = nullptr;
  for (const auto& h : r.head->headers) {
    if (!named(h)) continue;
    if (n++ == 0) first = &h;
  }
  auto out = s.array<std::string_view>(n);
  if (n <= 1) {
    if (n == 1) out[0] = first->value;
    return out;
  }
  size_t i = 0;
  for (const auto& h : r.head->headers) {
    if (named(h)) out[i++] = h.value;
  }
  return out;
}

std::span<const std::string_view> values_named(std::span<const NameValue> pairs,
                                               std::string_view name, Scratch& s) {
  size_t n = 0;
  for (const auto& p : pairs) n += p.name == name ? 1 : 0;
  auto out = s.array<std::string_view>(n);
  size_t i = 0;
  for (const auto& p : pairs) {
    if (p.name == name) out[i++] = p.value;
  }
  return out;
}

// The host without a port, lowercased: "Shop.Example:8443" -> "shop.example".
std::string_view bare_host(const Request& r, Scratch& s) {
  std::string_view host = r.head->host;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else {
    size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  return to_lower(host, s);
}

// Path and query as the origin sees them, whatever form the target was sent in.
std::string_view uri(const Request& r, Scratch& s) {
  const http::RequestHead& h = *r.head;
  if (!h.target.empty() && h.target.front() == '/') return h.target;
  if (h.query.empty()) return h.path;
  char* p = s.chars(h.path.size() + 1 + h.query.size());
  std::copy(h.path.begin(), h.path.end(), p);
  p[h.path.size()] = '?';
  std::copy(h.query.begin(), h.query.end(), p + h.path.size() + 1);
  return {p, h.path.size() + 1 + h.query.size()};
}

std::string_view concat3(std::string_view a, std::string_view b, std::string_view c, Scratch& s) {
  char* p = s.chars(a.size() + b.size() + c.size());
  std::copy(a.begin(), a.end(), p);
  std::copy(b.begin(), b.end(), p + a.size());
  std::copy(c.begin(), c.end(), p + a.size() + b.size());
  return {p, a.size() + b.size() + c.size()};
}

// ---- the built-in fields ----

Value f_ip_src(const Request& r, std::string_view, Scratch&) {
  return Value::of_ip(r.client_ip);
}
Value f_host(const Request& r, std::string_view, Scratch& s) {
  return Value::of_string(bare_host(r, s));
}
Value f_method(const Request& r, std::string_view, Scratch&) {
  return Value::of_string(r.head->method);
}
Value f_uri(const Request& r, std::string_view, Scratch& s) {
  return Value::of_string(uri(r, s));
}
Value f_full_uri(const Request& r, std::string_view, Scratch& s) {
  std::string_view scheme = r.tls ? "https://" : "http://";
  return Value::of_string(concat3(scheme, bare_host(r, s), uri(r, s), s));
}
Value f_path(const Request& r, std::string_view, Scratch&) {
  return Value::of_string(r.head->path);
}
Value f_path_extension(const Request& r, std::string_view, Scratch& s) {
  std::string_view path = r.head->path;
  std::string_view last =
      path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  size_t dot = last.rfind('.');
  if (dot == std::string_view::npos) return Value::of_string("");
  return Value::of_string(to_lower(last.substr(dot + 1), s));
}
Value f_query(const Request& r, std::string_view, Scratch&) {
  return Value::of_string(r.head->query);
}
Value f_args(const Request& r, std::string_view key, Scratch& s) {
  return Value::of_strings(values_named(s.query_args(r), key, s));
}
Value f_arg_names(const Request& r, std::string_view, Scratch& s) {
  auto args = s.query_args(r);
  auto out = s.array<std::string_view>(args.size());
  for (size_t i = 0; i < args.size(); ++i) out[i] = args[i].name;
  return Value::of_strings(out);
}
Value f_arg_values(const Request& r, std::string_view, Scratch& s) {
  auto args = s.query_args(r);
  auto out = s.array<std::string_view>(args.size());
  for (size_t i = 0; i < args.size(); ++i) out[i] = args[i].value;
  return Value::of_strings(out);
}
Value f_headers(const Request& r, std::string_view key, Scratch& s) {
  return Value::of_strings(header_values(r, key, s));
}
Value f_header_names(const Request& r, std::string_view, Scratch& s) {
  const auto& headers = r.head->headers;
  auto out = s.array<std::string_view>(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) out[i] = to_lower(headers[i].name, s);
  return Value::of_strings(out);
}
Value f_header_values(const Request& r, std::string_view, Scratch& s) {
  const auto& headers = r.head->headers;
  auto out = s.array<std::string_view>(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) out[i] = headers[i].value;
  return Value::of_strings(out);
}
Value f_cookie(const Request& r, std::string_view, Scratch& s) {
  auto values = header_values(r, "cookie", s);
  if (values.empty()) return Value::none(Type::kString);
  if (values.size() == 1) return Value::of_string(values[0]);
  std::string_view joined = values[0];
  for (size_t i = 1; i < values.size(); ++i) joined = concat3(joined, "; ", values[i], s);
  return Value::of_string(joined);
}
Value f_cookies(const Request& r, std::string_view key, Scratch& s) {
  return Value::of_strings(values_named(s.cookies(r), key, s));
}
Value f_user_agent(const Request& r, std::string_view, Scratch&) {
  return optional_header(r, "user-agent");
}
Value f_referer(const Request& r, std::string_view, Scratch&) {
  return optional_header(r, "referer");
}
Value f_x_forwarded_for(const Request& r, std::string_view, Scratch&) {
  return optional_header(r, "x-forwarded-for");
}
Value f_version(const Request& r, std::string_view, Scratch&) {
  if (!r.protocol.empty()) return Value::of_string(r.protocol);
  return Value::of_string(r.head->version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
}
Value f_ssl(const Request& r, std::string_view, Scratch&) {
  return Value::of_bool(r.tls);
}
// TLS facts are missing (not empty) on a plaintext request, so `tls.ja4 ne "x"` is false
// there rather than true.
template <std::string_view TlsInfo::*Member>
Value f_tls_text(const Request& r, std::string_view, Scratch&) {
  if (r.tls_info == nullptr) return Value::none(Type::kString);
  std::string_view v = r.tls_info->*Member;
  return v.empty() ? Value::none(Type::kString) : Value::of_string(v);
}
template <bool TlsInfo::*Member>
Value f_tls_flag(const Request& r, std::string_view, Scratch&) {
  if (r.tls_info == nullptr) return Value::none(Type::kBool);
  return Value::of_bool(r.tls_info->*Member);
}
template <int64_t TlsInfo::*Member>
Value f_tls_time(const Request& r, std::string_view, Scratch&) {
  if (r.tls_info == nullptr || !r.tls_info->client_cert_presented) return Value::none(Type::kInt);
  return Value::of_int(r.tls_info->*Member);
}

Value f_body_size(const Request& r, std::string_view, Scratch&) {
  if (r.body) return Value::of_int(static_cast<int64_t>(r.body->size()));
  switch (r.head->body) {
    case http::BodyKind::kNone:
      return Value::of_int(0);
    case http::BodyKind::kContentLength:
      return Value::of_int(static_cast<int64_t>(r.head->content_length));
    default:
      return Value::none(Type::kInt);  // chunked: known only once read
  }
}
Value f_body_raw(const Request& r, std::string_view, Scratch&) {
  return r.body ? Value::of_string(*r.body) : Value::none(Type::kString);
}
Value f_response_code(const Request& r, std::string_view, Scratch&) {
  return r.response_status > 0 ? Value::of_int(r.response_status) : Value::none(Type::kInt);
}
Value f_timestamp(const Request& r, std::string_view, Scratch&) {
  return Value::of_int(r.timestamp != 0 ? r.timestamp : static_cast<int64_t>(std::time(nullptr)));
}

struct Builtin {
  const char* name;
  Type type;
  bool keyed;
  bool lowercase_key;
  Availability availability;
  FieldCompute compute;
  const char* description;
};

constexpr Availability kReq = Availability::kRequest;

const Builtin kBuiltins[] = {
    {"ip.src", Type::kIp, false, false, kReq, f_ip_src, "the client's address"},
    {"http.host", Type::kString, false, false, kReq, f_host, "Host without port, lowercase"},
    {"http.request.method", Type::kString, false, false, kReq, f_method, "GET, POST, ..."},
    {"http.request.uri", Type::kString, false, false, kReq, f_uri, "path and query"},
    {"http.request.full_uri", Type::kString, false, false, kReq, f_full_uri,
     "scheme://host/path?query"},
    {"http.request.uri.path", Type::kString, false, false, kReq, f_path, "path, not decoded"},
    {"http.request.uri.path.extension", Type::kString, false, false, kReq, f_path_extension,
     "the path's file extension, lowercase, without the dot"},
    {"http.request.uri.query", Type::kString, false, false, kReq, f_query,
     "query string without '?', not decoded"},
    {"http.request.uri.args", Type::kStringArray, true, false, kReq, f_args,
     "decoded values of a query argument"},
    {"http.request.uri.args.names", Type::kStringArray, false, false, kReq, f_arg_names,
     "decoded names of all query arguments"},
    {"http.request.uri.args.values", Type::kStringArray, false, false, kReq, f_arg_values,
     "decoded values of all query arguments"},
    {"http.request.headers", Type::kStringArray, true, true, kReq, f_headers,
     "values of a request header (name in lowercase)"},
    {"http.request.headers.names", Type::kStringArray, false, false, kReq, f_header_names,
     "names of all request headers, lowercase"},
    {"http.request.headers.values", Type::kStringArray, false, false, kReq, f_header_values,
     "values of all request headers"},
    {"http.cookie", Type::kString, false, false, kReq, f_cookie, "the Cookie header"},
    {"http.request.cookies", Type::kStringArray, true, false, kReq, f_cookies,
     "values of a cookie"},
    {"http.user_agent", Type::kString, false, false, kReq, f_user_agent, "User-Agent"},
    {"http.referer", Type::kString, false, false, kReq, f_referer, "Referer"},
    {"http.x_forwarded_for", Type::kString, false, false, kReq, f_x_forwarded_for,
     "X-Forwarded-For as received"},
    {"http.request.version", Type::kString, false, false, kReq, f_version, "HTTP/1.1, HTTP/2"},
    {"ssl", Type::kBool, false, false, kReq, f_ssl, "true over TLS"},
    {"tls.version", Type::kString, false, false, kReq, f_tls_text<&TlsInfo::version>,
     "TLSv1.2, TLSv1.3 (missing without TLS)"},
    {"tls.cipher", Type::kString, false, false, kReq, f_tls_text<&TlsInfo::cipher>,
     "the negotiated cipher suite, OpenSSL's name"},
    {"tls.ja4", Type::kString, false, false, kReq, f_tls_text<&TlsInfo::ja4>,
     "the JA4 fingerprint of the client's TLS ClientHello"},
    {"tls.sni", Type::kString, false, false, kReq, f_tls_text<&TlsInfo::sni>,
     "the server name the client asked for in its ClientHello"},
    {"tls.client_cert.presented", Type::kBool, false, false, kReq,
     f_tls_flag<&TlsInfo::client_cert_presented>, "the client sent a certificate"},
    {"tls.client_cert.verified", Type::kBool, false, false, kReq,
     f_tls_flag<&TlsInfo::client_cert_verified>,
     "the client's certificate chains to the site's client CA"},
    {"tls.client_cert.subject_dn", Type::kString, false, false, kReq,
     f_tls_text<&TlsInfo::client_cert_subject_dn>, "the client certificate's subject (RFC 2253)"},
    {"tls.client_cert.issuer_dn", Type::kString, false, false, kReq,
     f_tls_text<&TlsInfo::client_cert_issuer_dn>, "the client certificate's issuer (RFC 2253)"},
    {"tls.client_cert.serial", Type::kString, false, false, kReq,
     f_tls_text<&TlsInfo::client_cert_serial>, "the client certificate's serial number, hex"},
    {"tls.client_cert.fingerprint_sha256", Type::kString, false, false, kReq,
     f_tls_text<&TlsInfo::client_cert_fingerprint_sha256>,
     "SHA-256 of the client certificate (DER), lowercase hex"},
    {"tls.client_cert.not_before", Type::kInt, false, false, kReq,
     f_tls_time<&TlsInfo::client_cert_not_before>, "start of the client certificate's validity"},
    {"tls.client_cert.not_after", Type::kInt, false, false, kReq,
     f_tls_time<&TlsInfo::client_cert_not_after>, "end of the client certificate's validity"},
    {"http.request.timestamp.sec", Type::kInt, false, false, kReq, f_timestamp,
     "arrival time, seconds since the epoch"},
    {"http.request.body.size", Type::kInt, false, false, kReq, f_body_size,
     "body length in bytes (Content-Length, or the buffered body)"},
    {"http.request.body.raw", Type::kString, false, false, Availability::kBody, f_body_raw,
     "the body, once a body phase has buffered it"},
    {"http.response.code", Type::kInt, false, false, Availability::kResponse, f_response_code,
     "the response status (response phase)"},
};

}  // namespace

std::span<const NameValue> Scratch::query_args(const Request& request) {
  if (!args_) args_ = split_query(request.head->query, *this);
  return *args_;
}

std::span<const NameValue> Scratch::cookies(const Request& request) {
  if (!cookies_) cookies_ = split_cookies(header_values(request, "cookie", *this), *this);
  return *cookies_;
}

FieldRegistry& FieldRegistry::global() {
  static FieldRegistry registry;
  return registry;
}

FieldRegistry::FieldRegistry() {
  for (const Builtin& b : kBuiltins) {
    add(FieldDef{0, b.name, b.type, b.keyed, b.lowercase_key, b.availability, b.compute,
                 b.description});
  }
}

void FieldRegistry::add(FieldDef def) {
  def.id = static_cast<FieldId>(fields_.size());
  fields_.push_back(std::make_unique<FieldDef>(std::move(def)));
}

const FieldDef* FieldRegistry::find(std::string_view name) const {
  for (const auto& f : fields_) {
    if (f->name == name) return f.get();
  }
  return nullptr;
}

std::vector<std::string_view> FieldRegistry::names() const {
  std::vector<std::string_view> out;
  out.reserve(fields_.size());
  for (const auto& f : fields_) out.push_back(f->name);
  return out;
}

FieldId FieldRegistry::add_extension(std::string_view name, Type type,
                                     std::string_view description) {
  if (const FieldDef* existing = find(name)) {
    return existing->compute == nullptr && existing->type == type ? existing->id : kInvalid;
  }
  if (fields_.size() >= kInvalid) return kInvalid;
  add(FieldDef{0, std::string(name), type, false, false, Availability::kRequest, nullptr,
               std::string(description)});
  return fields_.back()->id;
}

}  // namespace rampart::rules
