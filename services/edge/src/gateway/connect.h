#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

// The Connect protocol's unary JSON conventions (https://connectrpc.com/docs/protocol):
// error codes are the gRPC code names in snake_case, each with a fixed HTTP status.
namespace edge::gateway {

// "invalid_argument", "unavailable", ... for a gRPC status code.
std::string_view ConnectCodeName(grpc::StatusCode code);
// The HTTP status Connect gives a code: invalid_argument 400, unauthenticated 401,
// permission_denied 403, not_found 404, ... unavailable 503, deadline_exceeded 504.
int ConnectHttpStatus(grpc::StatusCode code);

struct ConnectError {
  int http_status;
  std::string body;  // {"code":"...","message":"..."}
};

// The error a browser sees for `status`. The backends' messages for the caller's own
// mistakes (they name the field) pass through; for failures of the system (internal, unknown,
// data_loss, unavailable) the browser gets a fixed message and the details stay in our logs.
ConnectError ToConnectError(const grpc::Status& status);
ConnectError ToConnectError(const absl::Status& status);
ConnectError MakeConnectError(grpc::StatusCode code, std::string_view message);

// The deadline a call gets: `Connect-Timeout-Ms` when given (at most `max`), else `fallback`.
// nullopt when the header is not a positive integer of at most 10 digits.
std::optional<std::chrono::milliseconds> CallTimeout(std::string_view header,
                                                     std::chrono::milliseconds fallback,
                                                     std::chrono::milliseconds max);

}  // namespace edge::gateway
