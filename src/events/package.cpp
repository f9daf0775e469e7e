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

json::object event_json(Event& e) {
  json::object o;
  o["link"] = link_json(e.link);
  if (e.in) o["in"] = link_json(*e.in);
  o["type"] = to_string(e.type);
  if (!e.status.empty()) o["status"] = e.status;
  if (!e.reason.empty()) o["reason"] = std::move(e.reason);
  if (!e.embedded.empty()) o["_embedded"] = json::object{{e.link.rel, std::move(e.embedded)}};
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
                         std::uint64_t ack, std::vector<Event>& events, bool resume) {
  json::object links;
  links["self"] = href_json(events_href(events_path, instance_query, ack));
  links["next"] = href_json(events_href(events_path, instance_query, ack + 1));
  // Some clients stop when `next` is missing, so `resume` travels beside it, not instead.
  if (resume) links["resume"] = href_json(events_href(events_path, instance_query, ack + 1));

  // An operation's `completed` closes it on the client; anything about the same operation in
  // this package must be seen first.
  std::vector<Event*> ordered;
  ordered.reserve(events.size());
  for (Event& e : events) ordered.push_back(&e);
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const Event* e) { return e->type != EventType::completed; });

  json::array senders;
  const Event* previous = nullptr;
  for (Event* e : ordered) {
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
