#pragma once
// The server's TLS settings in one place: TLS 1.2 and 1.3 only, forward-secret AEAD ciphers.

#include <memory>
#include <string_view>

namespace boost::asio::ssl {
class context;
}

namespace parley::net {

// Throws std::runtime_error when the certificate chain or key cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(std::string_view chain_pem,
                                                                   std::string_view key_pem);

}  // namespace parley::net
