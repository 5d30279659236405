#include "libs/status/status.h"

#include <string>

namespace hc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status InvalidField(std::string_view field, std::string_view problem) {
  std::string message(field);
  message.append(": ").append(problem);
  return absl::InvalidArgumentError(message);
}

std::string_view InvalidFieldName(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return {};
  // Debian's Abseil has its own string_view type, not an alias of std's.
  std::string_view message(status.message().data(), status.message().size());
  auto colon = message.find(": ");
  return colon == std::string_view::npos ? std::string_view{} : message.substr(0, colon);
}

}  // namespace hc
