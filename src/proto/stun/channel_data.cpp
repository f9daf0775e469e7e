// ChannelData messages (RFC 8656 §12.4) and splitting a stream into STUN and ChannelData frames
// (RFC 8489 §6.2.2, RFC 8656 §12.5).
#include "proto/stun/stun.hpp"
#include "proto/stun/wire.hpp"

namespace parley::stun {

//    0                   1                   2                   3
//   |         Channel Number        |            Length             |
//   |                       Application Data                        |
std::optional<ChannelData> parse_channel_data(Bytes bytes) {
  if (bytes.size() < kChannelDataHeaderSize) return std::nullopt;
  const std::uint16_t channel = wire::get16(bytes.data());
  if (channel < kMinChannel || channel > kMaxChannel) return std::nullopt;
  const std::size_t length = wire::get16(bytes.data() + 2);
  const std::size_t end = kChannelDataHeaderSize + length;
  // Padding to a multiple of four is mandatory on streams and optional on UDP, so anything from
  // none up to the next boundary is accepted, and nothing beyond it.
  if (bytes.size() < end || bytes.size() > wire::padded(end)) return std::nullopt;
  return ChannelData{channel, bytes.subspan(kChannelDataHeaderSize, length)};
}

std::size_t write_channel_data_header(std::span<std::uint8_t> out, std::uint16_t channel,
                                      std::uint16_t length) {
  if (out.size() < kChannelDataHeaderSize) return 0;
  wire::put16(out.data(), channel);
  wire::put16(out.data() + 2, length);
  return kChannelDataHeaderSize;
}

std::optional<std::size_t> stream_frame_size(Bytes buffered) {
  if (buffered.size() < 4) return 0;
  const std::uint8_t first = buffered[0];
  const std::size_t length = wire::get16(buffered.data() + 2);
  if ((first & 0xC0) == 0) {
    // A STUN length is always a multiple of four; once the cookie is in, it must match, so a
    // peer speaking something else is cut off before a bogus length is waited for.
    if (length % 4 != 0) return std::nullopt;
    if (buffered.size() >= 8 && wire::get32(buffered.data() + 4) != kMagicCookie) return std::nullopt;
    return kHeaderSize + length;
  }
  // 0x4000-0x4FFF are channel numbers; 0x5000-0x7FFF are reserved (RFC 8656 §12) and the rest
  // is neither protocol.
  if (first >= 0x40 && first <= 0x4F) return wire::padded(kChannelDataHeaderSize + length);
  return std::nullopt;
}

}  // namespace parley::stun
