#include "http/message.hpp"
#include "common/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace parley::http {
namespace {


}  // namespace

std::string_view to_string(Site s) {
  return s == Site::internal ? "internal" : "external";
}

std::string_view Headers::get(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (iequals(k, name)) return v;
  return {};
}

bool Headers::has(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const auto& f) { return iequals(f.first, name); });
}

void Headers::set(std::string name, std::string value) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
  fields_.emplace_back(std::move(name), std::move(value));
}

std::string& PathParams::operator[](std::string_view name) {
  for (auto& [k, v] : items_)
    if (k == name) return v;
  return items_.emplace_back(std::string(name), std::string()).second;
}

const std::string& PathParams::at(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return v;
  throw std::out_of_range("no path parameter " + std::string(name));
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

Response error_response(int status, std::string_view code, std::string_view subcode,
                        std::string_view message) {
  boost::json::object o;
  o["code"] = code;
  if (!subcode.empty()) o["subcode"] = subcode;
  if (!message.empty()) o["message"] = message;
  return Response::json(status, boost::json::serialize(o));
}

}  // namespace parley::http
