#pragma once
// What a discovery request asks for, read from its headers and query string: the answer's format
// (JSON for UCWA clients, the MS-OCDISCWS XML for Lync desktop and Store clients) and the SIP
// domain it is about. Pure functions over strings, so that hostile input can be tested and
// fuzzed without a server.

#include "common/text.hpp"  // is_dns_name, used with the functions below
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::discovery {

enum class Format { json, xml };

// "application/json; charset=utf-8" or "application/xml; charset=utf-8".
std::string_view content_type(Format f);

// The format an Accept header names by an exact media type (application/json,
// application/vnd.microsoft.com.ucwa+json; application/xml, text/xml,
// application/vnd.microsoft.com.ucwa+xml), the highest q-value winning and the earlier entry
// winning a tie. nullopt when the header is absent, lists only wildcards or other types, refuses
// everything it names, or is too long or malformed to be worth reading.
std::optional<Format> explicit_format(std::string_view accept);

// The answer's format: what Accept names explicitly; otherwise XML when the request carries an
// XML-protocol sign (a `sipuri` parameter or an X-Ms-WebTicket header), JSON for everything else.
Format choose_format(std::string_view accept, bool xml_protocol_hint);

// The decoded value of the first query parameter whose name equals `name` case-insensitively.
// Throws parley::BadRequest for a query string that cannot be parsed.
std::optional<std::string> find_query_param(std::string_view query, std::string_view name);

// The lower-case domain of "sip:user@domain" or "user@domain", or nullopt when the value is not
// of that form (empty user part, no or several '@', control characters, an invalid DNS name, or
// longer than 256 bytes).
std::optional<std::string> domain_of_sip_uri(std::string_view sip_uri);


// The domain a discovery request is about, from `originalDomain` and/or `sipuri`.
struct DomainRequest {
  std::string domain;    // lower-case, one of the served domains
  std::string sip_uri;   // the sipuri parameter as given (empty when absent)
  bool explicit_domain = false;  // false: neither parameter was given and the first domain is used
  // The query string the links of the answer carry: "sipuri=..." when a sipuri was given, else
  // "originalDomain=<domain>" (percent-encoded where needed).
  std::string link_query() const;
};

// Reads originalDomain and sipuri from `query` and checks them against `served` (lower-case,
// not empty). Neither present: the first served domain. Throws parley::ParameterValidationFailure
// for a malformed value and parley::NotFound for a domain Parley does not serve.
DomainRequest resolve_domain(std::string_view query, const std::vector<std::string>& served);

// Percent-encodes `value` for a query string, keeping unreserved characters and ':' '@'.
std::string encode_query_value(std::string_view value);

}  // namespace parley::discovery
