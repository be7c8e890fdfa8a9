#pragma once
// Session ticket keys that rotate with time, shared by every TLS context of the process
// so that resumption survives config reloads.

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace rampart::tls {

// A key encrypts new tickets for one rotation period and still decrypts them for two
// more; a ticket under such an older key is accepted and replaced by one under the
// current key. Keys are random (RAND_bytes), never written anywhere, so a restart
// invalidates every ticket.
//
// Thread-safe: workers call the ticket callback concurrently; rotation happens lazily
// on the first use after the period ends, under a mutex held for a few copies.
class TicketKeys {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  explicit TicketKeys(std::chrono::milliseconds period = std::chrono::hours(12),
                      Clock clock = std::chrono::system_clock::now);

  // Applies to keys made from now on (a reload may change the period).
  void set_period(std::chrono::milliseconds period);
  std::chrono::milliseconds period() const;

  // The OpenSSL 3 ticket key callback's work (SSL_CTX_set_tlsext_ticket_key_evp_cb):
  // enc = 1: fill `name` and `iv` and set up both contexts with the current key;
  // returns 1, or 0 when no key can be made (no ticket is sent). enc = 0: set up decryption with
  // the key named `name`; returns 1 for the current key, 2 for an older accepted one (renew the
  // ticket), 0 for an unknown or expired one (full handshake).
  int use(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
          int enc);

  // How many keys are accepted now (tests and metrics).
  size_t accepted_count();

 private:
  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
    std::chrono::system_clock::time_point encrypt_until;
    std::chrono::system_clock::time_point accept_until;
  };
  using KeySet = std::vector<Key>;  // the current key first

  // The keys valid now, rotated first if the current key's period ended.
  std::shared_ptr<const KeySet> keys();

  Clock clock_;
  mutable std::mutex mutex_;
  std::chrono::milliseconds period_;
  std::shared_ptr<const KeySet> keys_;
};

}  // namespace rampart::tls
