#pragma once
// Internals of @detectXSS shared by its files (not part of the engine's contract):
// what makes a tag, an attribute or a URL able to run script.

#include <string_view>

namespace rampart::seclang::xss {

// A tag that runs, embeds or loads script or active content by its mere presence.
bool is_dangerous_tag(std::string_view name);

enum class AttributeKind {
  kPlain,
  kHandler,  // an event handler (onload, onerror, ...): its value is script
  kUrl,      // holds a URL that a javascript:-like scheme turns into script
  kStyle,    // CSS, which old browsers let run script (expression(), behavior)
  kActive,   // changes what another attribute or the document means (xmlns, srcdoc...)
};
AttributeKind attribute_kind(std::string_view name);

// Whether an attribute value, as a browser decodes it (character references,
// ignored whitespace and control bytes), starts with a scheme that runs script or
// inlines a document.
bool is_dangerous_url(std::string_view value);

}  // namespace rampart::seclang::xss
