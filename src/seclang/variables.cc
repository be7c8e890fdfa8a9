#include "seclang/variables.h"

#include <array>

#include "seclang/text_util.h"

namespace rampart::seclang {
namespace {

struct Entry {
  Variable id;
  VariableInfo info;
};

// Order does not matter: lookups scan (the table is small and only read at load).
constexpr std::array kVariables = {
    Entry{Variable::kArgs, {"ARGS", true}},
    Entry{Variable::kArgsGet, {"ARGS_GET", true}},
    Entry{Variable::kArgsPost, {"ARGS_POST", true}},
    Entry{Variable::kArgsNames, {"ARGS_NAMES", true}},
    Entry{Variable::kArgsGetNames, {"ARGS_GET_NAMES", true}},
    Entry{Variable::kArgsPostNames, {"ARGS_POST_NAMES", true}},
    Entry{Variable::kRequestHeaders, {"REQUEST_HEADERS", true}},
    Entry{Variable::kRequestHeadersNames, {"REQUEST_HEADERS_NAMES", true}},
    Entry{Variable::kRequestCookies, {"REQUEST_COOKIES", true}},
    Entry{Variable::kRequestCookiesNames, {"REQUEST_COOKIES_NAMES", true}},
    Entry{Variable::kResponseHeaders, {"RESPONSE_HEADERS", true}},
    Entry{Variable::kResponseHeadersNames, {"RESPONSE_HEADERS_NAMES", true}},
    Entry{Variable::kFiles, {"FILES", true}},
    Entry{Variable::kFilesNames, {"FILES_NAMES", true}},
    Entry{Variable::kFilesSizes, {"FILES_SIZES", true}},
    Entry{Variable::kMultipartPartHeaders, {"MULTIPART_PART_HEADERS", true}},
    Entry{Variable::kTx, {"TX", true}},
    Entry{Variable::kIp, {"IP", true}},
    Entry{Variable::kGlobal, {"GLOBAL", true}},
    Entry{Variable::kSession, {"SESSION", true}},
    Entry{Variable::kUser, {"USER", true}},
    Entry{Variable::kResource, {"RESOURCE", true}},
    Entry{Variable::kEnv, {"ENV", true}},
    Entry{Variable::kGeo, {"GEO", true}},
    Entry{Variable::kRule, {"RULE", true}},
    Entry{Variable::kMatchedVars, {"MATCHED_VARS", true}},
    Entry{Variable::kMatchedVarsNames, {"MATCHED_VARS_NAMES", true}},
    Entry{Variable::kXml, {"XML", true}},
    Entry{Variable::kRequestUri, {"REQUEST_URI", false}},
    Entry{Variable::kRequestUriRaw, {"REQUEST_URI_RAW", false}},
    Entry{Variable::kRequestFilename, {"REQUEST_FILENAME", false}},
    Entry{Variable::kRequestBasename, {"REQUEST_BASENAME", false}},
    Entry{Variable::kRequestLine, {"REQUEST_LINE", false}},
    Entry{Variable::kRequestMethod, {"REQUEST_METHOD", false}},
    Entry{Variable::kRequestProtocol, {"REQUEST_PROTOCOL", false}},
    Entry{Variable::kQueryString, {"QUERY_STRING", false}},
    Entry{Variable::kRequestBody, {"REQUEST_BODY", false}},
    Entry{Variable::kRequestBodyLength, {"REQUEST_BODY_LENGTH", false}},
    Entry{Variable::kArgsCombinedSize, {"ARGS_COMBINED_SIZE", false}},
    Entry{Variable::kFilesCombinedSize, {"FILES_COMBINED_SIZE", false}},
    Entry{Variable::kRemoteAddr, {"REMOTE_ADDR", false}},
    Entry{Variable::kRemotePort, {"REMOTE_PORT", false}},
    Entry{Variable::kRemoteHost, {"REMOTE_HOST", false}},
    Entry{Variable::kServerName, {"SERVER_NAME", false}},
    Entry{Variable::kServerAddr, {"SERVER_ADDR", false}},
    Entry{Variable::kServerPort, {"SERVER_PORT", false}},
    Entry{Variable::kUniqueId, {"UNIQUE_ID", false}},
    Entry{Variable::kMatchedVar, {"MATCHED_VAR", false}},
    Entry{Variable::kMatchedVarName, {"MATCHED_VAR_NAME", false}},
    Entry{Variable::kReqbodyError, {"REQBODY_ERROR", false}},
    Entry{Variable::kReqbodyErrorMsg, {"REQBODY_ERROR_MSG", false}},
    Entry{Variable::kReqbodyProcessor, {"REQBODY_PROCESSOR", false}},
    Entry{Variable::kReqbodyProcessorError, {"REQBODY_PROCESSOR_ERROR", false}},
    Entry{Variable::kReqbodyProcessorErrorMsg, {"REQBODY_PROCESSOR_ERROR_MSG", false}},
    Entry{Variable::kInboundDataError, {"INBOUND_DATA_ERROR", false}},
    Entry{Variable::kOutboundDataError, {"OUTBOUND_DATA_ERROR", false}},
    Entry{Variable::kMultipartStrictError, {"MULTIPART_STRICT_ERROR", false}},
    Entry{Variable::kMultipartUnmatchedBoundary, {"MULTIPART_UNMATCHED_BOUNDARY", false}},
    Entry{Variable::kMultipartBoundaryQuoted, {"MULTIPART_BOUNDARY_QUOTED", false}},
    Entry{Variable::kMultipartBoundaryWhitespace, {"MULTIPART_BOUNDARY_WHITESPACE", false}},
    Entry{Variable::kMultipartDataBefore, {"MULTIPART_DATA_BEFORE", false}},
    Entry{Variable::kMultipartDataAfter, {"MULTIPART_DATA_AFTER", false}},
    Entry{Variable::kMultipartHeaderFolding, {"MULTIPART_HEADER_FOLDING", false}},
    Entry{Variable::kMultipartLfLine, {"MULTIPART_LF_LINE", false}},
    Entry{Variable::kMultipartCrlfLfLines, {"MULTIPART_CRLF_LF_LINES", false}},
    Entry{Variable::kMultipartMissingSemicolon, {"MULTIPART_MISSING_SEMICOLON", false}},
    Entry{Variable::kMultipartInvalidQuoting, {"MULTIPART_INVALID_QUOTING", false}},
    Entry{Variable::kMultipartInvalidPart, {"MULTIPART_INVALID_PART", false}},
    Entry{Variable::kMultipartInvalidHeaderFolding, {"MULTIPART_INVALID_HEADER_FOLDING", false}},
    Entry{Variable::kMultipartFileLimitExceeded, {"MULTIPART_FILE_LIMIT_EXCEEDED", false}},
    Entry{Variable::kMultipartFilename, {"MULTIPART_FILENAME", false}},
    Entry{Variable::kMultipartName, {"MULTIPART_NAME", false}},
    Entry{Variable::kResponseStatus, {"RESPONSE_STATUS", false}},
    Entry{Variable::kResponseProtocol, {"RESPONSE_PROTOCOL", false}},
    Entry{Variable::kResponseBody, {"RESPONSE_BODY", false}},
    Entry{Variable::kResponseContentType, {"RESPONSE_CONTENT_TYPE", false}},
    Entry{Variable::kResponseContentLength, {"RESPONSE_CONTENT_LENGTH", false}},
    Entry{Variable::kFullRequest, {"FULL_REQUEST", false}},
    Entry{Variable::kFullRequestLength, {"FULL_REQUEST_LENGTH", false}},
    Entry{Variable::kAuthType, {"AUTH_TYPE", false}},
    Entry{Variable::kPathInfo, {"PATH_INFO", false}},
    Entry{Variable::kDuration, {"DURATION", false}},
    Entry{Variable::kHighestSeverity, {"HIGHEST_SEVERITY", false}},
    Entry{Variable::kTime, {"TIME", false}},
    Entry{Variable::kTimeEpoch, {"TIME_EPOCH", false}},
    Entry{Variable::kUrlencodedError, {"URLENCODED_ERROR", false}},
};

}  // namespace

std::optional<Variable> variable_by_name(std::string_view name) {
  for (const auto& entry : kVariables) {
    if (iequals(entry.info.name, name)) return entry.id;
  }
  return std::nullopt;
}

const VariableInfo& variable_info(Variable v) {
  // Indexed by enumerator, built once: this runs for every value a rule reads.
  static const auto by_id = [] {
    std::array<const VariableInfo*, 256> table{};
    for (const auto& entry : kVariables) table[static_cast<size_t>(entry.id)] = &entry.info;
    return table;
  }();
  const VariableInfo* info = by_id[static_cast<size_t>(v)];
  return info != nullptr ? *info : kVariables[0].info;
}

std::optional<Variable> writable_collection(std::string_view lowercase_name) {
  if (lowercase_name == "tx") return Variable::kTx;
  if (lowercase_name == "ip") return Variable::kIp;
  if (lowercase_name == "global") return Variable::kGlobal;
  if (lowercase_name == "session") return Variable::kSession;
  if (lowercase_name == "user") return Variable::kUser;
  if (lowercase_name == "resource") return Variable::kResource;
  return std::nullopt;
}

}  // namespace rampart::seclang
