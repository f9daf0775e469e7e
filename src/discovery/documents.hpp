#pragma once
// The discovery documents (UCWA.md §1.2–§1.4): the JSON root and user resources UCWA clients
// read, and the MS-OCDISCWS XML AutodiscoverResponse Lync clients read. Every URL in them is
// absolute and built from configured HTTPS bases, never from the request's Host header.

#include "http/message.hpp"

#include <string>
#include <string_view>

namespace parley::discovery {

// Paths of the services discovery points to. Those not built yet are where they will live.
inline constexpr std::string_view kRootPath = "/Autodiscover/AutodiscoverService.svc/root";
inline constexpr std::string_view kOAuthUserPath = "/Autodiscover/AutodiscoverService.svc/root/oauth/user";
inline constexpr std::string_view kUserPath = "/Autodiscover/AutodiscoverService.svc/root/user";
inline constexpr std::string_view kDomainPath = "/Autodiscover/AutodiscoverService.svc/root/domain";
inline constexpr std::string_view kXFramePath = "/Autodiscover/XFrame/XFrame.html";
inline constexpr std::string_view kWebTicketPath = "/WebTicket/oauthtoken";
inline constexpr std::string_view kUcwaOAuthPath = "/ucwa/oauth/v1/applications";
inline constexpr std::string_view kUcwaPath = "/ucwa/v1/applications";
inline constexpr std::string_view kAuthBrokerPath = "/Reach/sip.svc";
inline constexpr std::string_view kSchedulerPath = "/Scheduler";
inline constexpr std::string_view kMcxPath = "/Mcx/McxService.svc";

// The "https://host[:port]" bases the links of one answer are built from.
struct Bases {
  http::Site site = http::Site::external;  // where the request arrived: AccessLocation
  std::string arrived;   // that site's base: self links
  std::string exposed;   // the ExposedWebURL site's base: user, applications, Ucwa, XFrame
  std::string internal;  // Internal/* tokens
  std::string external;  // External/* tokens
};

// Picks the bases for a request that arrived on `site`. A site without an HTTPS base borrows the
// other site's, so that every link still points somewhere that answers.
Bases choose_bases(http::Site site, bool expose_internal, std::string_view internal_base,
                   std::string_view external_base);

// "Internal" or "External".
std::string_view access_location(http::Site site);

// Escapes the five XML special characters and replaces characters XML 1.0 cannot carry
// (C0 controls other than tab, LF, CR) with U+FFFD.
std::string xml_escape(std::string_view text);

// JSON root (§1.2): self, user and xframe. `link_query` (e.g. "originalDomain=example.org") is
// appended to self and user.
std::string json_root(const Bases& b, std::string_view link_query);
// JSON user resource (§1.3) for a user served here: self, applications, xframe. `self_path` is
// the path the user resource was requested at.
std::string json_user(const Bases& b, std::string_view self_path);
// JSON user resource for a user homed on another pool: self, redirect, xframe.
std::string json_user_redirect(const Bases& b, std::string_view self_path, std::string_view redirect_href);

// XML Root (§1.4, MS-OCDISCWS 3.1.5.2): Self, User, OAuth, Domain and the service tokens.
std::string xml_root(const Bases& b, std::string_view link_query);
// XML Root that only says where to go next (a single Redirect link): the answer over plain HTTP.
std::string xml_root_redirect(http::Site site, std::string_view href);
// XML User for a user served here: Self and the service tokens.
std::string xml_user(const Bases& b, std::string_view self_path);
// XML User for a user homed on another pool: a single Redirect link.
std::string xml_user_redirect(http::Site site, std::string_view href);
// XML Domain: the service tokens of this deployment.
std::string xml_domain(const Bases& b);

}  // namespace parley::discovery
