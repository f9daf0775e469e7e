#include "policy/policy.hpp"

#include "common/error.hpp"
#include "common/text.hpp"

#include <string>
#include <utility>

namespace parley::policy {
namespace {

namespace json = boost::json;
using Type = FieldSpec::Type;

FieldSpec flag(std::string_view name, bool default_value, std::string_view help) {
  FieldSpec f{name, Type::boolean, json::value(default_value), 0, 0, {}, help};
  return f;
}
FieldSpec number(std::string_view name, std::int64_t default_value, std::int64_t min,
                 std::int64_t max, std::string_view help) {
  FieldSpec f{name, Type::integer, json::value(default_value), min, max, {}, help};
  return f;
}
FieldSpec choice(std::string_view name, std::string_view default_value,
                 std::vector<std::string_view> choices, std::string_view help) {
  FieldSpec f{name, Type::choice, json::value(default_value), 0, 0, std::move(choices), help};
  return f;
}

std::vector<FieldSpec> mobility_fields() {
  return {
      flag("EnableMobility", true, "User may sign in with a mobile client"),
      flag("EnableOutsideVoice", true, "Call via Work (needs EnableMobility too)"),
      flag("EnableIPAudioVideo", true, "VoIP audio and video from a mobile client"),
      flag("RequireWIFIForIPAudio", false, "VoIP audio only on Wi-Fi or wired networks"),
      flag("RequireWIFIForIPVideo", false, "Video only on Wi-Fi or wired; elsewhere calls are audio"),
      flag("RequireWiFiForSharing", false, "Application sharing only on Wi-Fi or wired networks"),
      flag("AllowSaveCallLogs", true, "Client may keep a local call log"),
      flag("AllowExchangeConnectivity", true, "Client may connect to Exchange"),
      flag("AllowSaveIMHistory", true, "Client may keep IM and meeting transcripts on the device"),
      flag("AllowSaveCredentials", true, "Client may store the password for automatic sign-in"),
      flag("AllowCustomerExperienceImprovementProgram", true, "Client may send usage telemetry"),
      flag("EncryptAppData", true, "Client encrypts its data on the device"),
      flag("AllowDeviceContactsSync", true, "Client may sync device contacts"),
      flag("EnablePushNotifications", true, "Push notifications allowed"),
      choice("VoiceSettings", "VoIPAlways", {"VoIPAlways", "VoIPOverWiFi", "Cellular"},
             "How calls go out: always VoIP, VoIP on Wi-Fi only, or always by cellular callback"),
  };
}

std::vector<FieldSpec> mcx_fields() {
  return {
      number("SessionExpirationInterval", 259200, 120, 4294967295LL,
             "Seconds a push-capable mobile application may stay silent before it expires"),
      number("SessionShortExpirationInterval", 3600, 120, 4294967295LL,
             "Seconds any other application may stay silent before it expires"),
      choice("ExposedWebURL", "External", {"Internal", "External"},
             "Which web-services URL mobility links advertise"),
  };
}

std::vector<FieldSpec> push_fields() {
  return {
      flag("EnableApplePushNotificationService", false, "Send pushes through APNs"),
      flag("EnableFirebaseCloudMessaging", false, "Send pushes through Firebase Cloud Messaging"),
      flag("EnableWebPush", false, "Send pushes to browsers through Web Push"),
      flag("EnableMessagePreviews", false,
           "Notifications show the message text (off: only who and what kind)"),
  };
}

std::vector<FieldSpec> webservice_fields() {
  return {
      number("TokenLifetimeSeconds", 28800, 1, 604800, "Lifetime of a web ticket in seconds"),
      number("DefaultValidityPeriodHours", 4320, 8, 8760,
             "Validity of an issued client certificate unless the client asks otherwise"),
      number("MinValidityPeriodHours", 8, 8, 8760, "Shortest client certificate validity a client may ask for"),
      number("MaxValidityPeriodHours", 8760, 8, 8760, "Longest client certificate validity a client may ask for"),
      number("PendingGetWaitTimeOutInMinutes", 15, 5, 15, "Longest a pending GET is held open"),
  };
}

const FieldSpec* find_field(Kind k, std::string_view name) {
  for (const auto& f : fields(k))
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

std::string known_names(Kind k) {
  std::string out;
  for (const auto& f : fields(k)) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

std::string joined(const std::vector<std::string_view>& values) {
  std::string out;
  for (auto v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

std::optional<std::int64_t> integer_of(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  return std::nullopt;
}

// The value in canonical form, or nullopt with `why` saying what is allowed.
std::optional<json::value> checked(const FieldSpec& f, const json::value& v, std::string& why) {
  switch (f.type) {
    case Type::boolean:
      if (v.is_bool()) return v;
      why = std::string(f.name) + " must be true or false";
      return std::nullopt;
    case Type::integer: {
      const auto n = integer_of(v);
      if (n && *n >= f.min && *n <= f.max) return json::value(*n);
      why = std::string(f.name) + " must be an integer from " + std::to_string(f.min) + " to " +
            std::to_string(f.max);
      return std::nullopt;
    }
    case Type::choice:
      if (v.is_string()) {
        const std::string_view s = v.get_string();
        for (auto c : f.choices)
          if (iequals(c, s)) return json::value(c);
      }
      why = std::string(f.name) + " must be one of " + joined(f.choices);
      return std::nullopt;
  }
  why = std::string(f.name) + " has an unknown type";
  return std::nullopt;
}

// Typed reads of resolved values; a missing or mistyped value falls back to the struct default.
bool flag_of(const json::object& o, std::string_view name, bool fallback) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_bool() ? v->get_bool() : fallback;
}
std::uint32_t u32_of(const json::object& o, std::string_view name, std::uint32_t fallback) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return fallback;
  const auto n = integer_of(*v);
  if (!n || *n < 0 || *n > static_cast<std::int64_t>(UINT32_MAX)) return fallback;
  return static_cast<std::uint32_t>(*n);
}
std::string text_of(const json::object& o, std::string_view name, std::string fallback) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::move(fallback);
}

// check_consistent may be handed a partial object; missing values are the defaults.
std::int64_t integer_or_default(Kind k, const json::object& o, std::string_view name) {
  if (const auto* v = o.if_contains(name))
    if (const auto n = integer_of(*v)) return *n;
  const auto* f = find_field(k, name);
  return f != nullptr ? f->default_value.as_int64() : 0;
}

}  // namespace

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::mobility: return "mobility";
    case Kind::mcx: return "mcx";
    case Kind::push: return "push";
    case Kind::webservice: return "webservice";
  }
  return "unknown";
}

std::optional<Kind> parse_kind(std::string_view s) {
  for (Kind k : {Kind::mobility, Kind::mcx, Kind::push, Kind::webservice})
    if (iequals(to_string(k), s)) return k;
  return std::nullopt;
}

const std::vector<FieldSpec>& fields(Kind k) {
  static const std::vector<FieldSpec> mobility = mobility_fields();
  static const std::vector<FieldSpec> mcx = mcx_fields();
  static const std::vector<FieldSpec> push = push_fields();
  static const std::vector<FieldSpec> webservice = webservice_fields();
  switch (k) {
    case Kind::mobility: return mobility;
    case Kind::mcx: return mcx;
    case Kind::push: return push;
    case Kind::webservice: return webservice;
  }
  return mobility;
}

json::object validate(Kind k, const json::object& partial) {
  json::object out;
  for (const auto& [key, value] : partial) {
    const FieldSpec* f = find_field(k, key);
    if (f == nullptr)
      throw ParameterValidationFailure("unknown setting " + std::string(key) + " for " +
                                       std::string(to_string(k)) + "; known: " + known_names(k));
    if (out.contains(f->name))
      throw ParameterValidationFailure(std::string(f->name) + " is given more than once");
    if (value.is_null()) {
      out[f->name] = nullptr;
      continue;
    }
    std::string why;
    auto v = checked(*f, value, why);
    if (!v) throw ParameterValidationFailure(why);
    out[f->name] = std::move(*v);
  }
  return out;
}

void check_consistent(Kind k, const json::object& merged) {
  if (k == Kind::mcx) {
    const auto long_interval = integer_or_default(k, merged, "SessionExpirationInterval");
    const auto short_interval = integer_or_default(k, merged, "SessionShortExpirationInterval");
    if (long_interval <= short_interval)
      throw ParameterValidationFailure(
          "SessionExpirationInterval (" + std::to_string(long_interval) +
          ") must be greater than SessionShortExpirationInterval (" +
          std::to_string(short_interval) + ")");
  } else if (k == Kind::webservice) {
    const auto min = integer_or_default(k, merged, "MinValidityPeriodHours");
    const auto def = integer_or_default(k, merged, "DefaultValidityPeriodHours");
    const auto max = integer_or_default(k, merged, "MaxValidityPeriodHours");
    if (min > def || def > max)
      throw ParameterValidationFailure(
          "MinValidityPeriodHours (" + std::to_string(min) + ") <= DefaultValidityPeriodHours (" +
          std::to_string(def) + ") <= MaxValidityPeriodHours (" + std::to_string(max) +
          ") must hold");
  }
}

Resolved resolve(Kind k, const std::vector<Layer>& layers) {
  Resolved r;
  for (const auto& f : fields(k)) {
    r.values[f.name] = f.default_value;
    r.source[std::string(f.name)] = "default";
  }
  // Layers come from storage, possibly written by an older version: a setting that is unknown or
  // no longer valid is skipped rather than poisoning every read.
  for (const auto& layer : layers) {
    for (const auto& [key, value] : layer.settings) {
      const FieldSpec* f = find_field(k, key);
      if (f == nullptr || value.is_null()) continue;
      std::string why;
      auto v = checked(*f, value, why);
      if (!v) continue;
      r.values[f->name] = std::move(*v);
      r.source[std::string(f->name)] = layer.label;
    }
  }
  return r;
}

MobilityPolicy mobility_of(const json::object& v) {
  MobilityPolicy p;
  p.enable_mobility = flag_of(v, "EnableMobility", p.enable_mobility);
  p.enable_outside_voice = flag_of(v, "EnableOutsideVoice", p.enable_outside_voice);
  p.enable_ip_audio_video = flag_of(v, "EnableIPAudioVideo", p.enable_ip_audio_video);
  p.require_wifi_for_ip_audio = flag_of(v, "RequireWIFIForIPAudio", p.require_wifi_for_ip_audio);
  p.require_wifi_for_ip_video = flag_of(v, "RequireWIFIForIPVideo", p.require_wifi_for_ip_video);
  p.require_wifi_for_sharing = flag_of(v, "RequireWiFiForSharing", p.require_wifi_for_sharing);
  p.allow_save_call_logs = flag_of(v, "AllowSaveCallLogs", p.allow_save_call_logs);
  p.allow_exchange_connectivity =
      flag_of(v, "AllowExchangeConnectivity", p.allow_exchange_connectivity);
  p.allow_save_im_history = flag_of(v, "AllowSaveIMHistory", p.allow_save_im_history);
  p.allow_save_credentials = flag_of(v, "AllowSaveCredentials", p.allow_save_credentials);
  p.allow_customer_experience_improvement_program =
      flag_of(v, "AllowCustomerExperienceImprovementProgram",
              p.allow_customer_experience_improvement_program);
  p.encrypt_app_data = flag_of(v, "EncryptAppData", p.encrypt_app_data);
  p.allow_device_contacts_sync = flag_of(v, "AllowDeviceContactsSync", p.allow_device_contacts_sync);
  p.enable_push_notifications = flag_of(v, "EnablePushNotifications", p.enable_push_notifications);
  p.voice_settings = text_of(v, "VoiceSettings", p.voice_settings);
  return p;
}

McxConfig mcx_of(const json::object& v) {
  McxConfig c;
  c.session_expiration_interval =
      u32_of(v, "SessionExpirationInterval", c.session_expiration_interval);
  c.session_short_expiration_interval =
      u32_of(v, "SessionShortExpirationInterval", c.session_short_expiration_interval);
  c.exposed_web_url = text_of(v, "ExposedWebURL", c.exposed_web_url);
  return c;
}

PushConfig push_of(const json::object& v) {
  PushConfig c;
  c.apns = flag_of(v, "EnableApplePushNotificationService", c.apns);
  c.fcm = flag_of(v, "EnableFirebaseCloudMessaging", c.fcm);
  c.web_push = flag_of(v, "EnableWebPush", c.web_push);
  c.previews = flag_of(v, "EnableMessagePreviews", c.previews);
  return c;
}

WebServiceConfig webservice_of(const json::object& v) {
  WebServiceConfig c;
  c.token_lifetime_seconds = u32_of(v, "TokenLifetimeSeconds", c.token_lifetime_seconds);
  c.default_validity_period_hours =
      u32_of(v, "DefaultValidityPeriodHours", c.default_validity_period_hours);
  c.min_validity_period_hours = u32_of(v, "MinValidityPeriodHours", c.min_validity_period_hours);
  c.max_validity_period_hours = u32_of(v, "MaxValidityPeriodHours", c.max_validity_period_hours);
  c.pending_get_wait_timeout_minutes =
      u32_of(v, "PendingGetWaitTimeOutInMinutes", c.pending_get_wait_timeout_minutes);
  return c;
}

std::string_view to_string(NetworkType n) {
  switch (n) {
    case NetworkType::wifi: return "Wifi";
    case NetworkType::cellular: return "Cellular";
    case NetworkType::wired: return "Wired";
    case NetworkType::unknown: return "Unknown";
  }
  return "Unknown";
}

std::optional<NetworkType> parse_network_type(std::string_view s) {
  for (NetworkType n :
       {NetworkType::wifi, NetworkType::cellular, NetworkType::wired, NetworkType::unknown})
    if (iequals(to_string(n), s)) return n;
  if (iequals(s, "Wi-Fi")) return NetworkType::wifi;
  return std::nullopt;
}

MediaDecision media_allowed(const MobilityPolicy& p, NetworkType network, Modality m) {
  // Wired is as good as Wi-Fi here: the rules exist to spare metered mobile data.
  const bool wifi = network == NetworkType::wifi || network == NetworkType::wired;
  const bool audio_refused = !p.enable_ip_audio_video || (p.require_wifi_for_ip_audio && !wifi);
  switch (m) {
    case Modality::audio:
      return audio_refused ? MediaDecision::refused : MediaDecision::allowed;
    case Modality::video:
      if (audio_refused) return MediaDecision::refused;
      if (p.require_wifi_for_ip_video && !wifi) return MediaDecision::audio_only;
      return MediaDecision::allowed;
    case Modality::sharing:
      return p.require_wifi_for_sharing && !wifi ? MediaDecision::refused : MediaDecision::allowed;
  }
  return MediaDecision::refused;
}

}  // namespace parley::policy
