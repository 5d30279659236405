#include "services/edge/src/gateway/connect.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace edge::gateway {

std::string_view ConnectCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "ok";
    case grpc::StatusCode::CANCELLED:
      return "canceled";
    case grpc::StatusCode::UNKNOWN:
      return "unknown";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "invalid_argument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "not_found";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "already_exists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "permission_denied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource_exhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed_precondition";
    case grpc::StatusCode::ABORTED:
      return "aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "out_of_range";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "data_loss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "unauthenticated";
    default:
      return "unknown";
  }
}

int ConnectHttpStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:  // unknown, internal, data_loss
      return 500;
  }
}

ConnectError MakeConnectError(grpc::StatusCode code, std::string_view message) {
  nlohmann::json body = {{"code", ConnectCodeName(code)}, {"message", message}};
  return {ConnectHttpStatus(code),
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

ConnectError ToConnectError(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
      return MakeConnectError(status.error_code(), "something went wrong on our side");
    case grpc::StatusCode::UNAVAILABLE:
      return MakeConnectError(status.error_code(),
                              "the service is unavailable just now; try again shortly");
    default:
      return MakeConnectError(status.error_code(), status.error_message());
  }
}

ConnectError ToConnectError(const absl::Status& status) {
  return ToConnectError(
      grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message())));
}

std::optional<std::chrono::milliseconds> CallTimeout(std::string_view header,
                                                     std::chrono::milliseconds fallback,
                                                     std::chrono::milliseconds max) {
  if (header.empty()) return std::min(fallback, max);
  if (header.size() > 10) return std::nullopt;
  for (char c : header) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int64_t ms = 0;
  if (!absl::SimpleAtoi(absl::string_view(header.data(), header.size()), &ms) || ms <= 0)
    return std::nullopt;
  return std::min(std::chrono::milliseconds(ms), max);
}

}  // namespace edge::gateway
