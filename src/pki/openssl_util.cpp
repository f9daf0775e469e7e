#include "pki/openssl_util.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace parley::pki::detail {
namespace {

BioPtr memory_bio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw_openssl("cannot allocate a memory BIO");
  return bio;
}

BioPtr read_only_bio(std::string_view data) {
  if (data.size() > kMaxPemBytes) throw std::runtime_error("PEM data too large");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) throw_openssl("cannot allocate a memory BIO");
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// Refuses every passphrase prompt: an encrypted key must fail, not block on the terminal.
int refuse_passphrase(char*, int, int, void*) { return -1; }

std::string errno_text() { return std::strerror(errno); }

// Closes a descriptor on every path out of a scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string openssl_reason() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

void throw_openssl(const std::string& what) {
  throw std::runtime_error(what + ": " + openssl_reason());
}

std::string certificate_to_pem(X509* cert) {
  auto bio = memory_bio();
  if (PEM_write_bio_X509(bio.get(), cert) != 1) throw_openssl("cannot encode certificate");
  return bio_contents(bio.get());
}

std::string private_key_to_pem(EVP_PKEY* key) {
  auto bio = memory_bio();
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw_openssl("cannot encode private key");
  return bio_contents(bio.get());
}

std::vector<X509Ptr> certificates_from_pem(std::string_view pem) {
  auto bio = read_only_bio(pem);
  std::vector<X509Ptr> certs;
  ERR_clear_error();
  while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, &refuse_passphrase, nullptr)})
    certs.push_back(std::move(cert));
  // Running out of input ends the loop with "no start line"; any other error is a broken block.
  const unsigned long err = ERR_peek_last_error();
  if (err != 0 && !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE))
    throw_openssl("malformed PEM certificate after " + std::to_string(certs.size()) +
                  " good one(s)");
  ERR_clear_error();
  return certs;
}

PkeyPtr private_key_from_pem(std::string_view pem) {
  auto bio = read_only_bio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, &refuse_passphrase, nullptr));
  return key;
}

PkeyPtr generate_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw_openssl("cannot generate an EC P-256 key");
  return key;
}

std::string format_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "an unreadable date";
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string read_small_file(const std::filesystem::path& file, std::string_view what,
                            std::size_t limit) {
  const std::string prefix = "cannot read " + std::string(what) + " " + file.string() + ": ";
  Fd f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw std::runtime_error(prefix + errno_text());
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw std::runtime_error(prefix + errno_text());
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(prefix + "not a regular file");
  std::string data;
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(prefix + errno_text());
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > limit)
      throw std::runtime_error(prefix + "larger than " + std::to_string(limit) + " bytes");
  }
  return data;
}

void write_file_atomically(const std::filesystem::path& file, std::string_view content,
                           mode_t mode) {
  unsigned char salt[8];
  if (RAND_bytes(salt, sizeof salt) != 1) throw_openssl("cannot get random bytes");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix;
  for (unsigned char b : salt) {
    suffix += kHex[b >> 4];
    suffix += kHex[b & 0xf];
  }
  const std::filesystem::path temp =
      file.parent_path() / ("." + file.filename().string() + ".tmp-" + suffix);
  const std::string prefix = "cannot write " + file.string() + ": ";

  Fd f{::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)};
  if (f.fd < 0) throw std::runtime_error(prefix + errno_text());
  auto fail = [&](const std::string& reason) {
    ::unlink(temp.c_str());
    throw std::runtime_error(prefix + reason);
  };
  // The umask may have narrowed `mode`; set it exactly (it never widens a key beyond 0600).
  if (::fchmod(f.fd, mode) != 0) fail(errno_text());
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(f.fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno_text());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) fail(errno_text());
  if (::close(f.fd) != 0) {
    f.fd = -1;
    fail(errno_text());
  }
  f.fd = -1;
  if (::rename(temp.c_str(), file.c_str()) != 0) fail(errno_text());
  // Make the rename itself durable.
  Fd dir{::open(file.parent_path().empty() ? "." : file.parent_path().c_str(),
                O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0) ::fsync(dir.fd);
}

}  // namespace parley::pki::detail
