#pragma once
// Engine-side state of an application (engine.hpp's Application::Private), shared by the files
// of src/api/. Guarded by `mutex` unless a member says otherwise.

#include "api/engine.hpp"
#include "events/event_channel.hpp"
#include "policy/policy.hpp"
#include "storage/store.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley::api {

// What makeMeAvailable (UCWA.md §5.1) set, shown by `communication`.
struct Availability {
  std::vector<std::string> modalities;       // supportedModalities
  std::vector<std::string> message_formats;  // supportedMessageFormats
  std::string phone_number;
  std::string audio_preference = "VoipAudio";
};

// The last network the application reported (reportMyNetwork).
struct ReportedNetwork {
  std::string client_network_type;  // "Internal" | "External"; empty: never reported
  // Parley's extension property `networkType`: "Wifi" | "Cellular" | "Wired" | "Unknown"; empty:
  // never reported. Decides media_allowed (policy/policy.hpp).
  std::string network_type;
  std::string ip, subnet_id, mac, wap_bssid, chassis_id, port_id;
  std::int64_t rssi = 0;
  // What media decisions go by: the reported type, else Wi-Fi when a BSSID was reported.
  policy::NetworkType media_network() const {
    if (auto t = policy::parse_network_type(network_type)) return *t;
    return wap_bssid.empty() ? policy::NetworkType::unknown : policy::NetworkType::wifi;
  }
};

struct Application::Private {
  using Clock = std::chrono::steady_clock;

  mutable std::mutex mutex;
  // One event channel per instance ("" when the client gave no instanceId).
  std::map<std::string, std::shared_ptr<events::EventChannel>> channels;
  bool available = false;
  bool gone = false;
  Availability availability;
  ReportedNetwork network;
  std::uint64_t communication_etag = 1;
  Clock::time_point last_request = Clock::now();
  bool used_event_channel = false;
  // The owner's directory entry, refreshed when older than a minute (`me` is read often).
  storage::User user;
  Clock::time_point user_loaded{};
  // Requests of this application being served right now (a waiting P-GET is one).
  std::atomic<int> in_flight{0};
  // Set when the device registered for push notifications (pushNotificationRegistration): the
  // engine then hands this application's events to the observer (which wakes the device when
  // nobody fetches them), and a mobile application keeps the long session. Written under
  // `mutex`, read without it.
  std::atomic<bool> push_registered{false};
  // Set once, before the application is visible to others; immutable afterwards.
  std::shared_ptr<const EventObserver> observer;
};


}  // namespace parley::api
