#pragma once
// Serves the web client (client/dist, built by Vite) on the external site: the app shell, its
// hashed assets, the service worker, the manifest and icons. UCWA and discovery clients are not
// affected: GET / still answers the discovery root unless the request asks for HTML.

#include "http/message.hpp"
#include "http/router.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace parley::web {

namespace fs = std::filesystem;

inline constexpr std::size_t kDefaultMaxFileBytes = 8 * 1024 * 1024;

// The directory the client is served from: $PARLEY_CLIENT_DIR when set and non-empty, else the
// build's default (the source tree's client/dist).
fs::path client_dir();

// "text/javascript; charset=utf-8" etc. for a file name; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view file_name);

// True when a file name is safe to look up under the root: letters, digits, '.', '-', '_', not
// starting with '.', at most 128 characters. Rejects anything that could leave the directory.
bool is_safe_name(std::string_view name);

// True when an Accept header names text/html with a non-zero q-value (a browser navigating),
// which is how GET / tells the web client's visitors from discovery clients.
bool accepts_html(std::string_view accept);

// Files of one directory, read on demand and cached until their size or mtime changes.
class StaticSite {
public:
  explicit StaticSite(fs::path root, std::size_t max_file_bytes = kDefaultMaxFileBytes);

  const fs::path& root() const { return root_; }
  bool available() const;  // the root holds index.html

  // The response for `relative` ("index.html", "assets/app-1234.js"), or nullopt when there is no
  // such file (or it is unsafe to name, not a regular file, or too large). Honours If-None-Match
  // (304) and gzip in Accept-Encoding; sets caching and security headers.
  std::optional<http::Response> serve(const http::Request& req, std::string_view relative) const;

private:
  struct Entry {
    fs::file_time_type mtime;
    std::uintmax_t size = 0;
    std::string body;
    std::string gzipped;  // empty when gzip does not pay
    std::string etag;     // quoted, of the identity body
  };
  std::shared_ptr<const Entry> load(const fs::path& file) const;

  fs::path root_;
  std::size_t max_file_bytes_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<const Entry>> cache_;
};

// Adds the client's routes to the external HTTPS router and wraps the existing GET / so that a
// browser asking for HTML gets index.html. When the directory has no index.html, logs one
// warning, registers nothing and returns false (GET / keeps answering discovery).
bool register_routes(http::SiteRouters& routers, const fs::path& dir);

}  // namespace parley::web
