#pragma once
// STUN (RFC 8489) and TURN (RFC 8656, RFC 6062) wire codec: pure, no I/O, and no heap
// allocation on the packet path. A received datagram or stream frame is parsed in place into a
// MessageView (offsets into the caller's bytes); answers are written into a caller-owned buffer
// by MessageWriter. Nothing here throws; every failure is a return value.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace parley::stun {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kChannelDataHeaderSize = 4;
// Largest message Parley parses or writes; a UDP datagram above the path MTU is unusual and
// anything beyond 64 KiB cannot be expressed by the 16-bit length anyway.
inline constexpr std::size_t kMaxMessageSize = 65535 + kHeaderSize;
// Attributes remembered per parsed message; a message with more is refused (no heap per packet).
inline constexpr std::size_t kMaxAttributes = 32;

enum class Method : std::uint16_t {
  binding = 0x001,
  allocate = 0x003,
  refresh = 0x004,
  send = 0x006,
  data = 0x007,
  create_permission = 0x008,
  channel_bind = 0x009,
  connect = 0x00A,
  connection_bind = 0x00B,
  connection_attempt = 0x00C,
};

enum class Class : std::uint8_t { request = 0, indication = 1, success = 2, error = 3 };

// Attribute types (RFC 8489 §18.3, RFC 8656 §18, RFC 6062 §6.2).
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t channel_number = 0x000C;
inline constexpr std::uint16_t lifetime = 0x000D;
inline constexpr std::uint16_t xor_peer_address = 0x0012;
inline constexpr std::uint16_t data = 0x0013;
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t xor_relayed_address = 0x0016;
inline constexpr std::uint16_t requested_address_family = 0x0017;
inline constexpr std::uint16_t even_port = 0x0018;
inline constexpr std::uint16_t requested_transport = 0x0019;
inline constexpr std::uint16_t dont_fragment = 0x001A;
inline constexpr std::uint16_t message_integrity_sha256 = 0x001C;
inline constexpr std::uint16_t password_algorithm = 0x001D;
inline constexpr std::uint16_t userhash = 0x001E;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t reservation_token = 0x0022;
inline constexpr std::uint16_t connection_id = 0x002A;
inline constexpr std::uint16_t additional_address_family = 0x8000;
inline constexpr std::uint16_t address_error_code = 0x8001;
inline constexpr std::uint16_t password_algorithms = 0x8002;
inline constexpr std::uint16_t alternate_domain = 0x8003;
inline constexpr std::uint16_t icmp = 0x8004;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t alternate_server = 0x8023;
inline constexpr std::uint16_t fingerprint = 0x8028;

// 0x0000-0x7FFF must be understood by the receiver (RFC 8489 §14).
constexpr bool comprehension_required(std::uint16_t type) { return type < 0x8000; }
// The comprehension-required attributes this codec and the relay understand. Comprehension-
// optional types answer false: they never call for a 420.
bool known(std::uint16_t type);
}  // namespace attr

// Error codes the relay answers with (RFC 8489 §14.8, RFC 8656 §19, RFC 6062 §6.3).
namespace error {
inline constexpr std::uint16_t try_alternate = 300;
inline constexpr std::uint16_t bad_request = 400;
inline constexpr std::uint16_t unauthenticated = 401;
inline constexpr std::uint16_t forbidden = 403;
inline constexpr std::uint16_t unknown_attribute = 420;
inline constexpr std::uint16_t allocation_mismatch = 437;
inline constexpr std::uint16_t stale_nonce = 438;
inline constexpr std::uint16_t address_family_not_supported = 440;
inline constexpr std::uint16_t wrong_credentials = 441;
inline constexpr std::uint16_t unsupported_transport_protocol = 442;
inline constexpr std::uint16_t peer_address_family_mismatch = 443;
inline constexpr std::uint16_t connection_already_exists = 446;
inline constexpr std::uint16_t connection_timeout_or_failure = 447;
inline constexpr std::uint16_t allocation_quota_reached = 486;
inline constexpr std::uint16_t role_conflict = 487;
inline constexpr std::uint16_t server_error = 500;
inline constexpr std::uint16_t insufficient_capacity = 508;
// The RFC's reason phrase for a code ("Bad Request", "Stale Nonce", ...).
std::string_view reason(std::uint16_t code);
}  // namespace error

using TransactionId = std::array<std::uint8_t, 12>;

enum class Family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };

// A transport address as STUN carries it; `ip` holds 4 (IPv4, first four bytes) or 16 bytes.
struct Endpoint {
  Family family = Family::ipv4;
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Attribute {
  std::uint16_t type = 0;
  Bytes value;              // without padding
  std::size_t offset = 0;   // of the attribute's 4-byte header within the message
};

enum class ParseError {
  none,
  too_short,          // fewer than 20 bytes, or the length field runs past the input
  not_stun,           // first two bits not zero, or no magic cookie
  bad_length,         // length not a multiple of 4, or an attribute runs past the message
  too_many_attributes,
  bad_fingerprint,    // FINGERPRINT present but wrong, or not the last attribute
};

// A parsed STUN message over the caller's bytes (which must outlive it). Attributes after
// MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored, and after
// MESSAGE-INTEGRITY-SHA256 only FINGERPRINT is kept, as RFC 8489 §14.5/§14.6 require.
class MessageView {
 public:
  // Parses exactly one message: `bytes` must be the whole message (20 + length bytes; extra
  // trailing bytes are an error for datagrams, so callers of stream framing slice first).
  static std::optional<MessageView> parse(Bytes bytes, ParseError* why = nullptr);

  Method method() const { return method_; }
  Class message_class() const { return class_; }
  std::uint16_t raw_method() const { return raw_method_; }
  const TransactionId& transaction_id() const { return tid_; }
  Bytes bytes() const { return bytes_; }

  // First attribute of this type, if any.
  std::optional<Attribute> find(std::uint16_t type) const;
  std::span<const Attribute> attributes() const { return {attrs_.data(), count_}; }
  // Comprehension-required attribute types that attr::known() does not list (for 420): each
  // type once, in message order, at most out.size() of them; returns how many were written.
  std::size_t unknown_required(std::span<std::uint16_t> out) const;

  bool has_fingerprint() const { return has_fingerprint_; }

 private:
  Bytes bytes_;
  Method method_{};
  std::uint16_t raw_method_ = 0;
  Class class_{};
  TransactionId tid_{};
  std::array<Attribute, kMaxAttributes> attrs_{};
  std::size_t count_ = 0;
  bool has_fingerprint_ = false;
};

// True when the first bytes look like a STUN message (two zero bits, magic cookie) rather than
// ChannelData (first byte 0x40-0x7F).
bool looks_like_stun(Bytes bytes);

// --- attribute decoders (each validates the attribute's own length and values) -------------
std::optional<Endpoint> decode_address(const Attribute& a);  // MAPPED-ADDRESS form
std::optional<Endpoint> decode_xor_address(const Attribute& a, const TransactionId& tid);
std::optional<std::uint32_t> decode_u32(const Attribute& a);  // LIFETIME, CONNECTION-ID
std::optional<std::uint16_t> decode_channel_number(const Attribute& a);
// REQUESTED-TRANSPORT: the IANA protocol number (17 UDP, 6 TCP).
std::optional<std::uint8_t> decode_requested_transport(const Attribute& a);
// REQUESTED-/ADDITIONAL-ADDRESS-FAMILY.
std::optional<Family> decode_family(const Attribute& a);
// EVEN-PORT: the R bit (reserve the next higher port too).
std::optional<bool> decode_even_port(const Attribute& a);
struct ErrorCode {
  std::uint16_t code = 0;
  std::string_view reason;
};
std::optional<ErrorCode> decode_error_code(const Attribute& a);
std::string_view as_text(const Attribute& a);

// --- integrity --------------------------------------------------------------------------------
// Long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password) or, for the
// SHA-256 password algorithm, SHA-256 of the same string. `password` must already be OpaqueString
// processed (Parley's passwords and the shared-secret scheme's are ASCII, for which it is a no-op).
std::array<std::uint8_t, 16> long_term_key_md5(std::string_view username, std::string_view realm,
                                                std::string_view password);
std::array<std::uint8_t, 32> long_term_key_sha256(std::string_view username,
                                                   std::string_view realm,
                                                   std::string_view password);
// USERHASH value: SHA-256(username ":" realm).
std::array<std::uint8_t, 32> userhash(std::string_view username, std::string_view realm);

// Checks MESSAGE-INTEGRITY (HMAC-SHA1) / MESSAGE-INTEGRITY-SHA256 of a parsed message with
// `key`: false when the attribute is absent, malformed or does not match. Constant time in the
// comparison.
bool check_integrity(const MessageView& m, Bytes key);
bool check_integrity_sha256(const MessageView& m, Bytes key);

// --- ChannelData (RFC 8656 §12.4) -----------------------------------------------------------
inline constexpr std::uint16_t kMinChannel = 0x4000;
inline constexpr std::uint16_t kMaxChannel = 0x4FFF;

struct ChannelData {
  std::uint16_t channel = 0;
  Bytes data;
};
// Parses one ChannelData message; `bytes` may carry up to 3 padding bytes after the data (as on
// stream transports) but no more, and never past the next multiple of four.
std::optional<ChannelData> parse_channel_data(Bytes bytes);
// Writes the 4-byte header for `length` data bytes; returns kChannelDataHeaderSize (0 when `out`
// is shorter than that).
std::size_t write_channel_data_header(std::span<std::uint8_t> out, std::uint16_t channel,
                                      std::uint16_t length);

// --- stream framing (TCP/TLS, RFC 8489 §6.2.2, RFC 8656 §12.5) --------------------------------
// How many bytes the next frame at the front of `buffered` occupies (STUN: 20 + length;
// ChannelData: 4 + length rounded up to a multiple of 4), or 0 when fewer than 4 bytes are
// buffered. nullopt: the bytes are neither STUN nor ChannelData — the connection must be closed.
std::optional<std::size_t> stream_frame_size(Bytes buffered);

// --- writing ----------------------------------------------------------------------------------
// Builds one message into `out`. Attributes are appended in call order; MESSAGE-INTEGRITY(-SHA256)
// and FINGERPRINT are computed over what precedes them, with the header length adjusted as the
// RFC requires. If `out` runs out of room, ok() turns false and finish() returns an empty span.
class MessageWriter {
 public:
  MessageWriter(std::span<std::uint8_t> out, Method method, Class cls, const TransactionId& tid);
  // For methods the codec does not name (e.g. echoing an unknown request's method in a 400).
  MessageWriter(std::span<std::uint8_t> out, std::uint16_t raw_method, Class cls,
                const TransactionId& tid);

  MessageWriter& add(std::uint16_t type, Bytes value);
  MessageWriter& add_text(std::uint16_t type, std::string_view value);
  MessageWriter& add_u32(std::uint16_t type, std::uint32_t value);
  MessageWriter& add_address(std::uint16_t type, const Endpoint& e);      // plain (MAPPED-ADDRESS)
  MessageWriter& add_xor_address(std::uint16_t type, const Endpoint& e);  // XOR-* forms
  MessageWriter& add_error(std::uint16_t code, std::string_view reason = {});
  MessageWriter& add_unknown_attributes(std::span<const std::uint16_t> types);
  MessageWriter& add_channel_number(std::uint16_t channel);
  MessageWriter& add_requested_transport(std::uint8_t protocol);
  MessageWriter& add_integrity(Bytes key);         // MESSAGE-INTEGRITY (HMAC-SHA1)
  MessageWriter& add_integrity_sha256(Bytes key);  // MESSAGE-INTEGRITY-SHA256
  MessageWriter& add_fingerprint();

  bool ok() const { return ok_; }
  std::span<const std::uint8_t> finish();

 private:
  std::uint8_t* reserve(std::uint16_t type, std::size_t length);
  void set_length(std::size_t body_length);

  std::span<std::uint8_t> out_;
  std::size_t size_ = kHeaderSize;
  bool ok_ = true;
};

// Writes a message header for a new transaction with a random transaction id (client side:
// tests, the start-up self-test).
TransactionId random_transaction_id();

}  // namespace parley::stun
