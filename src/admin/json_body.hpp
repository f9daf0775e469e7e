#pragma once
// Reading JSON request bodies the way UCWA clients send them: property names matched
// case-insensitively (UCWA.md §0), every failure a 400/415 in the UCWA error shape.

#include "http/message.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace parley::admin {

// Parses the body as one JSON object. Throws UnsupportedMediaType unless Content-Type is JSON,
// BadRequest(DeserializationFailure) for anything that is not a JSON object.
boost::json::object parse_json_object(const http::Request& req);

// Looks a property up ignoring case; null when absent.
const boost::json::value* find_property(const boost::json::object& o, std::string_view name);

// A string property of at most `max_chars` UTF-8 characters, or nullopt when absent.
// Throws ParameterValidationFailure naming the property for a wrong type or length.
std::optional<std::string> string_property(const boost::json::object& o, std::string_view name,
                                           std::size_t max_chars);
std::optional<bool> bool_property(const boost::json::object& o, std::string_view name);

// Every property name must be one of `allowed` (case-insensitively); throws
// ParameterValidationFailure naming the first stranger.
void reject_unknown_properties(const boost::json::object& o,
                               std::initializer_list<std::string_view> allowed);

http::Response json_response(int status, const boost::json::value& v);

}  // namespace parley::admin
