#include "web/static_site.hpp"

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "http/compression.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#ifndef PARLEY_CLIENT_DIR
#define PARLEY_CLIENT_DIR "client/dist"
#endif

namespace parley::web {
namespace {

// The client talks to its own origin, except that discovery may fall back to
// https://lyncdiscover.<domain>/, hence https: for connect-src only.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; connect-src 'self' https:; img-src 'self' data: blob:; "
    "style-src 'self'; script-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Vite names everything under assets/ by content hash, so a name never changes meaning.
constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kRevalidate[] = "no-cache";
constexpr char kDaily[] = "public, max-age=86400";

constexpr std::size_t kMinGzipBytes = 256;  // as the front door's own threshold

struct TypeEntry {
  std::string_view extension;
  std::string_view type;
};
constexpr std::array<TypeEntry, 16> kTypes{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".webmanifest", "application/manifest+json; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".jpg", "image/jpeg"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".wasm", "application/wasm"},
}};

bool compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("application/manifest+json") || type.starts_with("image/svg+xml");
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in && !in.eof()) throw std::runtime_error("cannot read " + file.string());
  return std::move(s).str();
}

// If-None-Match lists entity tags (weak or strong); a GET matches with the weak comparison.
bool etag_matches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (trim(header) == "*") return true;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = trim(header.substr(pos, end - pos));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

void security_headers(http::Response& res) {
  res.headers.set("Content-Security-Policy", kContentSecurityPolicy);
  res.headers.set("X-Content-Type-Options", "nosniff");
  res.headers.set("Referrer-Policy", "no-referrer");
  res.headers.set("X-Frame-Options", "DENY");
  res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
}

std::string_view cache_policy(std::string_view relative) {
  if (relative.starts_with("assets/")) return kImmutable;
  if (relative.starts_with("icons/")) return kDaily;
  return kRevalidate;  // index.html, sw.js, the manifest: must be checked every time
}

}  // namespace

fs::path client_dir() {
  if (const char* env = std::getenv("PARLEY_CLIENT_DIR"); env && *env) return fs::path(env);
  return fs::path(PARLEY_CLIENT_DIR);
}

std::string_view content_type_for(std::string_view file_name) {
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  const std::string ext = lower(file_name.substr(dot));
  for (const auto& t : kTypes)
    if (t.extension == ext) return t.type;
  return "application/octet-stream";
}

bool is_safe_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  for (const unsigned char c : name)
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_')) return false;
  return name.find("..") == std::string_view::npos;
}

bool accepts_html(std::string_view accept) {
  if (accept.size() > 2048) return false;
  std::size_t pos = 0;
  while (pos < accept.size()) {
    std::size_t end = accept.find(',', pos);
    if (end == std::string_view::npos) end = accept.size();
    const std::string_view entry = accept.substr(pos, end - pos);
    pos = end + 1;
    const auto semi = entry.find(';');
    if (!iequals(trim(entry.substr(0, semi)), "text/html")) continue;
    if (semi == std::string_view::npos) return true;
    // Only q matters; q=0 (or 0.000) refuses HTML.
    std::string_view params = entry.substr(semi + 1);
    bool refused = false;
    while (!params.empty()) {
      const auto next = params.find(';');
      const std::string_view p = trim(params.substr(0, next));
      if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
        const std::string_view v = p.substr(2);
        refused = !v.empty() && v.find_first_not_of("0.") == std::string_view::npos;
      }
      if (next == std::string_view::npos) break;
      params.remove_prefix(next + 1);
    }
    return !refused;
  }
  return false;
}

StaticSite::StaticSite(fs::path root, std::size_t max_file_bytes)
    : root_(std::move(root)), max_file_bytes_(max_file_bytes) {}

bool StaticSite::available() const {
  std::error_code ec;
  return fs::is_regular_file(root_ / "index.html", ec);
}

std::shared_ptr<const StaticSite::Entry> StaticSite::load(const fs::path& file) const {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (ec || !fs::is_regular_file(status)) return nullptr;
  const auto size = fs::file_size(file, ec);
  if (ec || size > max_file_bytes_) {
    if (!ec) logger("web")->warn("{} is larger than {} bytes; not served", file.string(), max_file_bytes_);
    return nullptr;
  }
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) return nullptr;
  const std::string key = file.string();
  {
    std::lock_guard lock(mutex_);
    if (const auto it = cache_.find(key); it != cache_.end() && it->second->mtime == mtime &&
                                          it->second->size == size)
      return it->second;
  }
  auto entry = std::make_shared<Entry>();
  entry->mtime = mtime;
  entry->size = size;
  entry->body = read_all(file);
  if (entry->body.size() > max_file_bytes_) return nullptr;  // grew while being read
  entry->etag = "\"" + sha256_hex(entry->body).substr(0, 32) + "\"";
  if (entry->body.size() >= kMinGzipBytes && compressible(content_type_for(file.filename().string()))) {
    std::string gz = http::gzip_compress(entry->body);
    if (gz.size() < entry->body.size()) entry->gzipped = std::move(gz);
  }
  std::lock_guard lock(mutex_);
  cache_[key] = entry;
  return entry;
}

std::optional<http::Response> StaticSite::serve(const http::Request& req, std::string_view relative) const {
  // One or two safe segments: "index.html", "assets/x.js". Nothing else can name a file.
  fs::path file = root_;
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos <= relative.size()) {
    std::size_t end = relative.find('/', pos);
    if (end == std::string_view::npos) end = relative.size();
    const std::string_view segment = relative.substr(pos, end - pos);
    if (!is_safe_name(segment) || ++count > 2) return std::nullopt;
    file /= std::string(segment);
    pos = end + 1;
  }
  const auto entry = load(file);
  if (!entry) return std::nullopt;

  const bool gzip = !entry->gzipped.empty() && http::accepts_gzip(req.headers.get("Accept-Encoding"));
  // The gzip variant is a different representation, so it gets its own tag.
  const std::string etag = gzip ? entry->etag.substr(0, entry->etag.size() - 1) + "-gz\"" : entry->etag;
  const std::string_view if_none_match = req.headers.get("If-None-Match");
  http::Response res;
  if (etag_matches(if_none_match, etag) || etag_matches(if_none_match, entry->etag)) {
    res = http::Response::empty(304);
  } else {
    res.status = 200;
    res.body = gzip ? entry->gzipped : entry->body;
    res.headers.set("Content-Type", std::string(content_type_for(file.filename().string())));
    if (gzip) res.headers.set("Content-Encoding", "gzip");
  }
  res.headers.set("ETag", etag);
  if (!entry->gzipped.empty()) res.headers.set("Vary", "Accept-Encoding");
  res.headers.set("Cache-Control", std::string(cache_policy(relative)));
  if (relative == "sw.js") res.headers.set("Service-Worker-Allowed", "/");
  security_headers(res);
  return res;
}

bool register_routes(http::SiteRouters& routers, const fs::path& dir) {
  auto site = std::make_shared<const StaticSite>(dir);
  if (!site->available()) {
    logger("web")->warn(
        "web client not found at {} (no index.html); https://<external site>/ answers discovery "
        "only. Build it with scripts/setup, or set PARLEY_CLIENT_DIR.",
        dir.string());
    return false;
  }
  using boost::asio::awaitable;
  http::Router& r = routers.external;
  const auto file_route = [site](std::string prefix) -> http::Handler {
    return [site, prefix](http::Request& req) -> awaitable<http::Response> {
      auto res = site->serve(req, prefix + req.params["file"]);
      if (!res) throw NotFound("no such file");
      co_return std::move(*res);
    };
  };
  r.add("GET", "/assets/{file}", file_route("assets/"));
  r.add("GET", "/icons/{file}", file_route("icons/"));
  // Top-level files are fixed by the build; each gets its own literal route so no other path
  // of the external site changes owner.
  std::error_code ec;
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && is_safe_name(name)) top.push_back(name);
  }
  for (const auto& name : top) {
    r.add("GET", "/" + name, [site, name](http::Request& req) -> awaitable<http::Response> {
      auto res = site->serve(req, name);
      if (!res) throw NotFound("no such file");
      co_return std::move(*res);
    });
  }
  const auto decorate = [site](http::Handler discovery_root) -> http::Handler {
    return [site, discovery_root](http::Request& req) -> awaitable<http::Response> {
      if (req.query.empty() && accepts_html(req.headers.get("Accept"))) {
        if (auto res = site->serve(req, "index.html")) co_return std::move(*res);
      }
      auto answer = discovery_root(req);
      co_return co_await std::move(answer);
    };
  };
  if (!r.wrap("GET", "/", decorate)) {
    // No discovery root on this site (not expected): the shell still opens at /.
    r.add("GET", "/", decorate([](http::Request&) -> awaitable<http::Response> {
            throw NotFound("no resource at /");
            co_return http::Response::empty(404);
          }));
  }
  logger("web")->info("web client served from {} ({} top-level files)", dir.string(), top.size());
  return true;
}

}  // namespace parley::web
