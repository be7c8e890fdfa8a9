#include "rules/evaluator.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace rampart::rules {
namespace {

Value present_bool(bool b) {
  return Value::of_bool(b);
}

bool ip_equal(const core::IpAddress& a, const core::IpAddress& b) {
  return a.bytes == b.bytes;
}

template <typename T>
int compare_values(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

core::IpAddress mask(core::IpAddress ip, int bits) {
  int total = ip.v4 ? 32 : 128;
  int first = ip.v4 ? 96 : 0;  // IPv4 lives in the last 4 bytes
  for (int bit = bits; bit < total; ++bit) {
    int at = first + bit;
    ip.bytes[static_cast<size_t>(at / 8)] &= static_cast<uint8_t>(~(0x80 >> (at % 8)));
  }
  return ip;
}

class Evaluator {
 public:
  // The step limit is per evaluation: `steps` keeps counting over every program a
  // state evaluates, and many small rules must not add up to one rule's limit.
  Evaluator(const Program& p, EvalState& s) : p_(p), s_(s), limit_(s.steps + kMaxSteps) {
    if (p.memos > 0) {
      memo_values_ = s.scratch().array<Value>(p.memos);
      std::uninitialized_default_construct(memo_values_.begin(), memo_values_.end());
      memo_done_ = s.scratch().array<uint8_t>(p.memos);
      std::fill(memo_done_.begin(), memo_done_.end(), uint8_t{0});
    }
  }

  Value eval(uint32_t index) {
    uint32_t memo = p_.nodes[index].memo;
    if (memo == 0) return compute(index);
    if (memo_done_[memo - 1]) return memo_values_[memo - 1];
    Value v = compute(index);
    if (!s_.exhausted) {
      memo_values_[memo - 1] = v;
      memo_done_[memo - 1] = 1;
    }
    return v;
  }

 private:
  Value compute(uint32_t index) {
    if (++s_.steps > limit_) {
      s_.exhausted = true;
      return Value::none(p_.nodes[index].type);
    }
    const Node& n = p_.nodes[index];
    switch (n.op) {
      case Op::kConst:
        return p_.constants[n.payload];
      case Op::kField:
        return s_.field(n.payload);
      case Op::kEach: {
        const EvalState::Bound& b = s_.bound;
        return n.type == Type::kInt ? Value::of_int(b.integer) : Value::of_string(b.string);
      }
      case Op::kIndex: {
        Value array = eval(n.a);
        if (array.missing) return Value::none(n.type);
        size_t i = static_cast<size_t>(n.integer);
        if (array.type == Type::kStringArray) {
          return i < array.strings.size() ? Value::of_string(array.strings[i])
                                          : Value::none(n.type);
        }
        return i < array.integers.size() ? Value::of_int(array.integers[i]) : Value::none(n.type);
      }
      case Op::kNot: {
        Value v = eval(n.a);
        if (v.missing) return v;
        return present_bool(!v.boolean);
      }
      case Op::kAnd:
        return present_bool(truthy(eval(n.a)) && truthy(eval(n.b)));
      case Op::kOr:
        return present_bool(truthy(eval(n.a)) || truthy(eval(n.b)));
      case Op::kXor:
        return present_bool(truthy(eval(n.a)) != truthy(eval(n.b)));
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        return compare(n);
      case Op::kContains: {
        Value a = eval(n.a);
        Value b = eval(n.b);
        if (a.missing || b.missing) return present_bool(false);
        if (b.string.empty()) return present_bool(true);
        // An empty view may have a null data pointer, which memmem must not get.
        if (a.string.size() < b.string.size()) return present_bool(false);
        // glibc's memmem is linear in the haystack (two-way algorithm).
        return present_bool(
            memmem(a.string.data(), a.string.size(), b.string.data(), b.string.size()) != nullptr);
      }
      case Op::kMatches: {
        Value a = eval(n.a);
        if (a.missing) return present_bool(false);
        return present_bool(RE2::PartialMatch(a.string, *p_.regexes[n.payload]));
      }
      case Op::kWildcard: {
        Value a = eval(n.a);
        if (a.missing) return present_bool(false);
        return present_bool(p_.wildcards[n.c].matches(a.string, s_.scratch()));
      }
      case Op::kInStrings: {
        Value a = eval(n.a);
        if (a.missing) return present_bool(false);
        const auto& set = p_.string_sets[n.payload];
        return present_bool(std::binary_search(set.begin(), set.end(), a.string));
      }
      case Op::kInInts: {
        Value a = eval(n.a);
        if (a.missing) return present_bool(false);
        const auto& set = p_.int_sets[n.payload];
        return present_bool(std::binary_search(set.begin(), set.end(), a.integer));
      }
      case Op::kInIps: {
        Value a = eval(n.a);
        if (a.missing) return present_bool(false);
        if (n.c != 0) return present_bool(p_.list_sets[n.payload]->contains(a.ip));
        return present_bool(p_.ip_sets[n.payload]->contains(a.ip));
      }
      case Op::kCall:
        return call(n);
      case Op::kAny:
      case Op::kAll:
        return quantify(n);
    }
    return Value::none(n.type);
  }

  static bool truthy(const Value& v) { return !v.missing && v.boolean; }

  Value compare(const Node& n) {
    Value a = eval(n.a);
    Value b = eval(n.b);
    if (a.missing || b.missing) return present_bool(false);
    int c = 0;
    switch (a.type) {
      case Type::kBool:
        c = compare_values(a.boolean, b.boolean);
        break;
      case Type::kInt:
        c = compare_values(a.integer, b.integer);
        break;
      case Type::kString:
        c = a.string.compare(b.string);
        c = c < 0 ? -1 : (c > 0 ? 1 : 0);
        break;
      case Type::kIp:
        c = ip_equal(a.ip, b.ip) ? 0 : 1;
        break;
      default:
        return present_bool(false);
    }
    switch (n.op) {
      case Op::kEq:
        return present_bool(c == 0);
      case Op::kNe:
        return present_bool(c != 0);
      case Op::kLt:
        return present_bool(c < 0);
      case Op::kLe:
        return present_bool(c <= 0);
      case Op::kGt:
        return present_bool(c > 0);
      case Op::kGe:
        return present_bool(c >= 0);
      default:
        return present_bool(false);
    }
  }

  Value quantify(const Node& n) {
    Value array = eval(n.c);
    bool want_all = n.op == Op::kAll;
    if (array.missing) return present_bool(false);
    size_t count = array.type == Type::kStringArray ? array.strings.size() : array.integers.size();
    if (count == 0) return present_bool(false);
    EvalState::Bound& slot = s_.bound;
    for (size_t i = 0; i < count; ++i) {
      if (array.type == Type::kStringArray) {
        slot.string = array.strings[i];
      } else {
        slot.integer = array.integers[i];
      }
      bool hit = truthy(eval(n.a));
      if (s_.exhausted) return present_bool(false);
      if (want_all && !hit) return present_bool(false);
      if (!want_all && hit) return present_bool(true);
    }
    return present_bool(want_all);
  }

  Value arg(const Node& n, uint32_t i) { return eval(p_.args[n.a + i]); }

  Value call(const Node& n) {
    Scratch& scratch = s_.scratch();
    Value first = arg(n, 0);
    if (first.missing) {
      // starts_with/ends_with test like a comparison: false, not missing, so that
      // "not starts_with(...)" agrees with "not ... contains ...".
      bool test = n.function == Function::kStartsWith || n.function == Function::kEndsWith;
      return test ? present_bool(false) : Value::none(n.type);
    }
    switch (n.function) {
      case Function::kLower:
        return Value::of_string(to_lower(first.string, scratch));
      case Function::kUpper:
        return Value::of_string(to_upper(first.string, scratch));
      case Function::kUrlDecode:
        return Value::of_string(url_decode(first.string, true, scratch));
      case Function::kLen:
        if (first.type == Type::kString)
          return Value::of_int(static_cast<int64_t>(first.string.size()));
        return Value::of_int(static_cast<int64_t>(
            first.type == Type::kStringArray ? first.strings.size() : first.integers.size()));
      case Function::kStartsWith: {
        Value second = arg(n, 1);
        if (second.missing) return present_bool(false);
        return present_bool(first.string.starts_with(second.string));
      }
      case Function::kEndsWith: {
        Value second = arg(n, 1);
        if (second.missing) return present_bool(false);
        return present_bool(first.string.ends_with(second.string));
      }
      case Function::kConcat: {
        std::string_view parts[16];
        size_t total = 0;
        for (uint32_t i = 0; i < n.b; ++i) {
          Value v = i == 0 ? first : arg(n, i);
          if (v.missing) return Value::none(Type::kString);
          parts[i] = v.string;
          total += v.string.size();
        }
        char* out = scratch.chars(total);
        size_t at = 0;
        for (uint32_t i = 0; i < n.b; ++i) {
          if (!parts[i].empty()) std::memcpy(out + at, parts[i].data(), parts[i].size());
          at += parts[i].size();
        }
        return Value::of_string({out, total});
      }
      case Function::kRegexReplace: {
        std::string text(first.string);
        RE2::Replace(&text, *p_.regexes[n.payload], p_.rewrites[static_cast<size_t>(n.integer)]);
        return Value::of_string(scratch.copy(text));
      }
      case Function::kSubstring: {
        Value start = arg(n, 1);
        if (start.missing) return Value::none(Type::kString);
        int64_t size = static_cast<int64_t>(first.string.size());
        int64_t from = start.integer < 0 ? size + start.integer : start.integer;
        int64_t to = size;
        if (n.b == 3) {
          Value end = arg(n, 2);
          if (end.missing) return Value::none(Type::kString);
          to = end.integer < 0 ? size + end.integer : end.integer;
        }
        from = std::clamp<int64_t>(from, 0, size);
        to = std::clamp<int64_t>(to, from, size);
        return Value::of_string(
            first.string.substr(static_cast<size_t>(from), static_cast<size_t>(to - from)));
      }
      case Function::kLookupJsonString: {
        auto found = json_lookup_string(first.string, p_.json_paths[n.payload], scratch);
        return found ? Value::of_string(*found) : Value::none(Type::kString);
      }
      case Function::kCidr: {
        int bits =
            first.ip.v4 ? static_cast<int>(n.integer >> 8) : static_cast<int>(n.integer & 0xff);
        return Value::of_ip(mask(first.ip, bits));
      }
      case Function::kAny:
      case Function::kAll:
        break;  // compiled to kAny/kAll nodes
    }
    return Value::none(n.type);
  }

  const Program& p_;
  EvalState& s_;
  uint64_t limit_;
  std::span<Value> memo_values_;  // by Node::memo - 1, valid where memo_done_ is set
  std::span<uint8_t> memo_done_;
};

}  // namespace

EvalState::EvalState(const Request& request, std::span<const Slot> slots,
                     const FieldRegistry& fields)
    : request_(request), slots_(slots), fields_(fields) {
  values_ = scratch_.array<Value>(slots.size());
  std::uninitialized_default_construct(values_.begin(), values_.end());
  computed_ = scratch_.array<uint8_t>(slots.size());
  std::fill(computed_.begin(), computed_.end(), uint8_t{0});
}

const Value& EvalState::field(uint32_t slot) {
  if (computed_[slot]) return values_[slot];
  const Slot& s = slots_[slot];
  const FieldDef& def = fields_.get(s.field);
  // Written whole into the slot: patching single bytes of a Value just before it is
  // copied costs a store-forwarding stall on every field.
  Value& v = values_[slot];
  if (def.compute) {
    v = def.compute(request_, s.key, scratch_);
  } else if (const Value* ext = request_.extension(def.id); ext && ext->type == def.type) {
    v = *ext;
  } else {
    v = Value::none(def.type);
  }
  computed_[slot] = 1;
  if (trace_) {
    std::string name = def.name;
    if (def.keyed) name += "[\"" + s.key + "\"]";
    trace_->push_back(TraceEntry{std::move(name), v});
  }
  return values_[slot];
}

Value evaluate(const Program& program, EvalState& state) {
  return Evaluator(program, state).eval(program.root);
}

namespace {

void append_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string format_value(const Value& value) {
  if (value.missing) return "(missing)";
  std::string out;
  switch (value.type) {
    case Type::kBool:
      return value.boolean ? "true" : "false";
    case Type::kInt:
      return std::to_string(value.integer);
    case Type::kString:
      append_string(out, value.string);
      return out;
    case Type::kIp:
      return value.ip.to_string();
    case Type::kStringArray:
      out = "[";
      for (size_t i = 0; i < value.strings.size(); ++i) {
        if (i) out += ", ";
        append_string(out, value.strings[i]);
      }
      return out + "]";
    case Type::kIntArray:
      out = "[";
      for (size_t i = 0; i < value.integers.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(value.integers[i]);
      }
      return out + "]";
  }
  return out;
}

}  // namespace rampart::rules
