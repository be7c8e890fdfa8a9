// A ClientHello parser of our own, because OpenSSL 3.0's client-hello accessors
// (SSL_client_hello_get1_extensions_present, get0_ext) list only the extensions OpenSSL
// knows: GREASE, compress_certificate, ALPS, ECH and the like vanish, and the JA4
// extension count and hash would be wrong for every browser.

#include "tls/client_hello.h"

#include <cstddef>

namespace rampart::tls {
namespace {

constexpr size_t kMaxListEntries = 256;  // per list; real hellos send under 100
constexpr size_t kMaxNameBytes = 255;

// A cursor over bytes that fails (and stays failed) on any read past the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  bool ok() const { return ok_; }
  size_t left() const { return ok_ ? data_.size() : 0; }
  bool empty() const { return left() == 0; }

  uint32_t number(size_t bytes) {
    if (!take(bytes)) return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | last_[i];
    return v;
  }
  // A sub-reader over a block prefixed by its length in `len_bytes` bytes.
  Reader block(size_t len_bytes) {
    size_t n = number(len_bytes);
    if (!take(n)) return Reader(false);
    return Reader(last_);
  }
  std::span<const uint8_t> bytes(size_t n) { return take(n) ? last_ : std::span<const uint8_t>(); }

 private:
  explicit Reader(bool) : ok_(false) {}
  bool take(size_t n) {
    if (!ok_ || n > data_.size()) {
      ok_ = false;
      return false;
    }
    last_ = data_.first(n);
    data_ = data_.subspan(n);
    return true;
  }

  std::span<const uint8_t> data_;
  std::span<const uint8_t> last_;
  bool ok_ = true;
};

bool read_u16_list(Reader r, std::vector<uint16_t>& out) {
  while (r.ok() && !r.empty()) {
    uint16_t v = static_cast<uint16_t>(r.number(2));
    if (r.ok() && out.size() < kMaxListEntries) out.push_back(v);
  }
  return r.ok();
}

}  // namespace

std::optional<ClientHello> parse_client_hello(std::span<const uint8_t> message) {
  Reader msg(message);
  if (msg.number(1) != 1) return std::nullopt;  // client_hello
  Reader body = msg.block(3);
  if (!body.ok()) return std::nullopt;
  ClientHello hello;
  hello.legacy_version = static_cast<uint16_t>(body.number(2));
  body.bytes(32);  // random
  body.block(1);   // legacy_session_id
  if (!read_u16_list(body.block(2), hello.ciphers)) return std::nullopt;
  body.block(1);  // legacy_compression_methods
  if (!body.ok()) return std::nullopt;
  if (body.empty()) return hello;  // no extensions at all (TLS 1.0-era clients)
  Reader exts = body.block(2);
  while (exts.ok() && !exts.empty()) {
    uint16_t type = static_cast<uint16_t>(exts.number(2));
    Reader data = exts.block(2);
    if (!exts.ok()) return std::nullopt;
    if (hello.extensions.size() < kMaxListEntries) hello.extensions.push_back(type);
    bool ok = true;
    switch (type) {
      case 0x0000: {  // server_name: list of (type, name); host_name is type 0
        Reader list = data.block(2);
        while (list.ok() && !list.empty()) {
          uint32_t name_type = list.number(1);
          auto name = list.block(2);
          auto bytes = name.bytes(name.left());
          if (list.ok() && name_type == 0 && hello.server_name.empty() &&
              bytes.size() <= kMaxNameBytes) {
            hello.server_name.assign(bytes.begin(), bytes.end());
          }
        }
        ok = list.ok();
        break;
      }
      case 0x0010: {  // ALPN: list of length-prefixed protocol names
        Reader list = data.block(2);
        while (list.ok() && !list.empty()) {
          auto proto = list.block(1);
          auto bytes = proto.bytes(proto.left());
          if (list.ok() && hello.alpn.size() < kMaxListEntries) {
            hello.alpn.emplace_back(bytes.begin(), bytes.end());
          }
        }
        ok = list.ok();
        break;
      }
      case 0x002b:  // supported_versions (client form: 1-byte length)
        ok = read_u16_list(data.block(1), hello.supported_versions);
        break;
      case 0x000d:  // signature_algorithms
        ok = read_u16_list(data.block(2), hello.signature_algorithms);
        break;
      default:
        break;
    }
    if (!ok) return std::nullopt;
  }
  if (!exts.ok()) return std::nullopt;
  return hello;
}

}  // namespace rampart::tls
