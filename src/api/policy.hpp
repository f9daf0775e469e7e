#pragma once
// The mobility policy a user is subject to (Set-CsMobilityPolicy, UCWA.md §6.1) and how the
// `policies` resource shows it (§5.9). Until policies can be set per site and user, every user
// gets the defaults.

#include <boost/json/object.hpp>

#include <string_view>

namespace parley::api {

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
};

MobilityPolicy effective_policy(std::string_view user);

// The `policies` resource's properties (GenericPolicy strings "Enabled"/"Disabled").
boost::json::object policies_properties(const MobilityPolicy& p);

}  // namespace parley::api
