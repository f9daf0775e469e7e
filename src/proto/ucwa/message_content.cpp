#include "proto/ucwa/message_content.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace parley::proto::ucwa {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
// HTML's ASCII white space (the characters that separate a tag's name and attributes).
bool is_html_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the well-formed UTF-8 sequence at the start of `s`, 0 when it is not one (stray
// continuation byte, overlong form, surrogate, beyond U+10FFFF, or cut short).
std::size_t utf8_sequence(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return 0;
  }
  return len;
}

// ---------------------------------------------------------------------------------------------
// Character references. Only a common subset of HTML's named references is known; any other
// name is left as text (and its '&' escaped) rather than guessed at.

struct NamedEntity {
  std::string_view name;
  std::string_view utf8;
};

constexpr std::array<NamedEntity, 62> kNamedEntities{{
    {"amp", "&"},          {"lt", "<"},           {"gt", ">"},           {"quot", "\""},
    {"apos", "'"},         {"nbsp", "\xC2\xA0"},  {"iexcl", "\xC2\xA1"}, {"cent", "\xC2\xA2"},
    {"pound", "\xC2\xA3"}, {"curren", "\xC2\xA4"}, {"yen", "\xC2\xA5"},  {"brvbar", "\xC2\xA6"},
    {"sect", "\xC2\xA7"},  {"uml", "\xC2\xA8"},   {"copy", "\xC2\xA9"},  {"ordf", "\xC2\xAA"},
    {"laquo", "\xC2\xAB"}, {"not", "\xC2\xAC"},   {"shy", "\xC2\xAD"},   {"reg", "\xC2\xAE"},
    {"macr", "\xC2\xAF"},  {"deg", "\xC2\xB0"},   {"plusmn", "\xC2\xB1"}, {"sup2", "\xC2\xB2"},
    {"sup3", "\xC2\xB3"},  {"acute", "\xC2\xB4"}, {"micro", "\xC2\xB5"}, {"para", "\xC2\xB6"},
    {"middot", "\xC2\xB7"}, {"cedil", "\xC2\xB8"}, {"sup1", "\xC2\xB9"}, {"ordm", "\xC2\xBA"},
    {"raquo", "\xC2\xBB"}, {"frac14", "\xC2\xBC"}, {"frac12", "\xC2\xBD"}, {"frac34", "\xC2\xBE"},
    {"iquest", "\xC2\xBF"}, {"times", "\xC3\x97"}, {"divide", "\xC3\xB7"}, {"szlig", "\xC3\x9F"},
    {"auml", "\xC3\xA4"},  {"ouml", "\xC3\xB6"},  {"uuml", "\xC3\xBC"},  {"Auml", "\xC3\x84"},
    {"Ouml", "\xC3\x96"},  {"Uuml", "\xC3\x9C"},  {"eacute", "\xC3\xA9"}, {"egrave", "\xC3\xA8"},
    {"aacute", "\xC3\xA1"}, {"agrave", "\xC3\xA0"}, {"ccedil", "\xC3\xA7"}, {"ntilde", "\xC3\xB1"},
    {"ndash", "\xE2\x80\x93"}, {"mdash", "\xE2\x80\x94"}, {"lsquo", "\xE2\x80\x98"},
    {"rsquo", "\xE2\x80\x99"}, {"ldquo", "\xE2\x80\x9C"}, {"rdquo", "\xE2\x80\x9D"},
    {"bull", "\xE2\x80\xA2"}, {"hellip", "\xE2\x80\xA6"}, {"euro", "\xE2\x82\xAC"},
    {"trade", "\xE2\x84\xA2"},
}};

struct Entity {
  std::size_t length = 0;      // bytes of the reference, '&' and ';' included
  std::string_view name;       // a named reference's name; empty for a numeric one
  std::string_view utf8;       // a named reference's expansion
  std::uint32_t code_point = 0;  // a numeric reference's value, U+FFFD when it is not a character
};

// The character reference at the start of `s` (which begins with '&'), if it is one we know.
// Numeric references are decoded with or without the ';', as browsers do, so that the scheme
// check sees what a browser would see.
std::optional<Entity> match_entity(std::string_view s) {
  Entity e;
  if (s.size() >= 3 && s[1] == '#') {
    const bool hex = s[2] == 'x' || s[2] == 'X';
    std::size_t i = hex ? 3 : 2;
    const std::size_t digits_start = i;
    std::uint32_t value = 0;
    for (; i < s.size(); ++i) {
      const int d = hex ? hex_value(s[i]) : (is_digit(s[i]) ? s[i] - '0' : -1);
      if (d < 0) break;
      value = std::min<std::uint32_t>(value * (hex ? 16 : 10) + static_cast<std::uint32_t>(d),
                                      0x110000);
    }
    if (i == digits_start) return std::nullopt;
    if (i < s.size() && s[i] == ';') ++i;
    const bool valid = value != 0 && value <= 0x10FFFF && !(value >= 0xD800 && value <= 0xDFFF);
    e.length = i;
    e.code_point = valid ? value : 0xFFFD;
    return e;
  }
  std::size_t i = 1;
  while (i < s.size() && i <= 33 && is_alnum(s[i])) ++i;
  if (i == 1 || i >= s.size() || s[i] != ';') return std::nullopt;
  const auto name = s.substr(1, i - 1);
  for (const auto& known : kNamedEntities) {
    if (known.name == name) {
      e.length = i + 1;
      e.name = known.name;
      e.utf8 = known.utf8;
      return e;
    }
  }
  return std::nullopt;
}

// Text with references decoded, NULs and invalid UTF-8 as U+FFFD: what a reader sees.
std::string decode_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '&') {
      if (const auto e = match_entity(s.substr(i))) {
        if (e->name.empty())
          append_utf8(out, e->code_point);
        else
          out += e->utf8;
        i += e->length;
        continue;
      }
    }
    if (c == '\0') {
      out += kReplacement;
      ++i;
      continue;
    }
    const auto len = utf8_sequence(s.substr(i));
    if (len == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer: a simplified HTML tokenizer. It need not agree with a browser's on every odd input,
// because the sanitizer never copies input markup: it writes its own, escaped, from the tokens.

enum class TokenKind { kText, kRawText, kStartTag, kEndTag, kIgnored, kEnd };

struct Attribute {
  std::string name;  // lower-case
  std::string_view value;  // as written, references not decoded
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;
  std::string name;  // lower-case
  std::vector<Attribute> attributes;
  bool self_closing = false;
};

constexpr std::size_t kMaxAttributes = 32;

// Elements whose content a browser does not parse as markup.
bool is_raw_text_element(std::string_view name) {
  static constexpr std::string_view kNames[] = {"script",  "style",    "textarea", "title",
                                                "xmp",     "iframe",   "noembed",  "noframes",
                                                "noscript", "plaintext"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view input) : in_(input) {}

  Token next() {
    Token t;
    const std::size_t n = in_.size();
    if (!raw_until_.empty()) {
      const auto end = raw_text_end();
      raw_until_.clear();
      if (end > pos_) {
        t.kind = TokenKind::kRawText;
        t.text = in_.substr(pos_, end - pos_);
        pos_ = end;
        return t;
      }
    }
    if (pos_ >= n) return t;
    if (in_[pos_] != '<') {
      const auto lt = std::min(in_.find('<', pos_), n);
      t.kind = TokenKind::kText;
      t.text = in_.substr(pos_, lt - pos_);
      pos_ = lt;
      return t;
    }
    const std::string_view rest = in_.substr(pos_);
    if (rest.size() >= 2 && is_alpha(rest[1])) return tag(TokenKind::kStartTag, pos_ + 1);
    if (rest.size() >= 3 && rest[1] == '/' && is_alpha(rest[2])) return tag(TokenKind::kEndTag, pos_ + 2);
    if (rest.substr(0, 3) == "</>") return skip_to(pos_ + 3);
    if (rest.substr(0, 4) == "<!--") return comment();
    if (rest.substr(0, 9) == "<![CDATA[") {
      const auto end = in_.find("]]>", pos_ + 9);
      return skip_to(end == std::string_view::npos ? n : end + 3);
    }
    if (rest.size() >= 3 && (rest[1] == '!' || rest[1] == '?' || rest[1] == '/')) {
      // Doctype, processing instruction or a malformed end tag: all end at the next '>'.
      const auto gt = in_.find('>', pos_ + 2);
      return skip_to(gt == std::string_view::npos ? n : gt + 1);
    }
    t.kind = TokenKind::kText;  // a '<' that starts nothing is text
    t.text = rest.substr(0, 1);
    ++pos_;
    return t;
  }

 private:
  Token skip_to(std::size_t end) {
    Token t;
    t.kind = TokenKind::kIgnored;
    pos_ = end;
    return t;
  }

  Token comment() {
    const std::size_t n = in_.size();
    std::size_t p = pos_ + 4;
    // "<!-->" and "<!--->" are complete (empty) comments.
    if (in_.substr(p, 1) == ">") return skip_to(p + 1);
    if (in_.substr(p, 2) == "->") return skip_to(p + 2);
    for (;;) {
      const auto dashes = in_.find("--", p);
      if (dashes == std::string_view::npos) return skip_to(n);
      if (in_.substr(dashes + 2, 1) == ">") return skip_to(dashes + 3);
      if (in_.substr(dashes + 2, 2) == "!>") return skip_to(dashes + 4);
      p = dashes + 1;
    }
  }

  // A start or end tag whose name begins at `p`. A tag cut off by the end of the input is
  // dropped whole, as a browser drops it.
  Token tag(TokenKind kind, std::size_t p) {
    const std::size_t n = in_.size();
    Token t;
    const std::size_t name_start = p;
    while (p < n && !is_html_space(in_[p]) && in_[p] != '/' && in_[p] != '>') ++p;
    t.name = lower(in_.substr(name_start, p - name_start));
    if (!attributes(p, t)) return skip_to(n);
    pos_ = p;
    t.kind = kind;
    if (kind == TokenKind::kStartTag && is_raw_text_element(t.name)) raw_until_ = t.name;
    return t;
  }

  bool attributes(std::size_t& p, Token& t) {
    const std::size_t n = in_.size();
    for (;;) {
      while (p < n && (is_html_space(in_[p]) || in_[p] == '/')) {
        if (in_[p] == '/' && p + 1 < n && in_[p + 1] == '>') t.self_closing = true;
        ++p;
      }
      if (p >= n) return false;
      if (in_[p] == '>') {
        ++p;
        return true;
      }
      const std::size_t name_start = p++;  // the first character may even be '='
      while (p < n && !is_html_space(in_[p]) && in_[p] != '/' && in_[p] != '>' && in_[p] != '=') ++p;
      Attribute a{lower(in_.substr(name_start, p - name_start)), {}};
      std::size_t q = p;
      while (q < n && is_html_space(in_[q])) ++q;
      if (q < n && in_[q] == '=') {
        p = q + 1;
        while (p < n && is_html_space(in_[p])) ++p;
        if (p >= n) return false;
        const char quote = in_[p];
        if (quote == '"' || quote == '\'') {
          const auto close = in_.find(quote, p + 1);
          if (close == std::string_view::npos) return false;
          a.value = in_.substr(p + 1, close - p - 1);
          p = close + 1;
        } else {
          const std::size_t value_start = p;
          while (p < n && !is_html_space(in_[p]) && in_[p] != '>') ++p;
          a.value = in_.substr(value_start, p - value_start);
        }
      }
      if (t.attributes.size() < kMaxAttributes) t.attributes.push_back(std::move(a));
    }
  }

  // Where the raw text of `raw_until_` ends: at "</name" followed by a separator, else at the
  // end of the input.
  std::size_t raw_text_end() const {
    const std::size_t n = in_.size();
    if (raw_until_ == "plaintext") return n;
    for (std::size_t p = pos_;;) {
      const auto lt = in_.find("</", p);
      if (lt == std::string_view::npos) return n;
      const std::size_t after = lt + 2 + raw_until_.size();
      if (after < n && iequals(in_.substr(lt + 2, raw_until_.size()), raw_until_) &&
          (is_html_space(in_[after]) || in_[after] == '/' || in_[after] == '>'))
        return lt;
      p = lt + 2;
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::string raw_until_;
};

// ---------------------------------------------------------------------------------------------
// The allowlist.

constexpr std::string_view kKeptElements[] = {
    "b",  "strong", "i",  "em", "u",    "s",          "strike", "br", "p",  "div", "span", "font",
    "ul", "ol",     "li", "a",  "code", "blockquote", "pre",    "h1", "h2", "h3",  "h4",   "h5",
    "h6"};

std::optional<std::string_view> kept_element(std::string_view name) {
  const auto it = std::find(std::begin(kKeptElements), std::end(kKeptElements), name);
  if (it == std::end(kKeptElements)) return std::nullopt;
  return *it;
}

// Elements dropped together with everything inside them.
bool drops_content(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "script", "style",    "iframe", "object",   "svg",     "math",    "template",
      "noscript", "title",  "textarea", "select", "noembed", "noframes"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

constexpr std::size_t kMaxAttributeValue = 2048;

// The URL a browser would follow, if its scheme is one we allow. Browsers strip leading and
// trailing C0 controls and spaces and remove tabs and line breaks anywhere, so "java\tscript:"
// is javascript: to them; the check runs on that normalized form and the normalized form is
// what is written, so the browser follows exactly what was checked.
std::optional<std::string> safe_href(std::string_view decoded) {
  std::string url;
  for (char c : decoded)
    if (c != '\t' && c != '\n' && c != '\r') url.push_back(c);
  const auto is_c0_or_space = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  while (!url.empty() && is_c0_or_space(url.back())) url.pop_back();
  const auto first = std::find_if_not(url.begin(), url.end(), is_c0_or_space);
  url.erase(url.begin(), first);
  for (char c : url)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return std::nullopt;
  const auto colon = url.find(':');
  if (colon == std::string::npos || url.find_first_of("/?#") < colon) return std::nullopt;
  const auto scheme = lower(std::string_view(url).substr(0, colon));
  if (scheme != "http" && scheme != "https" && scheme != "mailto") return std::nullopt;
  return url;
}

std::optional<std::string> safe_attribute(std::string_view element, std::string_view name,
                                          std::string_view raw_value) {
  if (raw_value.size() > kMaxAttributeValue) return std::nullopt;
  const bool font = element == "font";
  const bool directional = element == "span" || element == "div" || element == "p";
  if (element == "a" && name == "href") return safe_href(decode_text(raw_value));
  if (!(font && (name == "color" || name == "face" || name == "size")) && !(directional && name == "dir"))
    return std::nullopt;
  auto value = decode_text(raw_value);
  if (name == "dir") {
    value = lower(value);
    if (value == "ltr" || value == "rtl" || value == "auto") return value;
    return std::nullopt;
  }
  if (name == "size") {
    const std::string_view digits = std::string_view(value).substr(
        !value.empty() && (value[0] == '+' || value[0] == '-') ? 1 : 0);
    if (digits.empty() || digits.size() > 2 || !std::all_of(digits.begin(), digits.end(), is_digit))
      return std::nullopt;
    return value;
  }
  if (name == "color") {
    if (value.empty() || value.size() > 64) return std::nullopt;
    for (char c : value)
      if (!is_alnum(c) && std::string_view("#(),.% ").find(c) == std::string_view::npos)
        return std::nullopt;
    return value;
  }
  // face: a list of font names, any script; escaping makes every character inert.
  if (value.empty() || value.size() > 256) return std::nullopt;
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return std::nullopt;
  return value;
}

void append_escaped_attribute(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
}

std::string safe_attributes(std::string_view element, const std::vector<Attribute>& attributes) {
  std::string out;
  std::vector<std::string_view> seen;
  for (const auto& a : attributes) {
    // A repeated attribute: browsers keep the first, and so do we.
    if (std::find(seen.begin(), seen.end(), a.name) != seen.end()) continue;
    seen.push_back(a.name);
    if (const auto value = safe_attribute(element, a.name, a.value)) {
      out += ' ';
      out += a.name;
      out += "=\"";
      append_escaped_attribute(out, *value);
      out += '"';
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The writer: keeps the open kept elements and reserves room for their end tags, so that
// whatever the limit, the output closes everything it opened.

constexpr std::size_t kMaxDepth = 64;

class SafeWriter {
 public:
  explicit SafeWriter(std::size_t max_bytes) : max_(max_bytes) {}

  bool full() const { return full_; }

  void open(std::string_view name, std::string_view attributes) {
    // "<li>a<li>b" and "<p>a<p>b" are siblings to a browser, not nested: close the first.
    if ((name == "li" || name == "p") && !open_.empty() && open_.back() == name) pop();
    if (open_.size() >= kMaxDepth) return;
    const std::size_t length = name.size() + attributes.size() + 2;
    const std::size_t closing = name.size() + 3;
    if (!fits(length + closing)) return;
    out_ += '<';
    out_ += name;
    out_ += attributes;
    out_ += '>';
    open_.push_back(name);
    closing_ += closing;
  }

  void line_break() {
    if (fits(4)) out_ += "<br>";
  }

  // Closes `name` and whatever is still open inside it; an end tag for something not open is
  // ignored.
  void close(std::string_view name) {
    const auto it = std::find(open_.rbegin(), open_.rend(), name);
    if (it == open_.rend()) return;
    const auto count = static_cast<std::size_t>(it - open_.rbegin()) + 1;
    for (std::size_t i = 0; i < count; ++i) pop();
  }

  void text_unit(std::string_view unit) {
    if (fits(unit.size())) out_ += unit;
  }

  std::string finish() {
    while (!open_.empty()) pop();
    return std::move(out_);
  }

 private:
  bool fits(std::size_t length) {
    if (!full_ && out_.size() + closing_ + length <= max_) return true;
    full_ = true;  // once something is cut, everything after it goes too
    return false;
  }

  void pop() {
    const auto name = open_.back();
    open_.pop_back();
    out_ += "</";
    out_ += name;
    out_ += '>';
    closing_ -= name.size() + 3;
  }

  std::string out_;
  std::vector<std::string_view> open_;
  std::size_t closing_ = 0;
  std::size_t max_;
  bool full_ = false;
};

// Text is written in units that are never split: one character (UTF-8 sequence) or one
// reference. Known references stay references (numeric ones in one normal form), every other
// '&' and every '<' '>' is escaped.
void write_text(SafeWriter& w, std::string_view s, bool references) {
  std::string unit;
  std::size_t i = 0;
  while (i < s.size() && !w.full()) {
    const char c = s[i];
    unit.clear();
    std::size_t used = 1;
    if (c == '<') {
      unit = "&lt;";
    } else if (c == '>') {
      unit = "&gt;";
    } else if (c == '&') {
      const auto e = references ? match_entity(s.substr(i)) : std::nullopt;
      if (!e) {
        unit = "&amp;";
      } else {
        used = e->length;
        unit = '&';
        if (e->name.empty()) {
          unit += '#';
          unit += std::to_string(e->code_point);
        } else {
          unit += e->name;
        }
        unit += ';';
      }
    } else if (c == '\0') {
      unit = kReplacement;
    } else {
      const auto len = utf8_sequence(s.substr(i));
      if (len == 0) {
        unit = kReplacement;
      } else {
        used = len;
        unit = s.substr(i, len);
      }
    }
    w.text_unit(unit);
    i += used;
  }
}

// Drops an element and everything up to its matching end tag.
struct ContentSkipper {
  std::string name;
  int depth = 0;

  bool skipping() const { return depth > 0; }

  // Called for tokens met while skipping.
  void see(const Token& t) {
    if (t.kind == TokenKind::kStartTag && t.name == name && !foreign_self_closing(t)) ++depth;
    if (t.kind == TokenKind::kEndTag && t.name == name) --depth;
  }

  // True when `t` starts a dropped element (which then has to be skipped).
  bool starts(const Token& t) {
    if (t.kind != TokenKind::kStartTag || !drops_content(t.name)) return false;
    if (!foreign_self_closing(t)) {
      name = t.name;
      depth = 1;
    }
    return true;
  }

  // "<svg/>" has no content; in HTML elements the '/' means nothing.
  static bool foreign_self_closing(const Token& t) {
    return t.self_closing && (t.name == "svg" || t.name == "math");
  }
};

bool is_block(std::string_view name) {
  static constexpr std::string_view kNames[] = {"p",  "div", "li", "ul", "ol", "blockquote", "pre",
                                                "h1", "h2",  "h3", "h4", "h5", "h6",         "tr"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

}  // namespace

std::string sanitize_html(std::string_view html, std::size_t max_bytes) {
  Tokenizer tokenizer(html);
  SafeWriter writer(max_bytes);
  ContentSkipper skipper;
  while (!writer.full()) {
    const Token t = tokenizer.next();
    if (t.kind == TokenKind::kEnd) break;
    if (skipper.skipping()) {
      skipper.see(t);
      continue;
    }
    if (skipper.starts(t)) continue;
    switch (t.kind) {
      case TokenKind::kText:
        write_text(writer, t.text, true);
        break;
      case TokenKind::kRawText:  // xmp, plaintext: shown literally by browsers
        write_text(writer, t.text, false);
        break;
      case TokenKind::kStartTag:
        if (const auto kept = kept_element(t.name)) {
          if (*kept == "br")
            writer.line_break();
          else
            writer.open(*kept, safe_attributes(*kept, t.attributes));
        }
        break;
      case TokenKind::kEndTag:
        if (const auto kept = kept_element(t.name); kept && *kept != "br") writer.close(*kept);
        break;
      case TokenKind::kIgnored:
      case TokenKind::kEnd:
        break;
    }
  }
  return writer.finish();
}

std::string html_to_text(std::string_view html) {
  Tokenizer tokenizer(html);
  ContentSkipper skipper;
  std::string out;
  bool pending_break = false;  // a block boundary: a line break before any further text
  const auto append = [&](std::string_view text) {
    if (text.empty()) return;
    if (pending_break && !out.empty() && out.back() != '\n') out += '\n';
    pending_break = false;
    out += text;
  };
  for (;;) {
    const Token t = tokenizer.next();
    if (t.kind == TokenKind::kEnd) break;
    if (skipper.skipping()) {
      skipper.see(t);
      continue;
    }
    if (skipper.starts(t)) continue;
    switch (t.kind) {
      case TokenKind::kText:
        append(decode_text(t.text));
        break;
      case TokenKind::kRawText:
        append(t.text);
        break;
      case TokenKind::kStartTag:
      case TokenKind::kEndTag:
        if (t.name == "br") {
          pending_break = false;
          out += '\n';
        } else if (is_block(t.name)) {
          pending_break = true;
        }
        break;
      case TokenKind::kIgnored:
      case TokenKind::kEnd:
        break;
    }
  }
  return out;
}

}  // namespace parley::proto::ucwa
