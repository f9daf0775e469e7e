#pragma once
// The typed errors a request handler may throw. They are caught once, at the HTTP boundary,
// and turned into the UCWA error body {"code","subcode","message"} with the matching status
// (UCWA.md §0). Nothing else in the server catches everything.

#include <stdexcept>
#include <string>
#include <utility>

namespace parley {

class ApiError : public std::runtime_error {
public:
  ApiError(int status, std::string code, std::string subcode, std::string message)
      : std::runtime_error(std::move(message)), status_(status), code_(std::move(code)),
        subcode_(std::move(subcode)) {}

  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }
  const std::string& subcode() const noexcept { return subcode_; }

private:
  int status_;
  std::string code_;
  std::string subcode_;
};

struct BadRequest : ApiError {
  explicit BadRequest(std::string message, std::string subcode = "BadRequest")
      : ApiError(400, "BadRequest", std::move(subcode), std::move(message)) {}
};
struct ParameterValidationFailure : ApiError {
  explicit ParameterValidationFailure(std::string message)
      : ApiError(400, "BadRequest", "ParameterValidationFailure", std::move(message)) {}
};
struct Unauthorized : ApiError {
  explicit Unauthorized(std::string message)
      : ApiError(401, "Unauthorized", "", std::move(message)) {}
};
struct Forbidden : ApiError {
  explicit Forbidden(std::string message, std::string subcode = "")
      : ApiError(403, "Forbidden", std::move(subcode), std::move(message)) {}
};
struct NotFound : ApiError {
  explicit NotFound(std::string message, std::string subcode = "ResourceNotFound")
      : ApiError(404, "NotFound", std::move(subcode), std::move(message)) {}
};
struct MethodNotAllowed : ApiError {
  explicit MethodNotAllowed(std::string message)
      : ApiError(405, "MethodNotAllowed", "MethodNotAllowed", std::move(message)) {}
};
struct Conflict : ApiError {
  explicit Conflict(std::string message, std::string subcode = "AlreadyExists")
      : ApiError(409, "Conflict", std::move(subcode), std::move(message)) {}
};
// The resource existed and has ended for good (a conversation that is over, an invitation that
// was answered elsewhere): the client should stop using the link rather than retry.
struct Gone : ApiError {
  explicit Gone(std::string message, std::string subcode = "")
      : ApiError(410, "Gone", std::move(subcode), std::move(message)) {}
};
struct EntityTooLarge : ApiError {
  explicit EntityTooLarge(std::string message)
      : ApiError(413, "EntityTooLarge", "EntityTooLarge", std::move(message)) {}
};
struct UnsupportedMediaType : ApiError {
  explicit UnsupportedMediaType(std::string message)
      : ApiError(415, "UnsupportedMediaType", "UnsupportedMediaType", std::move(message)) {}
};
struct ServiceUnavailable : ApiError {
  explicit ServiceUnavailable(std::string message)
      : ApiError(503, "ServiceUnavailable", "", std::move(message)) {}
};

// A failure of the store itself (disk full, corrupt database). Mapped to 500 ServiceFailure.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace parley
