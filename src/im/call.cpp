// Calls: ringing every endpoint of the callee, answering on one, declining, cancelling, the ring
// timeout, hanging up, and the call logs of both sides (docs/calls.md).
#include "im/call_service.hpp"

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "http/target.hpp"
#include "im/history_routes.hpp"
#include "proto/ucwa/body.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/json/array.hpp>

namespace parley::im {

namespace asio = boost::asio;
namespace json = boost::json;
namespace sdp = proto::sdp;
using api::Application;
using events::EventType;
using events::Priority;

namespace {

constexpr std::size_t kMaxSubject = 250;     // UCWA.md §7
constexpr std::size_t kMaxOperationId = 50;  // UCWA.md §7
constexpr std::size_t kMaxThreadId = 64;
constexpr std::size_t kMaxSessionContext = 50;  // UCWA.md §5.5

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object reason(std::string_view code, std::string_view subcode, std::string_view message) {
  return json::object{{"code", code}, {"subcode", subcode}, {"message", message}};
}

// "bob@example.org" from "sip:Bob@Example.org"; nullopt for anything that is not an address.
std::optional<std::string> address_of(std::string_view uri) {
  std::string s = lower(trim(uri));
  if (s.starts_with("sip:")) s.erase(0, 4);
  const auto at = s.find('@');
  if (s.empty() || s.size() > 256 || at == 0 || at == std::string::npos || at != s.rfind('@') ||
      !is_dns_name(s.substr(at + 1)))
    return std::nullopt;
  return s;
}

// Runs `work` on `executor`, logging (never throwing) a failure.
void spawn(asio::any_io_executor executor, asio::awaitable<void> work, std::string what) {
  asio::co_spawn(executor, std::move(work), [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      logger("calls")->warn("{}: {}", what, ex.what());
    }
  });
}

}  // namespace

CallService::CallService(api::Engine& engine, CallLimits limits)
    : engine_(engine), ctx_(engine.context()), limits_(limits) {}

// ---- lookups --------------------------------------------------------------------------------

CallService::CallPtr CallService::find(std::string_view id) const {
  std::shared_lock lock(index_mutex_);
  auto it = calls_.find(std::string(id));
  return it == calls_.end() ? nullptr : it->second;
}

CallService::CallPtr CallService::find_by_invitation(std::string_view id) const {
  std::shared_lock lock(index_mutex_);
  auto it = invitation_index_.find(std::string(id));
  if (it == invitation_index_.end()) return nullptr;
  auto c = calls_.find(it->second);
  return c == calls_.end() ? nullptr : c->second;
}

void CallService::index(const CallPtr& c) {
  std::unique_lock lock(index_mutex_);
  calls_[c->id] = c;
  invitation_index_[c->invitation_id] = c->id;
}

void CallService::unindex(const Call& c) {
  std::unique_lock lock(index_mutex_);
  calls_.erase(c.id);
  invitation_index_.erase(c.invitation_id);
}

std::vector<CallService::CallPtr> CallService::all() const {
  std::shared_lock lock(index_mutex_);
  std::vector<CallPtr> out;
  out.reserve(calls_.size());
  for (const auto& [id, c] : calls_) out.push_back(c);
  return out;
}

CallService::CallPtr CallService::member_call(const Application& app, std::string_view id) const {
  if (auto c = find(id)) {
    std::lock_guard lock(c->mutex);
    if (c->member(app)) return c;
  }
  if (tombstones_.ended_for(id, app.id()))
    throw Gone("the call has ended; start a new one", "ConversationEnded");
  throw NotFound("no such conversation");
}

void CallService::missing_invitation(const Application& app, std::string_view id) const {
  if (tombstones_.ended_for(id, app.id()))
    throw Gone("the call invitation has already ended (answered, declined, cancelled or timed out)",
               "InvitationEnded");
  throw NotFound("no such invitation");
}

// ---- policy -------------------------------------------------------------------------------------

asio::awaitable<policy::MobilityPolicy> CallService::policy_of(std::string user) {
  storage::Store* store = ctx_.store;
  auto find = [store, user] { return store->find_user(user); };
  const auto record = co_await ctx_.pool->store(find);
  const std::string site = record ? record->profile.site : std::string();
  co_return ctx_.policies->mobility(user, site);
}

MediaRights CallService::rights_of(const policy::MobilityPolicy& p, const Application& app) {
  auto& state = app.state();
  policy::NetworkType network;
  {
    std::lock_guard lock(state.mutex);
    network = state.network.media_network();
  }
  return MediaRights{policy::media_allowed(p, network, policy::Modality::video)};
}

// ---- events -------------------------------------------------------------------------------------

void CallService::push(Application& app, std::string_view sender_rel, const std::string& sender_href,
                       std::string_view rel, const std::string& href, EventType type,
                       json::object embedded, std::string_view status, json::object why) {
  events::Event e;
  e.sender = {std::string(sender_rel), sender_href, ""};
  e.link = {std::string(rel), href, ""};
  e.type = type;
  e.priority = Priority::high;
  e.embedded = std::move(embedded);
  e.status = std::string(status);
  e.reason = std::move(why);
  app.push(std::move(e));
}

void CallService::push_comm(Application& app, std::string_view rel, const std::string& href,
                            EventType type, json::object embedded, std::string_view status,
                            json::object why) {
  push(app, "communication", app.href("/communication"), rel, href, type, std::move(embedded),
       status, std::move(why));
}

void CallService::push_conv(Application& app, const Call& c, std::string_view rel,
                            const std::string& href, EventType type, json::object embedded,
                            std::string_view status) {
  push(app, "conversation", call_conv_href(app, c), rel, href, type, std::move(embedded), status);
}

// ---- ringing and its end --------------------------------------------------------------------

void CallService::end_ringing_locked(Call& c, std::string_view outcome) {
  if (c.state != CallState::ringing) return;
  const bool accepted = outcome == "accepted";
  for (const auto& [app_id, endpoint] : c.ringing) {
    tombstones_.bury(c.invitation_id, app_id);
    if (app_id == c.callee_app) continue;
    tombstones_.bury(c.id, app_id);
    auto app = app_of(app_id);
    if (!app) continue;
    push_comm(*app, "audioVideoInvitation", call_inv_href(*app, c), EventType::completed,
              call_invitation_json(*app, c, true, "Failed"), "Failed",
              accepted                ? reason("Gone", "AnsweredElsewhere", "answered on another device")
              : outcome == "declined" ? reason("Gone", "Declined", "declined on another device")
                                      : reason("Gone", "MissedCall", "the call ended before anyone answered"));
    push_comm(*app, "conversation", call_conv_href(*app, c), EventType::deleted,
              call_conversation_json(*app, c, "Disconnected"));
  }
  c.ringing.clear();
  if (accepted) return;

  tombstones_.bury(c.invitation_id, c.caller_app);
  tombstones_.bury(c.id, c.caller_app);
  if (auto caller = app_of(c.caller_app)) {
    push_comm(*caller, "audioVideoInvitation", call_inv_href(*caller, c), EventType::completed,
              call_invitation_json(*caller, c, false, "Failed"), "Failed",
              outcome == "declined"      ? reason("Forbidden", "Declined", "the call was declined")
              : outcome == "timeout"     ? reason("Timeout", "NoAnswer", "nobody answered the call")
              : outcome == "unreachable" ? reason("NotFound", "TemporarilyUnavailable",
                                                  "the person cannot take calls right now")
                                         : reason("Gone", "Cancelled", "the call was cancelled"));
    push_conv(*caller, c, "audioVideo", call_conv_href(*caller, c) + "/audioVideo", EventType::updated,
              audio_video_json(*caller, c, "Disconnected"));
    push_comm(*caller, "conversation", call_conv_href(*caller, c), EventType::deleted,
              call_conversation_json(*caller, c, "Disconnected"));
  }
  c.state = CallState::ended;
  unindex(c);
  record_end(c, outcome != "declined");
}

void CallService::hang_up_locked(Call& c) {
  if (c.state != CallState::connected) return;
  c.state = CallState::ended;
  c.renegotiation.reset();
  for (const std::string* app_id : {&c.caller_app, &c.callee_app}) {
    tombstones_.bury(c.id, *app_id);
    auto app = app_of(*app_id);
    if (!app) continue;
    push_conv(*app, c, "audioVideo", call_conv_href(*app, c) + "/audioVideo", EventType::updated,
              audio_video_json(*app, c, "Disconnected"));
    push_comm(*app, "conversation", call_conv_href(*app, c), EventType::deleted,
              call_conversation_json(*app, c, "Disconnected"));
  }
  unindex(c);
  record_end(c, false);
}

// Both sides' history: the call's type and length; for the callee, a missed call when nobody
// answered. Off the request path.
void CallService::record_end(const Call& c, bool missed) {
  const auto executor = engine_.executor();
  if (!executor) return;  // not serving (unit tests without a running engine)
  const std::string id = c.id, callee = c.callee, type = c.video_used ? "VideoLog" : "AudioLog";
  const std::int64_t end = now_ms();
  const std::int64_t duration = c.answered_ms > 0 ? end - c.answered_ms : 0;
  storage::Store* store = ctx_.store;
  runtime::BlockingPool* pool = ctx_.pool;
  api::Engine* engine = &engine_;
  auto work = [](storage::Store* store, runtime::BlockingPool* pool, api::Engine* engine,
                 std::string id, std::string callee, std::string type, std::int64_t duration,
                 std::int64_t end, bool missed) -> asio::awaitable<void> {
    auto finish = [store, id, type, duration, end] {
      store->finish_call(id, type, duration, end);
      return true;
    };
    co_await pool->store(finish);
    if (!missed) co_return;
    auto mark = [store, callee, id] { return store->mark_missed(callee, id); };
    co_await pool->store(mark);
    co_await announce_missed_items(*engine, callee);
  };
  spawn(executor, work(store, pool, engine, id, callee, type, duration, end, missed),
        "could not record the end of call " + id);
}

// ---- requests -------------------------------------------------------------------------------

asio::awaitable<http::Response> CallService::start(http::Request& req, Application& app) {
  const std::string offer_text = sdp_of_request(req.headers.get("Content-Type"), req.body, "mediaOffer");
  const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body,
                                                          kMaxSdpRequestBytes);
  const auto to = address_of(body.string("to", 260).value_or(http::query_param(req.query, "to")));
  if (!to) throw ParameterValidationFailure("to must be a SIP URI such as sip:bob@example.org");
  if (*to == app.owner()) throw ParameterValidationFailure("a call needs someone else");
  std::string importance = body.string("importance", 16).value_or("Normal");
  if (iequals(importance, "normal")) importance = "Normal";
  else if (iequals(importance, "urgent")) importance = "Urgent";
  else if (iequals(importance, "emergency")) importance = "Emergency";
  else throw ParameterValidationFailure("importance must be Normal, Urgent or Emergency");
  auto d = checked_sdp(offer_text, "mediaOffer");

  auto call = std::make_shared<Call>();
  call->id = random_id();
  call->invitation_id = random_id();
  call->subject = body.string("subject", kMaxSubject).value_or("");
  call->importance = importance;
  call->operation_id = body.string("operationId", kMaxOperationId).value_or("");
  call->session_context = body.string("sessionContext", kMaxSessionContext).value_or("");
  call->thread_id = body.string("threadId", kMaxThreadId).value_or("");
  if (call->thread_id.empty()) call->thread_id = random_token(12);
  call->caller = app.owner();
  call->caller_app = app.id();
  call->callee = *to;

  // The caller's policy, on the network her endpoint reported.
  const auto caller_policy = co_await policy_of(app.owner());
  const MediaRights caller_rights = rights_of(caller_policy, app);
  if (!caller_rights.audio()) refuse_media(caller_policy);
  if (http::query_param(req.query, "modality") == "Audio" && sdp::uses(d, "video")) sdp::reject(d, "video");
  const std::string offer = apply_rights(std::move(d), caller_rights, call->caller_restriction);
  const auto offered = sdp::parse(offer);
  call->video = call->video_used = offered.description && sdp::uses(*offered.description, "video");

  // The callee, and which of her endpoints may ring with what.
  storage::Store* store = ctx_.store;
  const std::string target = *to;
  auto find_callee = [store, target] { return store->find_user(target); };
  const auto callee = co_await ctx_.pool->store(find_callee);
  const bool exists = callee && callee->enabled;
  const auto callee_policy = exists ? ctx_.policies->mobility(target, callee->profile.site)
                                    : policy::MobilityPolicy{};
  if (exists) {
    // Durable before the 201: the call is in both histories even if the server stops now.
    storage::ConversationRecord record{call->id, call->thread_id, call->subject, call->importance,
                                       app.owner(), now_ms(), call->video ? "VideoLog" : "AudioLog"};
    const std::vector<std::string> participants{app.owner(), target};
    auto create = [store, record, participants] { store->create_conversation(record, participants); };
    co_await ctx_.pool->store(create);
  }

  const std::string location = call_inv_href(app, *call);
  std::lock_guard lock(call->mutex);
  call->deadline = Clock::now() + engine_.scaled(limits_.ring_timeout);
  push_comm(app, "audioVideoInvitation", location, EventType::started,
            call_invitation_json(app, *call, false, "Connecting"));
  if (!exists) {
    tombstones_.bury(call->invitation_id, app.id());
    push_comm(app, "audioVideoInvitation", location, EventType::completed,
              call_invitation_json(app, *call, false, "Failed"), "Failed",
              reason("NotFound", "DestinationNotFound", "no such user"));
    auto res = http::Response::empty(201);
    res.headers.set("Location", location);
    co_return res;
  }
  push_comm(app, "conversation", call_conv_href(app, *call), EventType::added,
            call_conversation_json(app, *call));
  push_conv(app, *call, "localParticipant", call_conv_href(app, *call) + "/participants/" + app.owner(),
            EventType::added, participant_json_at(app, call_conv_href(app, *call), app.owner()));
  push_conv(app, *call, "audioVideo", call_conv_href(app, *call) + "/audioVideo", EventType::updated,
            audio_video_json(app, *call));
  index(call);

  for (auto& endpoint : engine_.applications_of(target)) {
    auto& p = endpoint->state();
    {
      std::lock_guard state_lock(p.mutex);
      if (!p.available) continue;
      const auto& m = p.availability.modalities;
      if (std::find(m.begin(), m.end(), "Audio") == m.end() &&
          std::find(m.begin(), m.end(), "AudioVideo") == m.end())
        continue;  // it did not say it can take calls
    }
    const MediaRights rights = rights_of(callee_policy, *endpoint);
    if (!rights.audio()) continue;
    RingingEndpoint ringing;
    auto copy = sdp::parse(offer);
    try {
      ringing.offer = apply_rights(std::move(*copy.description), rights, ringing.restriction);
    } catch (const Forbidden&) {
      continue;  // a video-only offer this endpoint may not take
    }
    call->ringing[endpoint->id()] = std::move(ringing);
    const std::string conv = call_conv_href(*endpoint, *call);
    push_comm(*endpoint, "audioVideoInvitation", call_inv_href(*endpoint, *call), EventType::started,
              call_invitation_json(*endpoint, *call, true, "Connecting"));
    push_comm(*endpoint, "conversation", conv, EventType::added,
              call_conversation_json(*endpoint, *call, "Incoming"));
    push_conv(*endpoint, *call, "localParticipant", conv + "/participants/" + target, EventType::added,
              participant_json_at(*endpoint, conv, target));
    push_conv(*endpoint, *call, "participant", conv + "/participants/" + app.owner(), EventType::added,
              participant_json_at(*endpoint, conv, app.owner()));
  }
  if (call->ringing.empty()) end_ringing_locked(*call, "unreachable");
  auto res = http::Response::empty(201);
  res.headers.set("Location", location);
  co_return res;
}

asio::awaitable<http::Response> CallService::accept(http::Request& req, Application& app) {
  const std::string inv = req.params["inv"];
  const std::string answer_text = sdp_of_request(req.headers.get("Content-Type"), req.body, "mediaAnswer");
  const std::string session_context = http::query_param(req.query, "sessionContext");
  if (session_context.size() > kMaxSessionContext)
    throw ParameterValidationFailure("sessionContext holds at most 50 characters");
  auto d = checked_sdp(answer_text, "mediaAnswer");
  auto c = find_by_invitation(inv);
  if (!c) missing_invitation(app, inv);
  {
    std::lock_guard lock(c->mutex);
    if (c->state != CallState::ringing || !c->ringing.count(app.id())) missing_invitation(app, inv);
  }
  const auto callee_policy = co_await policy_of(app.owner());
  const MediaRights rights = rights_of(callee_policy, app);
  if (!rights.audio()) refuse_media(callee_policy);

  std::lock_guard lock(c->mutex);
  // Checked again: another endpoint may have answered while the policy was read.
  auto ringing = c->ringing.find(app.id());
  if (c->state != CallState::ringing || ringing == c->ringing.end()) missing_invitation(app, inv);
  std::string restriction = ringing->second.restriction;
  // RFC 3264 §6: what the offer rejected the answer rejects too. Without this, an answer that
  // kept video would turn video on for a caller whose policy had it taken out of her offer.
  if (const auto offered = sdp::parse(ringing->second.offer);
      offered.description && !sdp::uses(*offered.description, "video"))
    sdp::reject(d, "video");
  const std::string answer = apply_rights(std::move(d), rights, restriction);
  c->callee_restriction = restriction;
  c->callee_app = app.id();
  const auto answered = sdp::parse(answer);
  c->video = c->video && answered.description && sdp::uses(*answered.description, "video");
  // The offer's video counts only if the answer took it: an audio answer makes an AudioLog.
  c->video_used = c->video;
  end_ringing_locked(*c, "accepted");
  c->state = CallState::connected;
  c->answered_ms = now_ms();

  if (auto caller = app_of(c->caller_app)) {
    const std::string conv = call_conv_href(*caller, *c);
    push_conv(*caller, *c, "audioVideoNegotiation", conv + "/audioVideo/negotiations/1",
              EventType::completed, negotiation_json(*caller, *c, answer), "Success");
    json::object done = call_invitation_json(*caller, *c, false, "Connected");
    done["_embedded"] = json::object{
        {"acceptedByParticipant", json::array{participant_json_at(*caller, conv, c->callee)}}};
    push_comm(*caller, "audioVideoInvitation", call_inv_href(*caller, *c), EventType::completed,
              std::move(done), "Success");
    push_comm(*caller, "conversation", conv, EventType::updated, call_conversation_json(*caller, *c));
    events::Event added;
    added.sender = {"conversation", conv, ""};
    added.link = {"participant", conv + "/participants/" + c->callee, ""};
    added.in = events::Link{"participants", conv + "/participants", ""};
    added.type = EventType::added;
    added.priority = Priority::high;
    added.embedded = participant_json_at(*caller, conv, c->callee);
    caller->push(std::move(added));
    push_conv(*caller, *c, "audioVideo", conv + "/audioVideo", EventType::updated,
              audio_video_json(*caller, *c));
  }
  const std::string conv = call_conv_href(app, *c);
  push_conv(app, *c, "audioVideo", conv + "/audioVideo", EventType::updated, audio_video_json(app, *c));
  push_comm(app, "conversation", conv, EventType::updated, call_conversation_json(app, *c));
  push_comm(app, "audioVideoInvitation", call_inv_href(app, *c), EventType::completed,
            call_invitation_json(app, *c, true, "Connected"), "Success");
  // She has seen this call: it is not unread in her history.
  if (const auto executor = engine_.executor()) {
    storage::Store* store = ctx_.store;
    runtime::BlockingPool* pool = ctx_.pool;
    const std::string owner = app.owner(), id = c->id;
    auto read = [](storage::Store* store, runtime::BlockingPool* pool, std::string owner,
                   std::string id) -> asio::awaitable<void> {
      auto job = [store, owner, id] { return store->mark_log_read(owner, id); };
      co_await pool->store(job);
    };
    spawn(executor, read(store, pool, owner, id), "could not mark a call as read");
  }
  co_return http::Response::empty(204);
}

asio::awaitable<http::Response> CallService::decline(http::Request& req, Application& app) {
  const std::string inv = req.params["inv"];
  const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
  (void)body.string("reason", 64);  // checked, not kept: the caller hears "declined" either way
  auto c = find_by_invitation(inv);
  if (!c) missing_invitation(app, inv);
  std::lock_guard lock(c->mutex);
  if (c->state != CallState::ringing || !c->ringing.count(app.id())) missing_invitation(app, inv);
  end_ringing_locked(*c, "declined");
  co_return http::Response::empty(204);
}

asio::awaitable<http::Response> CallService::cancel(http::Request& req, Application& app) {
  const std::string inv = req.params["inv"];
  auto c = find_by_invitation(inv);
  if (!c) missing_invitation(app, inv);
  std::lock_guard lock(c->mutex);
  if (c->state != CallState::ringing || c->caller_app != app.id()) missing_invitation(app, inv);
  end_ringing_locked(*c, "cancelled");
  co_return http::Response::empty(204);
}

asio::awaitable<http::Response> CallService::hang_up(http::Request& req, Application& app) {
  if (!leave(app, req.params["c"])) member_call(app, req.params["c"]);  // 410 or 404
  co_return http::Response::empty(204);
}

bool CallService::leave(Application& app, std::string_view id) {
  auto c = find(id);
  if (!c) return false;
  std::lock_guard lock(c->mutex);
  if (c->state == CallState::ringing && c->caller_app == app.id()) {
    end_ringing_locked(*c, "cancelled");
    return true;
  }
  if (c->state == CallState::connected && c->member(app)) {
    hang_up_locked(*c);
    return true;
  }
  return false;
}

void CallService::tick() {
  const auto now = Clock::now();
  for (auto& c : all()) {
    std::lock_guard lock(c->mutex);
    if (c->state == CallState::ringing && c->deadline <= now) end_ringing_locked(*c, "timeout");
    if (c->renegotiation && c->renegotiation->deadline <= now)
      end_renegotiation_locked(*c, false, {}, "nobody answered the renegotiation");
  }
}

// The application went (deleted, expired, resumed): its calls end, its ringing stops.
void CallService::reset(Application& app) {
  for (auto& c : all()) {
    std::lock_guard lock(c->mutex);
    if (c->state == CallState::ringing) {
      if (c->caller_app == app.id()) {
        end_ringing_locked(*c, "cancelled");
      } else if (c->ringing.erase(app.id()) && c->ringing.empty()) {
        tombstones_.bury(c->invitation_id, app.id());
        end_ringing_locked(*c, "unreachable");
      }
    } else if (c->state == CallState::connected && c->member(app)) {
      hang_up_locked(*c);
    }
  }
}

}  // namespace parley::im
