#include "discovery/negotiation.hpp"

#include "common/error.hpp"
#include "common/text.hpp"
#include "http/target.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace parley::discovery {
namespace {

// An Accept header longer than this, or with more entries, is not read at all: no real client
// sends one, and reading it would only cost time (the JSON default applies).
constexpr std::size_t kMaxAcceptBytes = 2048;
constexpr std::size_t kMaxAcceptEntries = 32;
constexpr std::size_t kMaxSipUriBytes = 256;
constexpr std::size_t kMaxQueryBytes = 4096;

constexpr std::array kJsonTypes = {std::string_view("application/json"),
                                   std::string_view("application/vnd.microsoft.com.ucwa+json"),
                                   std::string_view("application/vnd.microsoft.ucwa+json")};
constexpr std::array kXmlTypes = {std::string_view("application/xml"), std::string_view("text/xml"),
                                  std::string_view("application/vnd.microsoft.com.ucwa+xml"),
                                  std::string_view("application/vnd.microsoft.ucwa+xml")};



// q-value in thousandths (RFC 9110 §12.4.2: "0" / "1" with up to three decimals); nullopt when
// malformed.
std::optional<int> parse_qvalue(std::string_view v) {
  if (v.empty() || v.size() > 5) return std::nullopt;
  if (v[0] != '0' && v[0] != '1') return std::nullopt;
  int whole = v[0] - '0';
  int thousandths = 0;
  if (v.size() > 1) {
    if (v[1] != '.') return std::nullopt;
    int scale = 100;
    for (std::size_t i = 2; i < v.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(v[i]))) return std::nullopt;
      thousandths += (v[i] - '0') * scale;
      scale /= 10;
    }
  }
  const int q = whole * 1000 + thousandths;
  return q > 1000 ? std::nullopt : std::optional<int>(q);
}

// One media range of an Accept header: its type and its q-value, or nullopt when it is garbage.
struct MediaRange {
  std::string_view type;
  int q = 1000;
};

std::optional<MediaRange> parse_media_range(std::string_view entry) {
  MediaRange r;
  const auto semi = entry.find(';');
  r.type = trim(entry.substr(0, semi));
  if (r.type.empty() || r.type.find('/') == std::string_view::npos) return std::nullopt;
  std::string_view params = semi == std::string_view::npos ? std::string_view() : entry.substr(semi + 1);
  while (!params.empty()) {
    const auto next = params.find(';');
    const auto param = trim(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (iequals(trim(param.substr(0, eq)), "q")) {
      auto q = parse_qvalue(trim(param.substr(eq + 1)));
      if (!q) return std::nullopt;
      r.q = *q;
    }
  }
  return r;
}

bool is_one_of(std::string_view type, const auto& list) {
  return std::any_of(list.begin(), list.end(), [&](std::string_view t) { return iequals(t, type); });
}

bool is_unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}


}  // namespace

std::string_view content_type(Format f) {
  return f == Format::json ? "application/json; charset=utf-8" : "application/xml; charset=utf-8";
}

std::optional<Format> explicit_format(std::string_view accept) {
  if (accept.size() > kMaxAcceptBytes) return std::nullopt;
  std::optional<Format> best;
  int best_q = 0;
  std::size_t entries = 0;
  while (!accept.empty()) {
    if (++entries > kMaxAcceptEntries) return std::nullopt;
    const auto comma = accept.find(',');
    const auto entry = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    auto range = parse_media_range(entry);
    if (!range) continue;
    std::optional<Format> f;
    if (is_one_of(range->type, kJsonTypes)) f = Format::json;
    else if (is_one_of(range->type, kXmlTypes)) f = Format::xml;
    // Strictly greater: on equal q-values the entry listed first keeps its place.
    if (f && range->q > best_q) {
      best = f;
      best_q = range->q;
    }
  }
  return best;
}

Format choose_format(std::string_view accept, bool xml_protocol_hint) {
  if (auto f = explicit_format(accept)) return *f;
  return xml_protocol_hint ? Format::xml : Format::json;
}

std::optional<std::string> find_query_param(std::string_view query, std::string_view name) {
  if (query.empty()) return std::nullopt;
  if (query.size() > kMaxQueryBytes) throw BadRequest("the query string is too long");
  for (auto& [key, value] : http::parse_query(query))
    if (iequals(key, name)) return std::move(value);
  return std::nullopt;
}

std::optional<std::string> domain_of_sip_uri(std::string_view sip_uri) {
  if (sip_uri.size() > kMaxSipUriBytes) return std::nullopt;
  if (sip_uri.size() >= 4 && iequals(sip_uri.substr(0, 4), "sip:")) sip_uri.remove_prefix(4);
  const auto at = sip_uri.find('@');
  if (at == 0 || at == std::string_view::npos || sip_uri.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  for (char c : sip_uri.substr(0, at))
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return std::nullopt;
  std::string domain = lower(sip_uri.substr(at + 1));
  if (!is_dns_name(domain)) return std::nullopt;
  return domain;
}

std::string encode_query_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (is_unreserved(c) || c == ':' || c == '@') {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
  return out;
}

std::string DomainRequest::link_query() const {
  if (!sip_uri.empty()) return "sipuri=" + encode_query_value(sip_uri);
  return "originalDomain=" + encode_query_value(domain);
}

DomainRequest resolve_domain(std::string_view query, const std::vector<std::string>& served) {
  DomainRequest out;
  auto check_served = [&served](const std::string& domain) {
    if (std::find(served.begin(), served.end(), domain) == served.end())
      throw NotFound("this server does not serve the domain " + domain);
  };
  // An empty value counts as absent: some clients send "originalDomain=" when they know none.
  auto original = find_query_param(query, "originalDomain");
  if (original && !original->empty()) {
    std::string domain = lower(*original);
    if (!is_dns_name(domain)) throw ParameterValidationFailure("originalDomain is not a domain name");
    check_served(domain);
    out.domain = std::move(domain);
    out.explicit_domain = true;
  }
  auto sip = find_query_param(query, "sipuri");
  if (sip && !sip->empty()) {
    auto domain = domain_of_sip_uri(*sip);
    if (!domain) throw ParameterValidationFailure("sipuri is not of the form sip:user@domain");
    check_served(*domain);
    out.domain = std::move(*domain);
    out.sip_uri = std::move(*sip);
    out.explicit_domain = true;
  }
  if (!out.explicit_domain) out.domain = served.empty() ? std::string() : served.front();
  return out;
}

}  // namespace parley::discovery
