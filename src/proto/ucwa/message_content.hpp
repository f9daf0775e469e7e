#pragma once
// The content of instant messages (UCWA.md §0 "Non-UCWA content", §5.4): RFC 2397 data URIs as
// UCWA carries message text in links, and the safe subset of HTML that Parley lets through.
// Codecs only: no I/O, never throw.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::proto::ucwa {

// "data:text/plain;charset=utf-8,Hi+there%0D%0A" — the text percent-encoded (space as '+',
// as UCWA's samples show), media type as given.
std::string make_data_uri(std::string_view media_type, std::string_view text);
// The same, appended to `out`. The text comes out percent-encoded, so it never needs escaping
// inside a JSON string; the media type is written as given.
void append_data_uri(std::string& out, std::string_view media_type, std::string_view text);

struct DataUri {
  std::string media_type;  // lower-case, e.g. "text/plain"; "text/plain" when omitted
  std::string charset;     // lower-case; empty when not given
  std::string data;        // decoded bytes
};
// Parses "data:[<media type>][;charset=x][;base64],<data>" (RFC 2397), percent-decoding (and
// '+' as space) or base64-decoding the data. nullopt when malformed or when the decoded data
// would exceed `max_bytes`.
std::optional<DataUri> parse_data_uri(std::string_view uri, std::size_t max_bytes);

// HTML reduced to a safe subset before anyone receives or stores it:
// - kept elements: b strong i em u s strike br p div span font ul ol li blockquote pre code
//   a h1-h6 (everything else is dropped; the text inside kept, except for script, style,
//   iframe, object, embed, svg, math, template, noscript, title, textarea, select whose
//   content goes too);
// - kept attributes: a@href (http, https, mailto only; case- and entity-insensitive scheme
//   check), font@color/face/size, span/div/p@dir; every other attribute (on*, style, src, ...)
//   is dropped; values are re-quoted and escaped;
// - comments, doctype, CDATA and processing instructions are dropped; text is re-escaped (& < >);
// - the output is well-formed: every kept element is closed, in order.
// Output is at most `max_bytes` (a cut never splits a tag or a UTF-8 sequence).
std::string sanitize_html(std::string_view html, std::size_t max_bytes);

// The visible text of (sanitized or not) HTML: tags dropped, <br>/<p>/<div>/<li> as line breaks,
// entities decoded; for previews and plain-only readers.
std::string html_to_text(std::string_view html);

}  // namespace parley::proto::ucwa
