#pragma once
// RFC 8941 structured field values, the parts HTTP Message Signatures (RFC 9421) use:
// dictionaries whose members are items or inner lists, with parameters. Parsing is
// strict (an error fails the whole field, as §4.2 says), bounded and exception-free;
// values are copied out so the result does not depend on the input's lifetime.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::http::sf {

enum class Kind : uint8_t { kInteger, kDecimal, kString, kToken, kBytes, kBoolean };

struct BareItem {
  Kind kind = Kind::kBoolean;
  int64_t integer = 0;  // kInteger, kBoolean (0/1); kDecimal: value × 1000
  std::string text;     // kString, kToken; kBytes: the decoded bytes
};

using Parameters = std::vector<std::pair<std::string, BareItem>>;

struct Item {
  BareItem value;
  Parameters params;
};

struct Member {
  std::string key;
  bool is_inner_list = false;
  Item item;                // when !is_inner_list
  std::vector<Item> inner;  // when is_inner_list
  Parameters params;        // the inner list's parameters
};

using Dictionary = std::vector<Member>;

// Limits keep a hostile field cheap: members, items per inner list, parameters per item.
inline constexpr size_t kMaxMembers = 64;
inline constexpr size_t kMaxInnerItems = 64;
inline constexpr size_t kMaxParams = 32;

// nullopt when the text is not a valid dictionary. A key given twice keeps the last
// value, in the first one's place (§4.2.2).
std::optional<Dictionary> parse_dictionary(std::string_view text);

const BareItem* find_param(const Parameters& params, std::string_view key);
const Member* find_member(const Dictionary& dict, std::string_view key);

// Serializations (§4.1): the canonical text of an item, its parameters, an inner list.
void serialize_bare_item(const BareItem& item, std::string& out);
void serialize_params(const Parameters& params, std::string& out);
void serialize_item(const Item& item, std::string& out);
void serialize_inner_list(const std::vector<Item>& items, const Parameters& params,
                          std::string& out);

}  // namespace rampart::http::sf
