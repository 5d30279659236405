#include "services/edge/src/gateway/transcoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <future>
#include <vector>

#include "alumni/events/v1/events_service.pb.h"
#include "alumni/membership/v1/membership_service.pb.h"
#include "alumni/notifications/v1/notifications_service.pb.h"
#include "alumni/volunteering/v1/mentorship_service.pb.h"
#include "alumni/volunteering/v1/volunteering_service.pb.h"
#include "libs/grpc/client.h"
#include "services/edge/src/gateway/connect.h"

namespace edge::gateway {
namespace {

namespace protobuf = google::protobuf;

// Touches one message of each package so that the linker keeps their generated code, and
// with it their descriptors in the generated pool (static libraries drop unreferenced
// objects).
void LinkDescriptors() {
  [[maybe_unused]] static const bool linked = [] {
    alumni::membership::v1::GetMemberRequest::descriptor();
    alumni::events::v1::GetEventRequest::descriptor();
    alumni::volunteering::v1::GetRoleRequest::descriptor();
    alumni::volunteering::v1::GetMentorProfileRequest::descriptor();
    alumni::notifications::v1::GetPreferencesRequest::descriptor();
    return true;
  }();
}

const protobuf::MethodDescriptor* FindMethod(std::string_view full_name) {
  LinkDescriptors();
  return protobuf::DescriptorPool::generated_pool()->FindMethodByName(std::string(full_name));
}

std::unique_ptr<protobuf::Message> NewMessage(const protobuf::Descriptor* type) {
  const protobuf::Message* prototype =
      protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<protobuf::Message>(prototype->New());
}

Transcoder::Result Failed(const ConnectError& error, grpc::StatusCode code) {
  return {code, error.http_status, error.body};
}

}  // namespace

const std::shared_ptr<grpc::Channel>& Backends::For(Backend backend) const {
  switch (backend) {
    case Backend::kMembership:
      return membership;
    case Backend::kEvents:
      return events;
    case Backend::kVolunteering:
      return volunteering;
    case Backend::kNotifications:
      break;
  }
  return notifications;
}

absl::Status PrintJson(const protobuf::Message& message, std::string* out) {
  protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  const auto status = protobuf::util::MessageToJsonString(message, out, options);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  return absl::OkStatus();
}

Transcoder::Transcoder(Backends backends, hc::metrics::GrpcClientMetrics* metrics)
    : backends_(std::move(backends)), metrics_(metrics) {}

absl::Status Transcoder::CheckAllowList() {
  for (const PublicRpc& rpc : AllPublicRpcs()) {
    const protobuf::MethodDescriptor* method = FindMethod(rpc.full_name);
    if (method == nullptr) {
      return absl::InternalError("allow-list names an unknown RPC " + std::string(rpc.full_name));
    }
    if (method->client_streaming() || method->server_streaming()) {
      return absl::InternalError("allow-list names a streaming RPC " + std::string(rpc.full_name));
    }
  }
  return absl::OkStatus();
}

Transcoder::Result Transcoder::Unary(const Call& call) {
  const protobuf::MethodDescriptor* method = FindMethod(call.rpc->full_name);
  if (method == nullptr) {
    return Failed(MakeConnectError(grpc::StatusCode::UNIMPLEMENTED, "no such method"),
                  grpc::StatusCode::UNIMPLEMENTED);
  }
  std::unique_ptr<protobuf::Message> request = NewMessage(method->input_type());
  protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  const std::string json = call.json.empty() ? std::string("{}") : std::string(call.json);
  if (auto parsed = protobuf::util::JsonStringToMessage(json, request.get(), parse); !parsed.ok()) {
    return Failed(
        MakeConnectError(grpc::StatusCode::INVALID_ARGUMENT,
                         "the request body is not a valid " + method->input_type()->name() + ": " +
                             std::string(parsed.message())),
        grpc::StatusCode::INVALID_ARGUMENT);
  }
  std::string bytes;
  request->SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + call.timeout);
  context.AddMetadata("authorization", "Bearer " + call.bearer_token);
  if (!call.request_id.empty()) context.AddMetadata("x-request-id", call.request_id);

  const std::string path = "/" + method->service()->full_name() + "/" + method->name();
  grpc::GenericStub stub(backends_.For(call.rpc->backend));
  const grpc::Status status =
      hc::grpc_client::Observed(metrics_, method->service()->full_name(), method->name(), [&] {
        std::promise<grpc::Status> done;
        stub.UnaryCall(&context, path, grpc::StubOptions(), &request_buffer, &response_buffer,
                       [&done](grpc::Status s) { done.set_value(std::move(s)); });
        return done.get_future().get();
      });
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::INTERNAL ||
        status.error_code() == grpc::StatusCode::UNKNOWN ||
        status.error_code() == grpc::StatusCode::DATA_LOSS ||
        status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      spdlog::warn("edge: {} failed: {} {} (request {})", path,
                   static_cast<int>(status.error_code()), status.error_message(), call.request_id);
    }
    return Failed(ToConnectError(status), status.error_code());
  }

  std::vector<grpc::Slice> slices;
  std::string reply;
  if (response_buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  std::unique_ptr<protobuf::Message> response = NewMessage(method->output_type());
  std::string out;
  if (!response->ParseFromString(reply) || !PrintJson(*response, &out).ok()) {
    spdlog::error("edge: {} answered a message that does not parse (request {})", path,
                  call.request_id);
    return Failed(MakeConnectError(grpc::StatusCode::INTERNAL, "something went wrong on our side"),
                  grpc::StatusCode::INTERNAL);
  }
  return {grpc::StatusCode::OK, 200, std::move(out)};
}

}  // namespace edge::gateway
