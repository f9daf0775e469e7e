#include "api/policy.hpp"

namespace parley::api {

boost::json::object policies_properties(const policy::MobilityPolicy& p) {
  auto g = [](bool on) { return on ? "Enabled" : "Disabled"; };
  boost::json::object o;
  // Messaging and privacy: what this server supports.
  o["htmlMessaging"] = "Enabled";
  o["emoticons"] = "Enabled";
  o["messagingUrls"] = "Enabled";
  o["photos"] = "Enabled";
  o["messageArchiving"] = "Disabled";
  o["callLogArchiving"] = "Disabled";
  o["logging"] = "Disabled";
  o["loggingLevel"] = "Off";
  // The mobility policy's mirror (UCWA.md §5.9 mapping).
  o["saveCallLogs"] = g(p.allow_save_call_logs);
  o["saveMessagingHistory"] = g(p.allow_save_im_history);
  o["saveCredentials"] = g(p.allow_save_credentials);
  o["clientExchangeConnectivity"] = g(p.allow_exchange_connectivity);
  o["encryptAppData"] = g(p.encrypt_app_data);
  o["allowDeviceContactsSync"] = g(p.allow_device_contacts_sync);
  o["customerExperienceImprovementProgram"] = g(p.allow_customer_experience_improvement_program);
  o["audioOnlyOnWifi"] = g(p.require_wifi_for_ip_audio);
  o["videoOnlyOnWifi"] = g(p.require_wifi_for_ip_video);
  o["sharingOnlyOnWifi"] = g(p.require_wifi_for_sharing);
  o["telephonyMode"] = p.enable_ip_audio_video ? "AudioVideo" : "Disabled";
  o["exchangeUnifiedMessaging"] = "Disabled";
  o["multiViewJoin"] = "Disabled";
  return o;
}

}  // namespace parley::api
