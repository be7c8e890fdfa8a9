#include "seclang/settings.h"

#include <charconv>

#include "seclang/text_util.h"

namespace rampart::seclang {
namespace {

// Directives that configure ModSecurity's own audit/debug logs, temp storage and
// upload handling. rampart records WAF matches in its access log and keeps request
// bodies in memory within the body limits, so these are accepted and have no effect
// (listed in docs/waf-compatibility.md).
constexpr std::string_view kWithoutEffect[] = {
    "SecTmpDir",
    "SecDataDir",
    "SecAuditEngine",
    "SecAuditLogRelevantStatus",
    "SecAuditLogParts",
    "SecAuditLogType",
    "SecAuditLog",
    "SecAuditLog2",
    "SecAuditLogFormat",
    "SecAuditLogStorageDir",
    "SecAuditLogDirMode",
    "SecAuditLogFileMode",
    "SecDebugLog",
    "SecDebugLogLevel",
    "SecStatusEngine",
    "SecUploadDir",
    "SecUploadKeepFiles",
    "SecUploadFileLimit",
    "SecUploadFileMode",
    "SecCollectionTimeout",
    "SecRequestBodyInMemoryLimit",
    "SecTmpSaveUploadedFiles",
    "SecServerSignature",
    "SecUnicodeMapFile",
    "SecPcreMatchLimitRecursion",
};

bool parse_size(const std::string& text, size_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

void apply_setting(const Directive& d, EngineSettings& s, std::vector<LoadError>& errors) {
  auto fail = [&](const std::string& message) {
    errors.push_back({d.where, d.name + ": " + message});
  };
  const std::string& name = d.name;
  const std::string arg = d.args.empty() ? std::string() : d.args[0];
  auto on_off = [&](bool& out) {
    if (iequals(arg, "on")) {
      out = true;
    } else if (iequals(arg, "off")) {
      out = false;
    } else {
      fail("expected On or Off");
    }
  };
  auto size = [&](size_t& out) {
    if (!parse_size(arg, out)) fail("expected a size in bytes");
  };
  auto limit_action = [&](BodyLimitAction& out) {
    if (iequals(arg, "reject")) {
      out = BodyLimitAction::kReject;
    } else if (iequals(arg, "processpartial")) {
      out = BodyLimitAction::kProcessPartial;
    } else {
      fail("expected Reject or ProcessPartial");
    }
  };
  if (name == "SecRuleEngine") {
    if (iequals(arg, "on")) {
      s.mode = EngineMode::kOn;
    } else if (iequals(arg, "off")) {
      s.mode = EngineMode::kOff;
    } else if (iequals(arg, "detectiononly")) {
      s.mode = EngineMode::kDetectionOnly;
    } else {
      fail("expected On, Off or DetectionOnly");
    }
  } else if (name == "SecRequestBodyAccess") {
    on_off(s.request_body_access);
  } else if (name == "SecRequestBodyLimit") {
    size(s.request_body_limit);
  } else if (name == "SecRequestBodyNoFilesLimit") {
    size(s.request_body_no_files_limit);
  } else if (name == "SecRequestBodyLimitAction") {
    limit_action(s.request_body_limit_action);
  } else if (name == "SecRequestBodyJsonDepthLimit") {
    size(s.json_depth_limit);
  } else if (name == "SecArgumentsLimit") {
    size(s.arguments_limit);
  } else if (name == "SecPcreMatchLimit") {
    size(s.pcre_match_limit);
  } else if (name == "SecResponseBodyAccess") {
    on_off(s.response_body_access);
  } else if (name == "SecResponseBodyMimeType") {
    s.response_body_mime_types.clear();
    for (const auto& type : d.args) s.response_body_mime_types.push_back(to_lower(type));
  } else if (name == "SecResponseBodyMimeTypesClear") {
    s.response_body_mime_types.clear();
  } else if (name == "SecResponseBodyLimit") {
    size(s.response_body_limit);
  } else if (name == "SecResponseBodyLimitAction") {
    limit_action(s.response_body_limit_action);
  } else if (name == "SecArgumentSeparator") {
    if (arg.size() != 1) {
      fail("expected one character");
    } else {
      s.argument_separator = arg[0];
    }
  } else if (name == "SecCookieFormat") {
    if (arg != "0") fail("only cookie format 0 (version 0 cookies) is supported");
  } else {
    for (auto known : kWithoutEffect) {
      if (name == known) return;
    }
    fail("directive not supported");
  }
}

}  // namespace rampart::seclang
