#pragma once
// Mobility policy and service configuration (UCWA.md §6): the settings, their defaults and ranges,
// how a partial setting is validated, how the effective values for a user are resolved from the
// global, site and user scopes, and the one decision every media feature asks
// (media_allowed). Pure: no I/O, no locking.
//
// Settings travel as JSON objects keyed by the cmdlet parameter names ("EnableMobility",
// "SessionExpirationInterval", ...), matched case-insensitively on input and emitted as spelled
// here. A named policy holds only the settings it sets; every other value comes from a less
// specific scope, and finally from the built-in default.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::policy {

// The kinds of settings an administrator manages.
enum class Kind { mobility, mcx, push, webservice };
std::string_view to_string(Kind k);              // "mobility", "mcx", "push", "webservice"
std::optional<Kind> parse_kind(std::string_view s);  // case-insensitive

struct FieldSpec {
  std::string_view name;  // cmdlet parameter name, e.g. "RequireWIFIForIPVideo"
  enum class Type { boolean, integer, choice } type;
  boost::json::value default_value;
  std::int64_t min = 0, max = 0;           // integer range (inclusive)
  std::vector<std::string_view> choices;   // choice values, canonical spelling
  std::string_view help;                   // one line for CLI help and docs
};
// Every field of a kind, in documentation order.
const std::vector<FieldSpec>& fields(Kind k);

// Validates a partial setting: known names only (case-insensitive, emitted canonically), values
// of the right type and range; for mcx, SessionExpirationInterval > SessionShortExpirationInterval
// is checked by resolve-time validation (see check_consistent). Throws
// parley::ParameterValidationFailure naming the field and what is allowed.
boost::json::object validate(Kind k, const boost::json::object& partial);
// For kinds whose fields depend on each other (mcx: long > short interval): checks the merged
// values; throws ParameterValidationFailure.
void check_consistent(Kind k, const boost::json::object& merged);

// One scope's contribution to a resolution: its partial settings and a label saying where they
// come from ("global", "site field-staff (policy fieldwork)", "user bob@example.org (policy contractor)").
struct Layer {
  std::string label;
  boost::json::object settings;
};
// Most specific last: {global, site, user}. Missing layers are simply absent.
struct Resolved {
  boost::json::object values;                 // every field of the kind, with a value
  std::map<std::string, std::string> source;  // field name -> layer label, or "default"
};
Resolved resolve(Kind k, const std::vector<Layer>& layers);

// Typed views of resolved values.
struct MobilityPolicy {
  bool enable_mobility = true;
  bool enable_outside_voice = true;
  bool enable_ip_audio_video = true;
  bool require_wifi_for_ip_audio = false;
  bool require_wifi_for_ip_video = false;
  bool require_wifi_for_sharing = false;
  bool allow_save_call_logs = true;
  bool allow_exchange_connectivity = true;
  bool allow_save_im_history = true;
  bool allow_save_credentials = true;
  bool allow_customer_experience_improvement_program = true;
  bool encrypt_app_data = true;
  bool allow_device_contacts_sync = true;
  bool enable_push_notifications = true;
  std::string voice_settings = "VoIPAlways";  // VoIPAlways | VoIPOverWiFi | Cellular
};
MobilityPolicy mobility_of(const boost::json::object& resolved_values);

struct McxConfig {
  std::uint32_t session_expiration_interval = 259200;
  std::uint32_t session_short_expiration_interval = 3600;
  std::string exposed_web_url = "External";  // Internal | External
};
McxConfig mcx_of(const boost::json::object& resolved_values);

struct PushConfig {
  bool apns = false;     // EnableApplePushNotificationService
  bool fcm = false;      // EnableFirebaseCloudMessaging
  bool web_push = false; // EnableWebPush
  bool previews = false; // EnableMessagePreviews: message text in notifications
};
PushConfig push_of(const boost::json::object& resolved_values);

struct WebServiceConfig {
  std::uint32_t token_lifetime_seconds = 28800;        // 1..604800
  std::uint32_t default_validity_period_hours = 4320;  // 8..8760 (UCWA.md §6.4)
  std::uint32_t min_validity_period_hours = 8;
  std::uint32_t max_validity_period_hours = 8760;
  std::uint32_t pending_get_wait_timeout_minutes = 15; // 5..15
};
WebServiceConfig webservice_of(const boost::json::object& resolved_values);

// What a client's network allows (UCWA.md §6.1 RequireWIFIFor*; DESIGN.md §3 "server-enforced
// policy"). Wired counts as Wi-Fi (not metered); Unknown counts as not Wi-Fi.
enum class NetworkType { wifi, cellular, wired, unknown };
std::string_view to_string(NetworkType n);                  // "Wifi", "Cellular", "Wired", "Unknown"
std::optional<NetworkType> parse_network_type(std::string_view s);  // case-insensitive
enum class Modality { audio, video, sharing };
enum class MediaDecision {
  allowed,
  audio_only,  // video refused but the call proceeds as audio (SfB's RequireWIFIForIPVideo)
  refused,
};
MediaDecision media_allowed(const MobilityPolicy& p, NetworkType network, Modality m);

}  // namespace parley::policy
