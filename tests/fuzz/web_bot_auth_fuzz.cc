// Fuzzes the Web Bot Auth inputs a client controls: the Signature-Input and Signature
// structured fields and the Signature-Agent value. The input is split at '\n' into
// signature-input, signature, signature-agent, authority. Invariants: nothing crashes;
// a dictionary that parses re-serializes to text that parses to the same serialization;
// nothing verifies without the key.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/structured_field.h"
#include "modules/bot/web_bot_auth.h"

namespace {

using namespace rampart;

std::string serialize(const http::sf::Dictionary& d) {
  std::string out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0) out += ", ";
    out += d[i].key;
    if (d[i].is_inner_list) {
      out += '=';
      http::sf::serialize_inner_list(d[i].inner, d[i].params, out);
    } else if (d[i].item.value.kind == http::sf::Kind::kBoolean && d[i].item.value.integer == 1) {
      http::sf::serialize_params(d[i].item.params, out);
    } else {
      out += '=';
      http::sf::serialize_item(d[i].item, out);
    }
  }
  return out;
}

std::string_view next(std::string_view& rest) {
  size_t nl = rest.find('\n');
  std::string_view part = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view input = next(rest), signature = next(rest), agent = next(rest),
                   authority = next(rest);

  if (auto d = http::sf::parse_dictionary(input)) {
    std::string once = serialize(*d);
    auto again = http::sf::parse_dictionary(once);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(serialize(*again) == once);
  }

  modules::bot::SignedRequest req;
  req.method = "GET";
  req.scheme = "https";
  req.authority = authority;
  req.path = "/";
  req.signature_input = input;
  req.signature = signature;
  req.header = [agent](std::string_view name) -> std::optional<std::string> {
    if (name == "signature-agent" && !agent.empty()) return std::string(agent);
    return std::nullopt;
  };
  modules::bot::PublicKeys no_keys;
  modules::bot::SigCheck check{1'800'000'000, 60, 86'400};
  auto result = modules::bot::verify_web_bot_auth(req, no_keys, check);
  FUZZ_CHECK(result.verdict != modules::bot::SigVerdict::kValid);
  if (auto d = http::sf::parse_dictionary(input)) {
    for (const auto& m : *d) {
      modules::bot::SigVerdict why{};
      (void)modules::bot::signature_base(m, req, why);
    }
  }
  return 0;
}
