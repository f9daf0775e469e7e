#include "api/batch.hpp"

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "http/wire.hpp"

#include <charconv>
#include <optional>

namespace parley::api {
namespace {

// Header lines and header counts inside a batch are bounded like those of a real request, so a
// batch cannot smuggle in what the front door would have refused.
constexpr std::size_t kMaxLine = 8192;
constexpr std::size_t kMaxHeaders = 100;
constexpr std::size_t kMaxBoundary = 70;  // RFC 2046

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view media_type_of(std::string_view content_type) {
  return trim_ws(content_type.substr(0, content_type.find(';')));
}

std::string part_label(std::size_t index) {
  return "batch part " + std::to_string(index + 1);
}

// Reads the line starting at `pos` (without its CRLF or LF) and moves `pos` past it. At the end
// of `text` without a line break, returns the rest and leaves `pos` at the end.
std::string_view next_line(std::string_view text, std::size_t& pos, std::size_t index) {
  const std::size_t nl = text.find('\n', pos);
  const std::size_t stop = nl == std::string_view::npos ? text.size() : nl;
  std::string_view line = text.substr(pos, stop - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxLine)
    throw EntityTooLarge(part_label(index) + " has a header line longer than " +
                         std::to_string(kMaxLine) + " bytes");
  pos = nl == std::string_view::npos ? text.size() : nl + 1;
  return line;
}

bool looks_like_header(std::string_view line) {
  const auto colon = line.find(':');
  return colon != std::string_view::npos && is_token(line.substr(0, colon));
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Header lines from `pos` up to a blank line or the end of `text`.
HeaderList read_headers(std::string_view text, std::size_t& pos, std::size_t index) {
  HeaderList headers;
  while (pos < text.size()) {
    const std::string_view line = next_line(text, pos, index);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t')
      throw BadRequest(part_label(index) + " uses a folded header line, which is not supported");
    if (!looks_like_header(line))
      throw BadRequest(part_label(index) + " has a malformed header line");
    if (headers.size() == kMaxHeaders)
      throw EntityTooLarge(part_label(index) + " has more than " + std::to_string(kMaxHeaders) +
                           " headers");
    const auto colon = line.find(':');
    headers.emplace_back(std::string(line.substr(0, colon)),
                         std::string(trim_ws(line.substr(colon + 1))));
  }
  return headers;
}

std::string_view find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool has_header(const HeaderList& headers, std::string_view name) {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return true;
  return false;
}

// An embedded HTTP message: its first line, its headers and its body.
struct Message {
  std::string_view first_line;
  HeaderList headers;
  std::string body;
};

Message parse_part(std::string_view part, std::size_t index) {
  std::size_t pos = 0;
  // The part's own MIME headers. Some writers leave them out entirely and start with the
  // request line; that is recognisable, because a request line is not a header.
  {
    std::size_t peek = 0;
    const std::string_view first = next_line(part, peek, index);
    if (first.empty()) {
      pos = peek;
    } else if (looks_like_header(first)) {
      const HeaderList mime = read_headers(part, pos, index);
      const std::string_view type = find_header(mime, "Content-Type");
      if (has_header(mime, "Content-Type") && !iequals(media_type_of(type), "application/http"))
        throw BadRequest(part_label(index) + " is " + std::string(media_type_of(type)) +
                         ", not application/http");
    }
  }
  while (pos < part.size()) {  // tolerate blank lines before the embedded message
    std::size_t peek = pos;
    if (!next_line(part, peek, index).empty()) break;
    pos = peek;
  }
  if (pos >= part.size()) throw BadRequest(part_label(index) + " holds no HTTP message");

  Message m;
  m.first_line = next_line(part, pos, index);
  m.headers = read_headers(part, pos, index);
  if (has_header(m.headers, "Transfer-Encoding"))
    throw BadRequest(part_label(index) + ": Transfer-Encoding is not supported inside a batch");
  const std::string_view rest = part.substr(pos);
  if (has_header(m.headers, "Content-Length")) {
    const std::string_view text = find_header(m.headers, "Content-Length");
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      throw BadRequest(part_label(index) + " has an invalid Content-Length");
    if (length > rest.size())
      throw BadRequest(part_label(index) + " is shorter than its Content-Length");
    m.body.assign(rest.substr(0, length));
  } else {
    m.body.assign(rest);
  }
  return m;
}

// The embedded bodies of a multipart body, without preamble and epilogue.
std::vector<std::string_view> split_parts(std::string_view body, std::string_view boundary,
                                          std::size_t max_parts) {
  const std::string dash = "--" + std::string(boundary);
  struct Delimiter {
    std::size_t at;          // where "--boundary" starts
    std::size_t content;     // where the next part starts (past the line break)
    bool close;
  };
  // A delimiter is "--boundary" at the start of a line, followed by "--" (the close delimiter)
  // or optional white space and a line break.
  const auto find_delimiter = [&](std::size_t from) -> std::optional<Delimiter> {
    for (std::size_t p = body.find(dash, from); p != std::string_view::npos;
         p = body.find(dash, p + 1)) {
      if (p != 0 && body[p - 1] != '\n') continue;
      std::size_t q = p + dash.size();
      if (body.substr(q, 2) == "--") return Delimiter{p, body.size(), true};
      while (q < body.size() && (body[q] == ' ' || body[q] == '\t')) ++q;
      if (q == body.size())
        throw BadRequest("the batch body ends without its closing boundary");
      if (body[q] == '\n') return Delimiter{p, q + 1, false};
      if (body[q] == '\r' && q + 1 < body.size() && body[q + 1] == '\n')
        return Delimiter{p, q + 2, false};
      // Anything else means the boundary was only the start of a longer word: not ours.
    }
    return std::nullopt;
  };

  auto current = find_delimiter(0);
  if (!current) throw BadRequest("the batch body holds no part delimited by its boundary");
  std::vector<std::string_view> parts;
  while (!current->close) {
    const std::size_t start = current->content;
    const auto next = find_delimiter(start);
    if (!next) throw BadRequest("the batch body ends without its closing boundary");
    // The line break before a delimiter belongs to the delimiter, not to the part.
    std::size_t end = next->at;
    if (end > start && body[end - 1] == '\n') {
      --end;
      if (end > start && body[end - 1] == '\r') --end;
    }
    if (parts.size() == max_parts)
      throw BadRequest("a batch may hold at most " + std::to_string(max_parts) + " requests");
    parts.push_back(body.substr(start, end - start));
    current = next;
  }
  return parts;
}

std::vector<std::string_view> checked_parts(std::string_view content_type, std::string_view body,
                                            std::size_t max_parts) {
  if (!is_batch_media_type(content_type))
    throw BadRequest("a batch must be sent as multipart/batching, not '" +
                     std::string(media_type_of(content_type)) + "'");
  const std::string boundary = boundary_of(content_type);
  if (boundary.empty()) throw BadRequest("the batch Content-Type has no boundary parameter");
  return split_parts(body, boundary, max_parts);
}

}  // namespace

bool is_batch_media_type(std::string_view content_type) {
  const std::string_view type = media_type_of(content_type);
  return iequals(type, "multipart/batching") || iequals(type, "multipart/mixed");
}

std::string boundary_of(std::string_view content_type) {
  std::size_t pos = content_type.find(';');
  while (pos != std::string_view::npos && pos < content_type.size()) {
    ++pos;  // past ';'
    // The parameter name.
    const std::size_t eq = content_type.find('=', pos);
    if (eq == std::string_view::npos) break;
    const std::string_view name = trim_ws(content_type.substr(pos, eq - pos));
    std::size_t q = eq + 1;
    while (q < content_type.size() && (content_type[q] == ' ' || content_type[q] == '\t')) ++q;
    std::string value;
    if (q < content_type.size() && content_type[q] == '"') {
      ++q;
      bool closed = false;
      for (; q < content_type.size(); ++q) {
        const char c = content_type[q];
        if (c == '\\' && q + 1 < content_type.size()) {
          value += content_type[++q];
        } else if (c == '"') {
          closed = true;
          ++q;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) throw BadRequest("the batch Content-Type has an unterminated quoted parameter");
      pos = content_type.find(';', q);
    } else {
      const std::size_t semi = content_type.find(';', q);
      value = std::string(trim_ws(content_type.substr(q, semi == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : semi - q)));
      pos = semi;
    }
    if (iequals(name, "boundary")) {
      if (value.empty()) return {};
      if (value.size() > kMaxBoundary)
        throw BadRequest("the batch boundary is longer than " + std::to_string(kMaxBoundary) +
                         " characters");
      for (char c : value)
        if (c < 0x20 || c > 0x7e) throw BadRequest("the batch boundary holds a control character");
      if (value.back() == ' ') throw BadRequest("the batch boundary may not end with a space");
      return value;
    }
  }
  return {};
}

std::vector<EmbeddedRequest> parse_batch(std::string_view content_type, std::string_view body) {
  const auto parts = checked_parts(content_type, body, kMaxBatchParts);
  if (parts.empty()) throw BadRequest("the batch holds no request");
  std::vector<EmbeddedRequest> out;
  out.reserve(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Message m = parse_part(parts[i], i);
    // "METHOD SP target SP HTTP/1.x", nothing else.
    const std::string_view line = m.first_line;
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    const bool shaped = sp2 != std::string_view::npos && line.find(' ', sp2 + 1) == std::string_view::npos;
    if (!shaped || !is_token(line.substr(0, sp1)) || sp2 == sp1 + 1 ||
        !line.substr(sp2 + 1).starts_with("HTTP/1."))
      throw BadRequest(part_label(i) +
                       " has no request line (expected e.g. \"GET /ucwa/oauth/v1/applications/"
                       "{id}/me HTTP/1.1\")");
    EmbeddedRequest r;
    r.method = std::string(line.substr(0, sp1));
    r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    for (char c : r.target)
      if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
        throw BadRequest(part_label(i) + " has a control character in its request target");
    r.headers = std::move(m.headers);
    r.body = std::move(m.body);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<http::Response> parse_batch_responses(std::string_view content_type,
                                                  std::string_view body) {
  const auto parts = checked_parts(content_type, body, kMaxBatchParts);
  std::vector<http::Response> out;
  out.reserve(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Message m = parse_part(parts[i], i);
    // "HTTP/1.x SSS reason".
    const std::string_view line = m.first_line;
    int status = 0;
    const bool shaped = line.starts_with("HTTP/1.") && line.size() >= 12 && line[8] == ' ' &&
                        (line.size() == 12 || line[12] == ' ');
    if (shaped) {
      const auto digits = line.substr(9, 3);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + 3, status);
      if (ec != std::errc() || end != digits.data() + 3 || status < 100) status = 0;
    }
    if (status == 0) throw BadRequest(part_label(i) + " has no status line");
    http::Response r;
    r.status = status;
    for (auto& [k, v] : m.headers) r.headers.add(std::move(k), std::move(v));
    r.body = std::move(m.body);
    out.push_back(std::move(r));
  }
  return out;
}

std::string serialize_batch(const std::vector<http::Response>& responses, std::string_view boundary) {
  std::string out;
  for (const auto& r : responses) {
    out += "--";
    out += boundary;
    out += "\r\nContent-Type: application/http; msgtype=response\r\n\r\n";
    out += http::serialize_response(r, false, true);
    out += "\r\n";
  }
  out += "--";
  out += boundary;
  out += "--\r\n";
  return out;
}

std::string new_batch_boundary() {
  return "batch_" + random_token(18);
}

}  // namespace parley::api
