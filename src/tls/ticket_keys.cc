#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "core/log.h"

namespace rampart::tls {

TicketKeys::TicketKeys(std::chrono::milliseconds period, Clock clock)
    : clock_(std::move(clock)), period_(period), keys_(std::make_shared<const KeySet>()) {}

void TicketKeys::set_period(std::chrono::milliseconds period) {
  std::lock_guard lock(mutex_);
  period_ = period;
}

std::chrono::milliseconds TicketKeys::period() const {
  std::lock_guard lock(mutex_);
  return period_;
}

std::shared_ptr<const TicketKeys::KeySet> TicketKeys::keys() {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  if (!keys_->empty() && now < keys_->front().encrypt_until) return keys_;
  Key fresh;
  if (RAND_bytes(fresh.name.data(), fresh.name.size()) != 1 ||
      RAND_bytes(fresh.aes.data(), fresh.aes.size()) != 1 ||
      RAND_bytes(fresh.hmac.data(), fresh.hmac.size()) != 1) {
    // Without randomness no new key; the old set (maybe empty) keeps serving, and an
    // empty set means full handshakes, which is safe.
    core::log(core::LogLevel::kError, "tls: RAND_bytes failed; session ticket keys not rotated");
    return keys_;
  }
  fresh.encrypt_until = now + period_;
  fresh.accept_until = now + 3 * period_;
  auto next = std::make_shared<KeySet>();
  next->push_back(fresh);
  for (const Key& old : *keys_) {
    if (now < old.accept_until) next->push_back(old);
  }
  keys_ = std::move(next);
  return keys_;
}

size_t TicketKeys::accepted_count() {
  auto set = keys();
  const auto now = clock_();
  return static_cast<size_t>(
      std::count_if(set->begin(), set->end(), [&](const Key& k) { return now < k.accept_until; }));
}

namespace {

bool set_hmac_key(EVP_MAC_CTX* mac, const std::array<unsigned char, 32>& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

}  // namespace

int TicketKeys::use(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                    EVP_MAC_CTX* mac, int enc) {
  auto set = keys();
  if (enc == 1) {
    if (set->empty()) return 0;  // no ticket this time; the handshake goes on
    const Key& key = set->front();
    const int iv_len = EVP_CIPHER_get_iv_length(EVP_aes_256_cbc());
    if (RAND_bytes(iv, iv_len) != 1) return -1;
    std::memcpy(name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    return set_hmac_key(mac, key.hmac) ? 1 : -1;
  }
  const auto now = clock_();
  for (size_t i = 0; i < set->size(); ++i) {
    const Key& key = (*set)[i];
    if (std::memcmp(name, key.name.data(), key.name.size()) != 0) continue;
    if (now >= key.accept_until) return 0;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    if (!set_hmac_key(mac, key.hmac)) return -1;
    return i == 0 ? 1 : 2;
  }
  return 0;
}

}  // namespace rampart::tls
