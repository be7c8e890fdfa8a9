// Variable resolution: what each SecLang variable holds for this request.
#include <re2/re2.h>

#include "seclang/text_util.h"
#include "seclang/transaction_eval.h"

namespace rampart::seclang {
namespace {

bool ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// `literal` is lower case.
bool icontains(std::string_view key, std::string_view literal) {
  if (literal.size() > key.size()) return false;
  const char first = literal[0];
  for (size_t i = 0; i + literal.size() <= key.size(); ++i) {
    if (ascii_lower(key[i]) == first && iequals(key.substr(i, literal.size()), literal)) {
      return true;
    }
  }
  return false;
}

bool key_selected(const Selector& s, std::string_view key) {
  if (s.key_match != Selector::KeyMatch::kRegex && ascii(key)) {
    const std::string_view lit = s.key_literal;
    switch (s.key_match) {
      case Selector::KeyMatch::kContains:
        return icontains(key, lit);
      case Selector::KeyMatch::kPrefix:
        return key.size() >= lit.size() && iequals(key.substr(0, lit.size()), lit);
      case Selector::KeyMatch::kSuffix:
        return key.size() >= lit.size() && iequals(key.substr(key.size() - lit.size()), lit);
      case Selector::KeyMatch::kExact:
        return iequals(key, lit);
      case Selector::KeyMatch::kRegex:
        break;
    }
  }
  if (s.key_regex) {
    // Match without submatches: PartialMatch's argument handling costs more than the
    // match on a short key, and it runs for every member of every collection read.
    re2::StringPiece text(key.empty() ? "" : key.data(), key.size());
    return s.key_regex->Match(text, 0, text.size(), RE2::UNANCHORED, nullptr, 0);
  }
  if (s.key.empty()) return true;
  return iequals(key, s.key);
}

bool excluded(const std::vector<Selector>* exclusions, Variable variable, std::string_view key) {
  if (exclusions == nullptr) return false;
  for (const auto& e : *exclusions) {
    if (e.variable == variable && key_selected(e, key)) return true;
  }
  return false;
}

}  // namespace

std::string& TransactionEval::scratch() {
  // Never reused within a transaction (views into these strings live as long as it);
  // strings left by earlier transactions on this worker are reused, capacity and all.
  Transaction::Buffers& b = *t_.buf_;
  if (b.scratch_used < b.scratch.size()) {
    std::string& s = b.scratch[b.scratch_used++];
    s.clear();
    return s;
  }
  ++b.scratch_used;
  return b.scratch.emplace_back();
}

Transaction::Collection* TransactionEval::collection(Variable variable) {
  return t_.collection_of(variable);
}

void TransactionEval::collect(const Selector& s, const std::vector<Selector>* exclusions,
                              std::vector<Value>& out) {
  const size_t start = out.size();
  const std::string_view name = variable_info(s.variable).name;
  size_t count = 0;
  auto member = [&](std::string_view key, std::string_view value, const void* source) {
    if (!key_selected(s, key) || excluded(exclusions, s.variable, key)) return;
    ++count;
    if (!s.count) out.push_back({name, key, value, source});
  };
  auto args = [&](const std::vector<Argument>& list, bool names) {
    for (const auto& a : list) {
      member(a.name, names ? std::string_view(a.name) : std::string_view(a.value),
             names ? static_cast<const void*>(a.name.data()) : a.value.data());
    }
  };
  auto single = [&](std::string_view value, bool present, bool stable) {
    if (!present) return;
    ++count;
    if (!s.count) out.push_back({name, {}, value, stable ? value.data() : nullptr});
  };
  auto flag = [&](bool present, bool value) { single(value ? "1" : "0", present, false); };
  const Transaction& t = t_;
  const auto& body = t.body_;
  const bool multipart = t.body_phase_ran_ && t.body_processor_ == "MULTIPART";
  switch (s.variable) {
    case Variable::kArgs:
      args(t.args_get_, false);
      args(t.args_post_, false);
      break;
    case Variable::kArgsGet:
      args(t.args_get_, false);
      break;
    case Variable::kArgsPost:
      args(t.args_post_, false);
      break;
    case Variable::kArgsNames:
      args(t.args_get_, true);
      args(t.args_post_, true);
      break;
    case Variable::kArgsGetNames:
      args(t.args_get_, true);
      break;
    case Variable::kArgsPostNames:
      args(t.args_post_, true);
      break;
    case Variable::kRequestHeaders:
      for (const auto& h : t.request_.headers) member(h.name, h.value, h.value.data());
      break;
    case Variable::kRequestHeadersNames:
      for (const auto& h : t.request_.headers) member(h.name, h.name, h.name.data());
      break;
    case Variable::kRequestCookies:
      for (const auto& c : t.cookies_) member(c.key, c.value, c.value.data());
      break;
    case Variable::kRequestCookiesNames:
      for (const auto& c : t.cookies_) member(c.key, c.key, c.key.data());
      break;
    case Variable::kResponseHeaders:
      for (const auto& h : t.response_headers_) member(h.name, h.value, h.value.data());
      break;
    case Variable::kResponseHeadersNames:
      for (const auto& h : t.response_headers_) member(h.name, h.name, h.name.data());
      break;
    case Variable::kFiles:
      for (const auto& f : body.files) member(f.field_name, f.filename, f.filename.data());
      break;
    case Variable::kFilesNames:
      for (const auto& f : body.files) member(f.field_name, f.field_name, f.field_name.data());
      break;
    case Variable::kFilesSizes:
      for (const auto& f : body.files) {
        std::string& text = scratch();
        text = std::to_string(f.size);
        member(f.field_name, text, nullptr);
      }
      break;
    case Variable::kMultipartPartHeaders:
      for (const auto& h : body.part_headers) member(h.name, h.value, h.value.data());
      break;
    case Variable::kTx:
    case Variable::kIp:
    case Variable::kGlobal:
    case Variable::kSession:
    case Variable::kUser:
    case Variable::kResource: {
      // Values are copied: a setvar run while this rule's values are in use may rewrite
      // the entry. Only selected members are copied, and a plain key is one lookup.
      const Transaction::Collection& c = *collection(s.variable);
      auto add_copy = [&](const std::string& key, const std::string& value) {
        if (excluded(exclusions, s.variable, key)) return;
        ++count;
        if (s.count) return;
        std::string& copy = scratch();
        copy = value;
        out.push_back({name, key, copy, nullptr});
      };
      if (!s.key.empty() && !s.key_regex) {
        auto it = c.find(s.key);
        if (it != c.end()) add_copy(it->first, it->second);
      } else {
        for (const auto& [key, value] : c) {
          if (key_selected(s, key)) add_copy(key, value);
        }
      }
      break;
    }
    case Variable::kMatchedVars:
      for (size_t i = 0; i < t.matched_vars_used_; ++i) {
        const auto& [key, value] = t.matched_vars_[i];
        member(key, value, nullptr);
      }
      break;
    case Variable::kMatchedVarsNames:
      for (size_t i = 0; i < t.matched_vars_used_; ++i) {
        const auto& key = t.matched_vars_[i].first;
        member(key, key, nullptr);
      }
      break;
    case Variable::kXml:
      if (!t.body_phase_ran_ || t.body_processor_ != "XML") break;
      if (s.key == "//@*") {
        // Every attribute value (the selector names the XPath, not a member).
        for (const auto& value : body.xml_attribute_values) {
          ++count;
          if (!s.count) out.push_back({name, {}, value, value.data()});
        }
      } else {
        single(body.xml_text, true, true);
      }
      break;
    case Variable::kEnv:
    case Variable::kGeo:
    case Variable::kRule:
      break;
    case Variable::kRequestUri:
      single(t.uri_decoded_, true, true);
      break;
    case Variable::kRequestUriRaw:
      single(t.request_.uri, true, true);
      break;
    case Variable::kRequestFilename:
    case Variable::kPathInfo:
      single(t.filename_, true, true);
      break;
    case Variable::kRequestBasename:
      single(t.basename_, t.has_basename_, true);
      break;
    case Variable::kRequestLine:
      single(t.request_line_, true, true);
      break;
    case Variable::kRequestMethod:
      single(t.request_.method, true, true);
      break;
    case Variable::kRequestProtocol:
      single(t.protocol_, true, true);
      break;
    case Variable::kQueryString:
      single(t.query_string_, t.has_query_, true);
      break;
    case Variable::kRequestBody:
      // A view of the server's buffer, which the response phases may outlive: there the
      // value gets no cache entry of phase 2 (whose text may view that buffer).
      single(t.request_body_, !t.request_body_.empty(), !t.response_seen_);
      break;
    case Variable::kRequestBodyLength: {
      std::string& text = scratch();
      text = std::to_string(t.request_body_.size());
      single(text, !t.request_body_.empty(), false);
      break;
    }
    case Variable::kArgsCombinedSize: {
      size_t total = 0;
      for (const auto* list : {&t.args_get_, &t.args_post_}) {
        for (const auto& a : *list) total += a.name.size() + a.value.size();
      }
      std::string& text = scratch();
      text = std::to_string(total);
      single(text, true, false);
      break;
    }
    case Variable::kFilesCombinedSize: {
      size_t total = 0;
      for (const auto& f : body.files) total += f.size;
      std::string& text = scratch();
      text = std::to_string(total);
      single(text, true, false);
      break;
    }
    case Variable::kRemoteAddr:
      single(t.request_.remote_addr, true, true);
      break;
    case Variable::kRemotePort:
      single(t.remote_port_text_, true, true);
      break;
    case Variable::kRemoteHost:
      single(t.request_.remote_addr, true, true);
      break;
    case Variable::kServerName:
      single(t.server_name_, !t.server_name_.empty(), true);
      break;
    case Variable::kServerAddr:
      single(t.request_.server_addr, true, true);
      break;
    case Variable::kServerPort:
      single(t.server_port_text_, true, true);
      break;
    case Variable::kUniqueId:
      single(t.request_.unique_id, true, true);
      break;
    case Variable::kMatchedVar:
      single(t.matched_var_, true, false);
      break;
    case Variable::kMatchedVarName:
      single(t.matched_var_name_, true, false);
      break;
    case Variable::kReqbodyError:
    case Variable::kReqbodyProcessorError:
      flag(t.body_phase_ran_, t.body_error_);
      break;
    case Variable::kReqbodyErrorMsg:
    case Variable::kReqbodyProcessorErrorMsg:
      single(body.error_message, t.body_phase_ran_, true);
      break;
    case Variable::kReqbodyProcessor:
      single(t.body_processor_, !t.body_processor_.empty(), true);
      break;
    case Variable::kInboundDataError:
      flag(t.body_phase_ran_, t.inbound_data_error_);
      break;
    case Variable::kOutboundDataError:
      flag(t.has_response_body_ || t.outbound_data_error_, t.outbound_data_error_);
      break;
    case Variable::kUrlencodedError:
      flag(t.body_phase_ran_ && t.body_processor_ == "URLENCODED", t.body_error_);
      break;
    case Variable::kMultipartStrictError:
      flag(multipart, body.multipart.strict_error());
      break;
    case Variable::kMultipartUnmatchedBoundary:
      flag(multipart, body.multipart.unmatched_boundary);
      break;
    case Variable::kMultipartBoundaryQuoted:
      flag(multipart, body.multipart.boundary_quoted);
      break;
    case Variable::kMultipartBoundaryWhitespace:
      flag(multipart, body.multipart.boundary_whitespace);
      break;
    case Variable::kMultipartDataBefore:
      flag(multipart, body.multipart.data_before);
      break;
    case Variable::kMultipartDataAfter:
      flag(multipart, body.multipart.data_after);
      break;
    case Variable::kMultipartHeaderFolding:
      flag(multipart, body.multipart.header_folding);
      break;
    case Variable::kMultipartLfLine:
      flag(multipart, body.multipart.lf_line);
      break;
    case Variable::kMultipartCrlfLfLines:
      flag(multipart, body.multipart.crlf_lf_lines);
      break;
    case Variable::kMultipartMissingSemicolon:
      flag(multipart, body.multipart.missing_semicolon);
      break;
    case Variable::kMultipartInvalidQuoting:
      flag(multipart, body.multipart.invalid_quoting);
      break;
    case Variable::kMultipartInvalidPart:
      flag(multipart, body.multipart.invalid_part);
      break;
    case Variable::kMultipartInvalidHeaderFolding:
      flag(multipart, body.multipart.invalid_header_folding);
      break;
    case Variable::kMultipartFileLimitExceeded:
      flag(multipart, body.multipart.file_limit_exceeded);
      break;
    case Variable::kMultipartFilename:
    case Variable::kMultipartName:
      break;
    case Variable::kResponseStatus:
      single(t.response_status_, t.response_seen_, true);
      break;
    case Variable::kResponseProtocol:
      single(t.response_protocol_, t.response_seen_, true);
      break;
    case Variable::kResponseBody:
      single(t.response_body_, t.has_response_body_, true);
      break;
    case Variable::kResponseContentType:
      single(t.response_content_type_, t.response_seen_, true);
      break;
    case Variable::kResponseContentLength: {
      std::string& text = scratch();
      text = std::to_string(t.response_body_.size());
      single(text, t.has_response_body_, false);
      break;
    }
    case Variable::kFullRequest:
    case Variable::kFullRequestLength:
    case Variable::kAuthType:
      break;
    case Variable::kDuration:
    case Variable::kTime:
    case Variable::kTimeEpoch:
    case Variable::kHighestSeverity: {
      std::string& text = scratch();
      if (s.variable == Variable::kHighestSeverity) {
        int highest = 255;
        for (const auto& m : t.matches_) {
          if (m.severity >= 0 && m.severity < highest) highest = m.severity;
        }
        text = std::to_string(highest);
      } else {
        text = "0";
      }
      single(text, true, false);
      break;
    }
  }
  if (s.count) {
    out.resize(start);
    std::string& text = scratch();
    text = std::to_string(count);
    out.push_back({name, {}, text, nullptr});
  }
}

}  // namespace rampart::seclang
