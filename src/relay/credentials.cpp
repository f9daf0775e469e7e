#include "relay/credentials.hpp"

#include "common/crypto.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace parley::relay {
namespace {

// Standard base64 with padding: what TURN REST clients and coturn expect, unlike the URL-safe
// form tokens elsewhere in Parley use.
std::string base64_standard(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The expiry of a time-limited name ("1767225600:alice@example.org"), or nullopt when the name
// is not of that form (no ':' or something other than digits before it).
std::optional<std::int64_t> expiry_of(std::string_view username) {
  const auto colon = username.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view digits = username.substr(0, colon);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value < 0) return std::nullopt;
  return value;
}

[[noreturn]] void fail_errno(const std::string& what, const std::filesystem::path& p) {
  throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}

std::string trimmed_contents(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail_errno("cannot read relay secret", p);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text.empty())
    throw std::runtime_error("relay secret file " + p.string() +
                             " is empty; remove it to have a new one generated");
  return text;
}

}  // namespace

std::string shared_secret_password(std::string_view secret, std::string_view username) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac,
            &mac_len))
    throw std::runtime_error("HMAC-SHA1 failed");
  return base64_standard(mac, mac_len);
}

MintedCredential mint_credential(std::string_view secret, std::string_view user,
                                 std::chrono::seconds lifetime,
                                 std::chrono::system_clock::time_point now) {
  // Whole seconds: the name carries Unix seconds, and valid_until must be what the edge will
  // enforce, not a fraction later.
  const auto expiry = std::chrono::time_point_cast<std::chrono::seconds>(now) + lifetime;
  MintedCredential c;
  c.username = std::to_string(expiry.time_since_epoch().count()) + ":" + std::string(user);
  c.password = shared_secret_password(secret, c.username);
  c.valid_until = expiry;
  return c;
}

CredentialStore::CredentialStore(std::vector<std::string> secrets, std::vector<RelayUser> users)
    : secrets_(std::move(secrets)), users_(std::move(users)) {
  // minting_secret() reads the first one; the edge and the front end always resolve at least one
  // (configured, or generated into the data directory).
  if (secrets_.empty()) throw std::invalid_argument("CredentialStore needs at least one secret");
}

CredentialLookup CredentialStore::lookup(std::string_view username,
                                         std::chrono::system_clock::time_point now) const {
  CredentialLookup r;
  if (const auto expiry = expiry_of(username)) {
    r.quota_user = std::string(username.substr(username.find(':') + 1));
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
    if (*expiry <= now_s.count()) {
      r.status = CredentialStatus::expired;
      return r;
    }
    r.status = CredentialStatus::ok;
    r.passwords.reserve(secrets_.size());
    for (const auto& s : secrets_) r.passwords.push_back(shared_secret_password(s, username));
    return r;
  }
  for (const auto& u : users_) {
    if (u.name == username) {
      r.status = CredentialStatus::ok;
      r.passwords.push_back(u.password);
      r.quota_user = u.name;
      return r;
    }
  }
  r.status = CredentialStatus::unknown_user;
  return r;
}

std::string load_or_create_secret(const std::filesystem::path& data_dir) {
  const auto dir = data_dir / "relay";
  const auto file = dir / "secret";
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) return trimmed_contents(file);

  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::system_error(ec, "cannot create " + dir.string());
  ::chmod(dir.c_str(), 0700);

  // Written whole under a unique name and then hard-linked into place: link() refuses to replace
  // an existing file, so when two processes (front end and edge) race on first start, both end
  // up with the same secret and nobody ever reads a half-written one.
  const std::string secret = random_token(32);
  const auto tmp = dir / ("secret.tmp." + std::to_string(::getpid()) + "." + random_token(6));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail_errno("cannot create", tmp);
  const std::string line = secret + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    errno = saved;
    fail_errno("cannot write", tmp);
  }
  const int linked = ::link(tmp.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno != EEXIST) {
      errno = link_errno;
      fail_errno("cannot create relay secret", file);
    }
    return trimmed_contents(file);  // another process won the race
  }
  return secret;
}

}  // namespace parley::relay
