#include "discovery/documents.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <utility>

namespace parley::discovery {
namespace {

std::string join(std::string_view base, std::string_view path, std::string_view query = {}) {
  std::string url;
  url.reserve(base.size() + path.size() + query.size() + 1);
  url.append(base).append(path);
  if (!query.empty()) url.append("?").append(query);
  return url;
}

using Link = std::pair<std::string_view, std::string>;

std::string json_links(std::initializer_list<Link> links) {
  boost::json::object rels;
  for (const auto& [rel, href] : links) rels[rel] = boost::json::object{{"href", href}};
  return boost::json::serialize(boost::json::object{{"_links", std::move(rels)}});
}

// An AutodiscoverResponse whose single child element (`Root`, `User` or `Domain`) holds links.
class XmlResponse {
public:
  XmlResponse(http::Site site, std::string_view element) : element_(element) {
    out_ =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<AutodiscoverResponse xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" AccessLocation=\"";
    out_.append(access_location(site)).append("\">\n  <").append(element_).append(">\n");
  }
  XmlResponse& link(std::string_view token, std::string_view href) {
    out_.append("    <Link token=\"").append(xml_escape(token)).append("\" href=\"");
    out_.append(xml_escape(href)).append("\"/>\n");
    return *this;
  }
  // The links to this deployment's services (MS-OCDISCWS 2.2.5.5). Mobility entry points (Ucwa,
  // XFrame, Internal/Mcx) use the exposed base: Microsoft's topology rule sends even internal
  // clients to the external web FQDN unless ExposedWebURL says Internal.
  XmlResponse& services(const Bases& b) {
    link("Ucwa", join(b.exposed, kUcwaPath));
    link("Internal/Ucwa", join(b.internal, kUcwaPath));
    link("External/Ucwa", join(b.external, kUcwaPath));
    link("Internal/Autodiscover", join(b.internal, kRootPath));
    link("External/Autodiscover", join(b.external, kRootPath));
    link("Internal/AuthBroker", join(b.internal, kAuthBrokerPath));
    link("External/AuthBroker", join(b.external, kAuthBrokerPath));
    link("Internal/WebScheduler", join(b.internal, kSchedulerPath));
    link("External/WebScheduler", join(b.external, kSchedulerPath));
    link("Internal/Mcx", join(b.exposed, kMcxPath));
    link("External/Mcx", join(b.external, kMcxPath));
    link("XFrame", join(b.exposed, kXFramePath));
    link("Internal/XFrame", join(b.internal, kXFramePath));
    link("External/XFrame", join(b.external, kXFramePath));
    return *this;
  }
  std::string finish() {
    out_.append("  </").append(element_).append(">\n</AutodiscoverResponse>\n");
    return std::move(out_);
  }

private:
  std::string_view element_;
  std::string out_;
};

}  // namespace

Bases choose_bases(http::Site site, bool expose_internal, std::string_view internal_base,
                   std::string_view external_base) {
  Bases b;
  b.site = site;
  b.internal = std::string(internal_base.empty() ? external_base : internal_base);
  b.external = std::string(external_base.empty() ? internal_base : external_base);
  b.arrived = site == http::Site::internal ? b.internal : b.external;
  b.exposed = expose_internal ? b.internal : b.external;
  return b;
}

std::string_view access_location(http::Site site) {
  return site == http::Site::internal ? "Internal" : "External";
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no way to carry C0 controls
        else
          out += c;
    }
  }
  return out;
}

std::string json_root(const Bases& b, std::string_view link_query) {
  return json_links({{"self", join(b.arrived, kRootPath, link_query)},
                     {"user", join(b.exposed, kOAuthUserPath, link_query)},
                     {"xframe", join(b.exposed, kXFramePath)}});
}

std::string json_user(const Bases& b, std::string_view self_path) {
  return json_links({{"self", join(b.arrived, self_path)},
                     {"applications", join(b.exposed, kUcwaOAuthPath)},
                     {"xframe", join(b.exposed, kXFramePath)}});
}

std::string json_user_redirect(const Bases& b, std::string_view self_path, std::string_view redirect_href) {
  return json_links({{"self", join(b.arrived, self_path)},
                     {"redirect", std::string(redirect_href)},
                     {"xframe", join(b.exposed, kXFramePath)}});
}

std::string xml_root(const Bases& b, std::string_view link_query) {
  return XmlResponse(b.site, "Root")
      .link("Self", join(b.arrived, kRootPath, link_query))
      .link("User", join(b.exposed, kUserPath, link_query))
      .link("OAuth", join(b.exposed, kOAuthUserPath, link_query))
      .link("Domain", join(b.arrived, kDomainPath))
      .services(b)
      .finish();
}

std::string xml_root_redirect(http::Site site, std::string_view href) {
  return XmlResponse(site, "Root").link("Redirect", href).finish();
}

std::string xml_user(const Bases& b, std::string_view self_path) {
  return XmlResponse(b.site, "User").link("Self", join(b.arrived, self_path)).services(b).finish();
}

std::string xml_user_redirect(http::Site site, std::string_view href) {
  return XmlResponse(site, "User").link("Redirect", href).finish();
}

std::string xml_domain(const Bases& b) {
  return XmlResponse(b.site, "Domain").link("Self", join(b.arrived, kDomainPath)).services(b).finish();
}

}  // namespace parley::discovery
