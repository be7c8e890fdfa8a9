#pragma once
// The SecLang variables rampart can resolve: their names, whether they are collections
// (`ARGS:name`, `&ARGS`) or single values, and the phase from which they hold data.

#include <cstdint>
#include <optional>
#include <string_view>

namespace rampart::seclang {

enum class Variable : uint8_t {
  // collections
  kArgs,
  kArgsGet,
  kArgsPost,
  kArgsNames,
  kArgsGetNames,
  kArgsPostNames,
  kRequestHeaders,
  kRequestHeadersNames,
  kRequestCookies,
  kRequestCookiesNames,
  kResponseHeaders,
  kResponseHeadersNames,
  kFiles,
  kFilesNames,
  kFilesSizes,
  kMultipartPartHeaders,
  kTx,
  kIp,
  kGlobal,
  kSession,
  kUser,
  kResource,
  kEnv,
  kGeo,
  kRule,
  kMatchedVars,
  kMatchedVarsNames,
  kXml,
  // single values
  kRequestUri,
  kRequestUriRaw,
  kRequestFilename,
  kRequestBasename,
  kRequestLine,
  kRequestMethod,
  kRequestProtocol,
  kQueryString,
  kRequestBody,
  kRequestBodyLength,
  kArgsCombinedSize,
  kFilesCombinedSize,
  kRemoteAddr,
  kRemotePort,
  kRemoteHost,
  kServerName,
  kServerAddr,
  kServerPort,
  kUniqueId,
  kMatchedVar,
  kMatchedVarName,
  kReqbodyError,
  kReqbodyErrorMsg,
  kReqbodyProcessor,
  kReqbodyProcessorError,
  kReqbodyProcessorErrorMsg,
  kInboundDataError,
  kOutboundDataError,
  kMultipartStrictError,
  kMultipartUnmatchedBoundary,
  kMultipartBoundaryQuoted,
  kMultipartBoundaryWhitespace,
  kMultipartDataBefore,
  kMultipartDataAfter,
  kMultipartHeaderFolding,
  kMultipartLfLine,
  kMultipartCrlfLfLines,
  kMultipartMissingSemicolon,
  kMultipartInvalidQuoting,
  kMultipartInvalidPart,
  kMultipartInvalidHeaderFolding,
  kMultipartFileLimitExceeded,
  kMultipartFilename,
  kMultipartName,
  kResponseStatus,
  kResponseProtocol,
  kResponseBody,
  kResponseContentType,
  kResponseContentLength,
  kFullRequest,
  kFullRequestLength,
  kAuthType,
  kPathInfo,
  kDuration,
  kHighestSeverity,
  kTime,
  kTimeEpoch,
  kUrlencodedError,
};

struct VariableInfo {
  std::string_view name;  // upper case, as ModSecurity spells it
  bool collection;        // addressable by key / regex, countable
};

// Case-insensitive; nullopt if rampart does not know the variable.
std::optional<Variable> variable_by_name(std::string_view name);
const VariableInfo& variable_info(Variable v);

// Collections whose members rules may write with setvar (tx, ip, global, ...).
std::optional<Variable> writable_collection(std::string_view lowercase_name);

}  // namespace rampart::seclang
