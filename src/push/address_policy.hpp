#pragma once
// Which IP addresses a push request may connect to. A Web Push endpoint is a URL the browser (or
// whoever registers) chose, so without this check Parley could be made to POST to its own
// loopback services or the company's internal network (server-side request forgery).

#include <cstddef>

namespace parley::push {

// `ip` is 4 (IPv4) or 16 (IPv6) bytes in network order. True for this machine, private networks,
// link-local, carrier-grade NAT, unique-local, multicast and unspecified addresses, and for
// IPv4-mapped IPv6 addresses (judged by the IPv4 address they carry).
bool private_address(const unsigned char* ip, std::size_t size);

}  // namespace parley::push
