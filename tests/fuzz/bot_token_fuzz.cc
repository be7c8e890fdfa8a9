// Fuzzes what a client controls in the bot module: the clearance cookie, a challenge and
// its answers, the form and query values, Accept-Language and the User-Agent. The input
// is split at '\n' into: token, challenge, answers, accept-language, user-agent, form.
// Invariants: nothing crashes; a valid token or challenge cannot be forged; base64url
// decoding is canonical (re-encoding gives the input back).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "modules/bot/challenge.h"
#include "modules/bot/clearance.h"
#include "modules/bot/page.h"

namespace {

using namespace rampart::modules::bot;

const KeyRing& ring() {
  static const std::vector<KeySpec> specs{{1, std::string(32, 'f')}};
  static const KeyRing keys(specs);
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::array<std::string_view, 6> part{};
  for (size_t i = 0; i < part.size(); ++i) {
    size_t nl = in.find('\n');
    part[i] = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  auto [token, challenge, answers, accept_language, user_agent, form] = part;

  Binding binding{ua_family(user_agent), "t13d1516h2_8daaf6152771_02713d6af862"};
  FUZZ_CHECK(!binding.ua_family.empty());
  TokenInfo info;
  FUZZ_CHECK(verify_token(ring(), token, binding, 0, 1'800'000'000, &info) != Verdict::kValid);

  DecodedChallenge decoded;
  FUZZ_CHECK(check_challenge(ring(), challenge, binding, 0, 1'800'000'000, 300, 0, &decoded) !=
             ChallengeVerdict::kValid);
  // The answers' parser, on a challenge that decodes as ours would.
  decoded.bits = 1;
  decoded.puzzles = 4;
  (void)check_solutions(challenge, decoded, answers);

  std::array<uint8_t, 96> raw;
  if (auto n = base64url_decode(token, raw)) {
    FUZZ_CHECK(base64url_encode({raw.data(), *n}) == token);
  }
  std::string_view lang = pick_language(accept_language);
  FUZZ_CHECK(lang == "en" || lang == "fr");
  std::string value;
  if (url_decode(form, value)) FUZZ_CHECK(value.size() <= form.size());
  std::string encoded = url_encode(form);
  FUZZ_CHECK(url_decode(encoded, value) && value == form);
  return 0;
}
