// RFC 2397 data URIs, as UCWA carries message text and SDP in links (UCWA.md §0, §5.4).
#include "proto/ucwa/message_content.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <cstdint>

namespace parley::proto::ucwa {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

bool is_token_char(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char); }

bool is_media_type(std::string_view s) {
  const auto slash = s.find('/');
  return slash != std::string_view::npos && is_token(s.substr(0, slash)) && is_token(s.substr(slash + 1));
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Feeds characters in, bytes come out; padding optional, white space ignored.
class Base64Decoder {
 public:
  bool feed(char c, std::string& out) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return true;
    if (c == '=') {
      if (chars_ % 4 < 2 || ++pads_ > 2) return false;
      return true;
    }
    if (pads_ > 0) return false;
    const int v = base64_value(c);
    if (v < 0) return false;
    bits_ = ((bits_ << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFFF;
    count_ += 6;
    ++chars_;
    if (count_ >= 8) {
      count_ -= 8;
      out.push_back(static_cast<char>((bits_ >> count_) & 0xFF));
    }
    return true;
  }
  bool finish() const {
    const auto rest = chars_ % 4;
    if (rest == 1) return false;
    return pads_ == 0 || rest + static_cast<std::size_t>(pads_) == 4;
  }

 private:
  std::uint32_t bits_ = 0;
  int count_ = 0;
  std::size_t chars_ = 0;
  int pads_ = 0;
};

}  // namespace

std::string make_data_uri(std::string_view media_type, std::string_view text) {
  std::string out;
  append_data_uri(out, media_type, text);
  return out;
}

void append_data_uri(std::string& out, std::string_view media_type, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.reserve(out.size() + 5 + media_type.size() + 1 + text.size() * 3);
  out += "data:";
  out += media_type;
  out += ',';
  for (char c : text) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0F]);
    }
  }
}

std::optional<DataUri> parse_data_uri(std::string_view uri, std::size_t max_bytes) {
  if (uri.size() < 5 || !iequals(uri.substr(0, 5), "data:")) return std::nullopt;
  uri.remove_prefix(5);
  const auto comma = uri.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view header = uri.substr(0, comma);
  const std::string_view payload = uri.substr(comma + 1);

  DataUri result;
  bool base64 = false;
  for (bool first = true;; first = false) {
    const auto semi = header.find(';');
    const auto part = trim(header.substr(0, semi));
    if (first) {
      if (!part.empty()) {
        if (!is_media_type(part)) return std::nullopt;
        result.media_type = lower(part);
      }
    } else if (iequals(part, "base64")) {
      if (semi != std::string_view::npos) return std::nullopt;  // RFC 2397: base64 comes last
      base64 = true;
    } else {
      const auto eq = part.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      const auto name = trim(part.substr(0, eq));
      auto value = trim(part.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      if (!is_token(name) || !is_token(value)) return std::nullopt;
      if (iequals(name, "charset")) result.charset = lower(value);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  if (result.media_type.empty()) result.media_type = "text/plain";

  std::string& data = result.data;
  data.reserve(std::min(payload.size(), max_bytes));
  Base64Decoder decoder;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    char c = payload[i];
    bool escaped = false;
    if (c == '%') {
      if (i + 2 >= payload.size()) return std::nullopt;
      const int hi = hex_value(payload[i + 1]);
      const int lo = hex_value(payload[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      escaped = true;
      i += 2;
    }
    if (base64) {
      if (!decoder.feed(c, data)) return std::nullopt;
    } else {
      data.push_back(c == '+' && !escaped ? ' ' : c);
    }
    if (data.size() > max_bytes) return std::nullopt;
  }
  if (base64 && !decoder.finish()) return std::nullopt;
  return result;
}

}  // namespace parley::proto::ucwa
