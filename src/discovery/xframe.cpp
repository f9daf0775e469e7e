#include "discovery/xframe.hpp"

#include "common/crypto.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>

namespace parley::discovery {
namespace {

// The relay. The message protocol, in both directions, is a plain object:
//   parent -> frame  {type:"request", id, method, url, headers?, body?}
//   frame -> parent  {type:"response", id, status, statusText, headers, body}
//                    {type:"error", id, error}      {type:"ready"} once loaded
// `url` may be relative; it must resolve to this page's own origin.
constexpr std::string_view kScriptHead = R"JS(
(function () {
  "use strict";
  var allowedOrigins = )JS";

constexpr std::string_view kScriptTail = R"JS(;
  var allowedMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
  var maxBodyChars = 4194304;

  function originAllowed(origin) {
    return typeof origin === "string" && allowedOrigins.indexOf(origin.toLowerCase()) !== -1;
  }

  function post(target, origin, message) {
    try {
      target.postMessage(message, origin);
    } catch (e) {
      // The asking window is gone or its origin changed; there is nobody left to tell.
    }
  }

  function refuse(event, id, reason) {
    // A refusal carries nothing of this origin, so it may go to whichever window asked.
    if (event.source) post(event.source, "*", { type: "error", id: id, error: reason });
  }

  function sameOriginUrl(url) {
    try {
      var resolved = new URL(url, window.location.href);
      return resolved.origin === window.location.origin ? resolved.href : null;
    } catch (e) {
      return null;
    }
  }

  function headersOf(response) {
    var out = {};
    response.headers.forEach(function (value, name) { out[name] = value; });
    return out;
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    var id = data !== null && typeof data === "object" ? data.id : undefined;
    if (!originAllowed(event.origin)) { refuse(event, id, "origin not allowed"); return; }
    if (data === null || typeof data !== "object" || data.type !== "request") {
      refuse(event, id, "not a request");
      return;
    }
    var method = String(data.method || "GET").toUpperCase();
    if (allowedMethods.indexOf(method) === -1) { refuse(event, id, "method not allowed"); return; }
    var url = typeof data.url === "string" ? sameOriginUrl(data.url) : null;
    if (url === null) { refuse(event, id, "only this origin's URLs can be requested"); return; }
    var headers = new Headers();
    try {
      if (data.headers !== null && typeof data.headers === "object") {
        Object.keys(data.headers).forEach(function (name) {
          headers.set(name, String(data.headers[name]));
        });
      }
      headers.set("X-Ms-Origin", event.origin);
    } catch (e) {
      refuse(event, id, "invalid header");
      return;
    }
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (data.body !== undefined && data.body !== null && method !== "GET" && method !== "HEAD") {
      if (typeof data.body !== "string" || data.body.length > maxBodyChars) {
        refuse(event, id, "the body must be a string of at most " + maxBodyChars + " characters");
        return;
      }
      init.body = data.body;
    }
    var source = event.source;
    var origin = event.origin;
    fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        post(source, origin, {
          type: "response", id: id, status: response.status, statusText: response.statusText,
          headers: headersOf(response), body: text
        });
      });
    }).catch(function (e) {
      post(source, origin, { type: "error", id: id, error: "request failed: " + (e && e.message ? e.message : "network error") });
    });
  });

  // Tell an allowed embedding page that the relay is listening.
  if (window.parent !== window && document.referrer) {
    try {
      var parentOrigin = new URL(document.referrer).origin;
      if (originAllowed(parentOrigin)) post(window.parent, parentOrigin, { type: "ready" });
    } catch (e) {
      // No usable referrer: the parent waits for its first answer instead.
    }
  }
})();
)JS";

constexpr std::string_view kPageHead = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Parley XFrame</title>
</head>
<body>
<script>)HTML";

constexpr std::string_view kPageTail = R"HTML(</script>
</body>
</html>
)HTML";

// The standard (padded) base64 CSP hash sources use, from base64url.
std::string base64_of_hex(std::string_view hex) {
  std::string raw;
  raw.reserve(hex.size() / 2);
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  std::string b64 = base64url_encode(raw);
  for (auto& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4) b64.push_back('=');
  return b64;
}

}  // namespace

bool is_plain_origin(std::string_view origin) {
  std::string_view host;
  if (origin.starts_with("https://")) host = origin.substr(8);
  else if (origin.starts_with("http://")) host = origin.substr(7);
  else return false;
  if (host.empty() || host.size() > 260) return false;
  for (char c : host) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                    c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

std::string script_safe_json_array(const std::vector<std::string>& values) {
  boost::json::array arr;
  for (const auto& v : values) arr.emplace_back(v);
  const std::string json = boost::json::serialize(arr);
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
             (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";  // line separators end a JS line
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

XFramePage build_xframe_page(const std::vector<std::string>& cross_domain_origins) {
  XFramePage page;
  for (const auto& o : cross_domain_origins)
    if (is_plain_origin(o)) page.origins.push_back(o);

  std::string script;
  script.append(kScriptHead).append(script_safe_json_array(page.origins)).append(kScriptTail);
  page.html.append(kPageHead).append(script).append(kPageTail);

  std::string ancestors;
  for (const auto& o : page.origins) ancestors.append(ancestors.empty() ? "" : " ").append(o);
  if (ancestors.empty()) ancestors = "'none'";
  // The inline script is pinned by its hash and may only talk to this origin.
  page.content_security_policy = "default-src 'none'; script-src 'sha256-" +
                                 base64_of_hex(sha256_hex(script)) +
                                 "'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                                 "frame-ancestors " + ancestors;
  return page;
}

}  // namespace parley::discovery
