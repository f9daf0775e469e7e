#include "events/package.hpp"

#include "common/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>

namespace parley::events::detail {
namespace {

namespace json = boost::json;

json::object link_json(const Link& l) {
  json::object o;
  o["rel"] = l.rel;
  o["href"] = l.href;
  if (!l.title.empty()) o["title"] = l.title;
  return o;
}

json::object href_json(std::string href) {
  json::object o;
  o["href"] = std::move(href);
  return o;
}

// The producers hand in serialized objects; one that does not parse as an object is left out
// rather than sent broken, so a single bad producer cannot corrupt the whole package.
std::optional<json::object> parse_object(std::string_view text) {
  if (text.empty()) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

json::object event_json(const Event& e) {
  json::object o;
  o["link"] = link_json(e.link);
  if (e.in) o["in"] = link_json(*e.in);
  o["type"] = to_string(e.type);
  if (!e.status.empty()) o["status"] = e.status;
  if (auto reason = parse_object(e.reason)) o["reason"] = std::move(*reason);
  if (auto embedded = parse_object(e.embedded)) {
    json::object wrap;
    wrap[e.link.rel] = std::move(*embedded);
    o["_embedded"] = std::move(wrap);
  }
  return o;
}

}  // namespace

std::string instance_query(std::string_view instance_id) {
  if (instance_id.empty()) return {};
  return "&instanceId=" + percent_encode(instance_id);
}

std::string events_href(std::string_view events_path, std::string_view instance_query,
                        std::uint64_t ack) {
  std::string href(events_path);
  href += "?ack=";
  href += std::to_string(ack);
  href += instance_query;
  return href;
}

std::string package_body(std::string_view events_path, std::string_view instance_query,
                         std::uint64_t ack, const std::vector<Event>& events, bool resume) {
  json::object links;
  links["self"] = href_json(events_href(events_path, instance_query, ack));
  links["next"] = href_json(events_href(events_path, instance_query, ack + 1));
  // Some clients stop when `next` is missing, so `resume` travels beside it, not instead.
  if (resume) links["resume"] = href_json(events_href(events_path, instance_query, ack + 1));

  // An operation's `completed` closes it on the client; anything about the same operation in
  // this package must be seen first.
  std::vector<const Event*> ordered;
  ordered.reserve(events.size());
  for (const Event& e : events) ordered.push_back(&e);
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const Event* e) { return e->type != EventType::completed; });

  json::array senders;
  const Event* previous = nullptr;
  for (const Event* e : ordered) {
    bool same_sender = previous && previous->sender.rel == e->sender.rel &&
                       previous->sender.href == e->sender.href;
    if (!same_sender) {
      json::object s;
      s["rel"] = e->sender.rel;
      s["href"] = e->sender.href;
      s["events"] = json::array{};
      senders.push_back(std::move(s));
    }
    senders.back().as_object()["events"].as_array().push_back(event_json(*e));
    previous = e;
  }

  json::object body;
  body["_links"] = std::move(links);
  body["sender"] = std::move(senders);
  return json::serialize(body);
}

std::string resync_body(std::string_view events_path, std::string_view instance_query,
                        std::uint64_t first_unacked) {
  json::object links;
  links["resync"] = href_json(events_href(events_path, instance_query, first_unacked));
  json::object body;
  body["_links"] = std::move(links);
  return json::serialize(body);
}

}  // namespace parley::events::detail
