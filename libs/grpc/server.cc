#include "libs/grpc/server.h"

#include <absl/synchronization/mutex.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "grpc/health/v1/health.pb.h"

namespace hc::grpc_server {

Server::Server(ServerOptions options, std::vector<grpc::Service*> services)
    : options_(std::move(options)), services_(std::move(services)) {}

Server::~Server() { Shutdown(); }

absl::Status Server::Start() {
  // gRPC's built-in health service carries no protobuf descriptors; linking ours in lets
  // reflection describe grpc.health.v1.Health, so grpcurl and probes can call it by name.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options_.tls_cert_pem.empty() || !options_.tls_key_pem.empty()) {
    if (options_.tls_cert_pem.empty() || options_.tls_key_pem.empty()) {
      return absl::InvalidArgumentError("TLS needs both a certificate and its key");
    }
    grpc::SslServerCredentialsOptions tls(
        options_.tls_client_ca_pem.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = options_.tls_client_ca_pem;
    tls.pem_key_cert_pairs.push_back({options_.tls_key_pem, options_.tls_cert_pem});
    credentials = grpc::SslServerCredentials(tls);
  } else if (!options_.tls_client_ca_pem.empty()) {
    return absl::InvalidArgumentError("mTLS (a client CA) needs TLS (a certificate and key)");
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.address, credentials, &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  for (auto* service : services_) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    return absl::UnavailableError("cannot listen on " + options_.address);
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  return absl::OkStatus();
}

void Server::Shutdown() {
  if (!server_ || shut_down_) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (options_.drain.count() > 0) std::this_thread::sleep_for(options_.drain);
  // New calls are refused from here on; calls in flight have until the deadline to finish.
  server_->Shutdown(std::chrono::system_clock::now() + options_.grace);
  server_->Wait();
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void SkipMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

UnaryRunner::Call UnaryRunner::Begin(grpc::CallbackServerContext* ctx, std::string_view method) {
  metrics_.Started(service_, method);
  Call call{.method = std::string(method),
            .start = std::chrono::steady_clock::now(),
            .principal = absl::UnauthenticatedError("missing authorization metadata")};
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    call.principal = verifier_.VerifyBearer(std::string_view(it->second.data(), it->second.size()));
  }
  return call;
}

absl::Status UnaryRunner::Expired(grpc::CallbackServerContext* ctx) {
  if (ctx->IsCancelled()) return absl::CancelledError("call cancelled before it ran");
  if (std::chrono::system_clock::now() > ctx->deadline()) {
    return absl::DeadlineExceededError("deadline passed while queued");
  }
  return absl::OkStatus();
}

void UnaryRunner::LogUnexpected(const std::string& method, const char* what) const {
  spdlog::error("{}/{}: handler threw {}; answered INTERNAL", service_, method, what);
}

void UnaryRunner::Finish(grpc::ServerUnaryReactor* reactor, const Call& call,
                         const absl::Status& status) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - call.start).count();
  metrics_.Handled(service_, call.method, static_cast<int>(status.code()), seconds);
  reactor->Finish(ToGrpcStatus(status));
}

absl::Status UnaryRunner::ParseRequest(const grpc::ByteBuffer& in,
                                       google::protobuf::MessageLite& out) {
  grpc::Slice slice;
  // A small request arrives in one slice; anything else is copied into one.
  if (!in.TrySingleSlice(&slice).ok() && !in.DumpToSingleSlice(&slice).ok()) {
    return hc::InvalidField("request", "could not be read");
  }
  if (!out.ParseFromArray(slice.begin(), static_cast<int>(slice.size()))) {
    return hc::InvalidField("request", "is not a valid " + out.GetTypeName());
  }
  return absl::OkStatus();
}

void UnaryRunner::SetResponse(std::string_view bytes, grpc::ByteBuffer& out) {
  grpc::Slice slice(bytes.data(), bytes.size());
  out = grpc::ByteBuffer(&slice, 1);
}

bool WellFormedWire(std::string_view bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  while (true) {
    const uint32_t tag = in.ReadTag();
    // 0: the end, or a tag that is not one (then short of the end).
    if (tag == 0) return in.CurrentPosition() == static_cast<int>(bytes.size());
    // Groups are not used by proto3; a top-level end-group tag is malformed.
    if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_END_GROUP) return false;
    if (!WireFormatLite::SkipField(&in, tag)) return false;
  }
}

std::optional<std::string> WithoutFields(std::string_view bytes, std::span<const int> drop) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::string out;
  out.reserve(bytes.size());
  while (true) {
    const int start = in.CurrentPosition();
    const uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (in.CurrentPosition() != static_cast<int>(bytes.size())) return std::nullopt;
      return out;
    }
    if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_END_GROUP) {
      return std::nullopt;
    }
    if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    if (std::find(drop.begin(), drop.end(), number) == drop.end()) {
      out.append(bytes.substr(start, in.CurrentPosition() - start));
    }
  }
}

std::string AsMessageField(int field, std::string_view message) {
  using google::protobuf::internal::WireFormatLite;
  std::string out;
  out.reserve(message.size() + 16);
  google::protobuf::io::StringOutputStream stream(&out);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint32(static_cast<uint32_t>(message.size()));
    coded.WriteRaw(message.data(), static_cast<int>(message.size()));
  }
  return out;
}

}  // namespace hc::grpc_server
