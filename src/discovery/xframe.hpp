#pragma once
// The XFrame page (GET /Autodiscover/XFrame/XFrame.html): a browser client on another origin
// embeds it in a hidden iframe and asks it, with postMessage, to make UCWA requests on this
// server's origin. Only origins on the configured allow-list (CrossDomainAuthorizationList) are
// served; anything else is answered with an error and nothing is requested.

#include <string>
#include <string_view>
#include <vector>

namespace parley::discovery {

struct XFramePage {
  std::string html;                      // the whole document, built once at start-up
  std::string content_security_policy;   // script pinned by hash, framing only by the allow-list
  std::vector<std::string> origins;      // the allow-list actually embedded
};

// Builds the page for `cross_domain_origins` (lower-case origins such as
// "https://app.example.org"). Entries that are not a plain scheme://host[:port] are left out of
// both the page and the policy, so no configured value can add a CSP directive.
XFramePage build_xframe_page(const std::vector<std::string>& cross_domain_origins);

// True for "http(s)://host[:port]" with a host of letters, digits, '.', '-' or an IPv6 literal.
bool is_plain_origin(std::string_view origin);

// A JSON array of strings that is also safe inside an HTML <script> element: '<', '>', '&' and
// U+2028/U+2029 are written as \u escapes, so a value cannot close the element or the string.
std::string script_safe_json_array(const std::vector<std::string>& values);

}  // namespace parley::discovery
