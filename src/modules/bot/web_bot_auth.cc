#include "modules/bot/web_bot_auth.h"

#include <openssl/evp.h>

#include <memory>

namespace rampart::modules::bot {
namespace sf = http::sf;

std::string_view sig_verdict_name(SigVerdict v) {
  switch (v) {
    case SigVerdict::kNone:
      return "none";
    case SigVerdict::kValid:
      return "valid";
    case SigVerdict::kMalformed:
      return "malformed";
    case SigVerdict::kMissingComponent:
      return "missing-component";
    case SigVerdict::kUnsupported:
      return "unsupported";
    case SigVerdict::kNotCovered:
      return "not-covered";
    case SigVerdict::kBadTime:
      return "bad-time";
    case SigVerdict::kUnknownKey:
      return "unknown-key";
    case SigVerdict::kBadSignature:
      return "bad-signature";
  }
  return "unknown";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of one covered component, or nullopt with `why`.
std::optional<std::string> component_value(const sf::Item& c, const SignedRequest& req,
                                           SigVerdict& why) {
  if (c.value.kind != sf::Kind::kString) {
    why = SigVerdict::kMalformed;
    return std::nullopt;
  }
  const std::string& name = c.value.text;
  if (name.starts_with("@")) {
    if (!c.params.empty()) {
      why = SigVerdict::kUnsupported;
      return std::nullopt;
    }
    if (name == "@authority") return lower(req.authority);
    if (name == "@method") return std::string(req.method);
    if (name == "@scheme") return lower(req.scheme);
    if (name == "@path") return std::string(req.path.empty() ? "/" : req.path);
    if (name == "@query") return "?" + std::string(req.query);
    if (name == "@target-uri") {
      std::string uri = lower(req.scheme) + "://" + lower(req.authority);
      uri += req.path.empty() ? "/" : req.path;
      if (!req.query.empty()) uri += "?" + std::string(req.query);
      return uri;
    }
    why = SigVerdict::kUnsupported;
    return std::nullopt;
  }
  if (name.empty() || name != lower(name)) {
    why = SigVerdict::kMalformed;
    return std::nullopt;
  }
  std::optional<std::string> value = req.header ? req.header(name) : std::nullopt;
  if (!value) {
    why = SigVerdict::kMissingComponent;
    return std::nullopt;
  }
  if (c.params.empty()) return value;
  // `;key="x"`: the member x of the field as a dictionary (Signature-Agent's form).
  const sf::BareItem* key = sf::find_param(c.params, "key");
  if (key == nullptr || key->kind != sf::Kind::kString || c.params.size() != 1) {
    why = SigVerdict::kUnsupported;
    return std::nullopt;
  }
  auto dict = sf::parse_dictionary(*value);
  const sf::Member* m = dict ? sf::find_member(*dict, key->text) : nullptr;
  if (m == nullptr) {
    why = SigVerdict::kMissingComponent;
    return std::nullopt;
  }
  std::string out;
  if (m->is_inner_list) {
    sf::serialize_inner_list(m->inner, m->params, out);
  } else {
    sf::serialize_item(m->item, out);
  }
  return out;
}

bool ed25519_verify(EVP_PKEY* key, std::string_view message, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace

std::optional<std::string> signature_base(const sf::Member& input, const SignedRequest& req,
                                          SigVerdict& why) {
  if (!input.is_inner_list) {
    why = SigVerdict::kMalformed;
    return std::nullopt;
  }
  std::string base;
  for (size_t i = 0; i < input.inner.size(); ++i) {
    const sf::Item& c = input.inner[i];
    // A component listed twice is an error (RFC 9421 §2.5).
    for (size_t j = 0; j < i; ++j) {
      std::string a, b;
      sf::serialize_item(input.inner[j], a);
      sf::serialize_item(c, b);
      if (a == b) {
        why = SigVerdict::kMalformed;
        return std::nullopt;
      }
    }
    auto value = component_value(c, req, why);
    if (!value) return std::nullopt;
    if (value->find('\n') != std::string::npos) {
      why = SigVerdict::kMalformed;
      return std::nullopt;
    }
    sf::serialize_item(c, base);
    base += ": ";
    base += *value;
    base += '\n';
  }
  base += "\"@signature-params\": ";
  sf::serialize_inner_list(input.inner, input.params, base);
  return base;
}

SigResult verify_web_bot_auth(const SignedRequest& req, const PublicKeys& keys,
                              const SigCheck& check) {
  SigResult result;
  if (req.signature_input.empty() || req.signature.empty()) return result;
  auto inputs = sf::parse_dictionary(req.signature_input);
  auto signatures = sf::parse_dictionary(req.signature);
  if (!inputs || !signatures) {
    result.verdict = SigVerdict::kMalformed;
    return result;
  }
  const sf::Member* input = nullptr;
  for (const sf::Member& m : *inputs) {
    const sf::BareItem* tag = m.is_inner_list ? sf::find_param(m.params, "tag") : nullptr;
    if (tag != nullptr && tag->kind == sf::Kind::kString && tag->text == "web-bot-auth") {
      input = &m;
      break;
    }
  }
  if (input == nullptr) return result;  // signed, but not for Web Bot Auth
  const sf::Member* sig = sf::find_member(*signatures, input->key);
  if (sig == nullptr || sig->is_inner_list || sig->item.value.kind != sf::Kind::kBytes) {
    result.verdict = SigVerdict::kMalformed;
    return result;
  }
  const sf::BareItem* keyid = sf::find_param(input->params, "keyid");
  const sf::BareItem* created = sf::find_param(input->params, "created");
  const sf::BareItem* expires = sf::find_param(input->params, "expires");
  const sf::BareItem* alg = sf::find_param(input->params, "alg");
  if (keyid == nullptr || keyid->kind != sf::Kind::kString) {
    result.verdict = SigVerdict::kMalformed;
    return result;
  }
  result.keyid = keyid->text;
  if (alg != nullptr && (alg->kind != sf::Kind::kString || alg->text != "ed25519")) {
    result.verdict = SigVerdict::kUnsupported;
    return result;
  }
  if (created == nullptr || expires == nullptr || created->kind != sf::Kind::kInteger ||
      expires->kind != sf::Kind::kInteger || created->integer > check.now + check.max_skew ||
      expires->integer < check.now - check.max_skew || expires->integer < created->integer ||
      expires->integer - created->integer > check.max_validity) {
    result.verdict = SigVerdict::kBadTime;
    return result;
  }
  // The signature must bind the host, and the agent's identity when the bot states it.
  bool authority = false, agent = false;
  for (const sf::Item& c : input->inner) {
    if (c.value.kind != sf::Kind::kString) continue;
    authority |= c.value.text == "@authority";
    agent |= c.value.text == "signature-agent";
  }
  bool sends_agent = req.header && req.header("signature-agent").has_value();
  if (!authority || (sends_agent && !agent)) {
    result.verdict = SigVerdict::kNotCovered;
    return result;
  }
  auto key = keys.by_thumbprint.find(keyid->text);
  if (key == keys.by_thumbprint.end()) {
    result.verdict = SigVerdict::kUnknownKey;
    return result;
  }
  SigVerdict why = SigVerdict::kMalformed;
  auto base = signature_base(*input, req, why);
  if (!base) {
    result.verdict = why;
    return result;
  }
  result.verdict = ed25519_verify(key->second.get(), *base, sig->item.value.text)
                       ? SigVerdict::kValid
                       : SigVerdict::kBadSignature;
  return result;
}

}  // namespace rampart::modules::bot
