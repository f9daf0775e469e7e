#include "push/address_policy.hpp"

#include <algorithm>

namespace parley::push {

namespace {

bool private_v4(const unsigned char* a) {
  return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
         (a[0] == 172 && (a[1] & 0xF0) == 16) || (a[0] == 192 && a[1] == 168) ||
         (a[0] == 100 && (a[1] & 0xC0) == 64) || a[0] >= 224;
}

}  // namespace

bool private_address(const unsigned char* a, std::size_t size) {
  if (size == 4) return private_v4(a);
  if (size != 16) return true;  // not an address we know how to judge: refuse
  const bool zero_prefix = std::all_of(a, a + 15, [](unsigned char b) { return b == 0; });
  if (zero_prefix && a[15] <= 1) return true;  // :: and ::1
  const bool mapped = std::all_of(a, a + 10, [](unsigned char b) { return b == 0; }) && a[10] == 0xff &&
                      a[11] == 0xff;
  if (mapped) return private_v4(a + 12);
  return (a[0] & 0xFE) == 0xFC ||                   // fc00::/7 unique local
         (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) ||  // fe80::/10 link local
         a[0] == 0xFF;                               // multicast
}

}  // namespace parley::push
