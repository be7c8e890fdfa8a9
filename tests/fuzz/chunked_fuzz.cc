// Fuzzes ChunkedDecoder: the body must decode to the same bytes and the same outcome
// whether it arrives at once or split at points the input itself chooses.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/h1_parser.h"

namespace {

using rampart::http::ChunkedDecoder;
using rampart::http::ParseStatus;

struct Outcome {
  ParseStatus status = ParseStatus::kIncomplete;
  int error = 0;
  size_t consumed = 0;  // up to the step that completed or failed
  std::string data;
  uint64_t body_bytes = 0;
};

// Feeds `in` in parts whose sizes come from `splits` (cycled; 0 = everything left).
Outcome decode(std::string_view in, std::string_view splits, uint64_t max_body) {
  ChunkedDecoder d(max_body);
  Outcome out;
  size_t avail = 0;  // bytes of `in` the "network" has delivered so far
  size_t turn = 0;
  for (;;) {
    if (avail < in.size()) {
      const size_t n =
          splits.empty() ? 0 : static_cast<unsigned char>(splits[turn++ % splits.size()]);
      avail = n == 0 ? in.size() : std::min(in.size(), avail + n);
    }
    for (;;) {
      const std::string_view rest = in.substr(out.consumed, avail - out.consumed);
      if (rest.empty()) break;
      const ChunkedDecoder::Step s = d.feed(rest);
      FUZZ_CHECK(s.consumed <= rest.size());
      FUZZ_CHECK(s.data.empty() || (s.data.data() >= rest.data() &&
                                    s.data.data() + s.data.size() <= rest.data() + rest.size()));
      out.data.append(s.data);
      out.status = s.status;
      if (s.status == ParseStatus::kError) {
        out.error = s.error.status;
        FUZZ_CHECK(out.error == 400 || out.error == 413 || out.error == 431);
        out.body_bytes = d.body_bytes();
        return out;
      }
      FUZZ_CHECK(s.consumed > 0 || s.status == ParseStatus::kComplete);
      out.consumed += s.consumed;
      if (s.status == ParseStatus::kComplete) {
        FUZZ_CHECK(d.done());
        out.body_bytes = d.body_bytes();
        return out;
      }
    }
    if (avail == in.size()) break;
  }
  out.body_bytes = d.body_bytes();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // [limit selector][split count][splits...][body]
  if (size < 2) return 0;
  const uint64_t max_body = data[0] & 1 ? 0 : static_cast<uint64_t>(data[0]) * 8;
  const size_t nsplits = std::min<size_t>(data[1] % 16, size - 2);
  const std::string_view splits(reinterpret_cast<const char*>(data + 2), nsplits);
  const std::string_view in(reinterpret_cast<const char*>(data + 2 + nsplits), size - 2 - nsplits);

  const Outcome whole = decode(in, {}, max_body);
  FUZZ_CHECK(whole.data.size() == whole.body_bytes);
  if (max_body != 0) FUZZ_CHECK(whole.body_bytes <= max_body);
  if (whole.status == ParseStatus::kComplete) FUZZ_CHECK(whole.consumed >= 5);

  const Outcome parts = decode(in, splits.empty() ? std::string_view("\x01", 1) : splits, max_body);
  FUZZ_CHECK(parts.status == whole.status);
  FUZZ_CHECK(parts.error == whole.error);
  FUZZ_CHECK(parts.data == whole.data);
  FUZZ_CHECK(parts.body_bytes == whole.body_bytes);
  if (whole.status != ParseStatus::kError) FUZZ_CHECK(parts.consumed == whole.consumed);
  return 0;
}
