#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "libs/metrics/metrics.h"
#include "services/edge/src/gateway/allow_list.h"

namespace edge::gateway {

// One channel per backend service.
struct Backends {
  std::shared_ptr<grpc::Channel> membership;
  std::shared_ptr<grpc::Channel> events;
  std::shared_ptr<grpc::Channel> volunteering;
  std::shared_ptr<grpc::Channel> notifications;

  const std::shared_ptr<grpc::Channel>& For(Backend backend) const;
};

// Connect unary JSON <-> gRPC, for any allow-listed RPC, from the generated descriptors: the
// JSON is parsed into the method's request type, sent as bytes through a generic stub, and
// the reply printed back as proto3 JSON. No code per RPC.
class Transcoder {
 public:
  // `metrics` (may be null) gets go-grpc-prometheus client metrics for every backend call.
  Transcoder(Backends backends, hc::metrics::GrpcClientMetrics* metrics);

  // Every allow-list entry names a unary method of the linked descriptors: checked at startup
  // so that a typo in the list fails the process, not a browser's call.
  static absl::Status CheckAllowList();

  struct Call {
    const PublicRpc* rpc;
    std::string_view json;  // the request body; empty means {}
    std::string bearer_token;
    std::chrono::milliseconds timeout;
    std::string request_id;
  };
  struct Result {
    grpc::StatusCode code;
    int http_status;
    std::string body;  // the response message, or a Connect error
  };
  Result Unary(const Call& call);

 private:
  Backends backends_;
  hc::metrics::GrpcClientMetrics* metrics_;
};

// The same JSON print options everywhere the edge writes a message: lowerCamelCase names,
// enums by name, zero values printed (the app never guesses a missing field).
absl::Status PrintJson(const google::protobuf::Message& message, std::string* out);

}  // namespace edge::gateway
