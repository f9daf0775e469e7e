// Fuzz target: the message HTML sanitizer (src/proto/ucwa/message_content.hpp). The first byte
// picks the output limit, the rest is the HTML. Whatever comes in, what comes out contains no
// script element, fits the limit, is a fixed point of the sanitizer and has its tags balanced.
#include "proto/ucwa/message_content.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Every start tag but <br> has its end tag, properly nested.
bool balanced(std::string_view html) {
  std::vector<std::string_view> open;
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    const auto end = html.find_first_of(" >", i);
    if (end == std::string_view::npos) return false;
    const bool closing = html[i + 1] == '/';
    const auto name = html.substr(i + (closing ? 2 : 1), end - i - (closing ? 2 : 1));
    if (name == "br") continue;
    if (!closing) {
      open.push_back(name);
    } else {
      if (open.empty() || open.back() != name) return false;
      open.pop_back();
    }
  }
  return open.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // Limits from tiny (cuts everywhere) to roomy.
  const std::size_t limit = data[0] < 128 ? data[0] : 64 * static_cast<std::size_t>(data[0]);
  const std::string_view html(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto out = parley::proto::ucwa::sanitize_html(html, limit);
  const auto low = lowered(out);
  if (out.size() > limit) std::abort();
  if (low.find("<script") != std::string::npos) std::abort();
  // Text never holds a raw '<', so each '<' starts a tag we wrote. The attributes we write are
  // href, color, face, size and dir: " on" outside quotes would be an event handler that slipped
  // through, and an href must have one of the allowed schemes.
  for (auto lt = low.find('<'); lt != std::string::npos; lt = low.find('<', lt + 1)) {
    const auto tag = std::string_view(low).substr(lt, low.find('>', lt) - lt);
    bool quoted = false;
    for (std::size_t i = 0; i < tag.size(); ++i) {
      if (tag[i] == '"') quoted = !quoted;
      if (!quoted && tag.substr(i, 3) == " on") std::abort();
      if (!quoted && tag.substr(i, 7) == " href=\"") {
        const auto url = tag.substr(i + 7);
        if (url.substr(0, 5) != "http:" && url.substr(0, 6) != "https:" && url.substr(0, 7) != "mailto:")
          std::abort();
      }
    }
  }
  if (!balanced(out)) std::abort();
  if (parley::proto::ucwa::sanitize_html(out, limit) != out) std::abort();
  (void)parley::proto::ucwa::html_to_text(html);
  return 0;
}
