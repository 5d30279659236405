#include "libs/metrics/metrics.h"

#include <array>

namespace hc::metrics {

Exposer::Exposer(const std::string& bind_address)
    : registry_(std::make_shared<prometheus::Registry>()), exposer_(bind_address, 2) {
  exposer_.RegisterCollectable(registry_);
}

int Exposer::port() const {
  auto ports = const_cast<prometheus::Exposer&>(exposer_).GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, regardless of success "
                         "or failure.")
                   .Register(registry)),
      handling_(prometheus::BuildHistogram()
                    .Name("grpc_server_handling_seconds")
                    .Help("Histogram of response latency (seconds) of gRPC that had been "
                          "application-level handled by the server.")
                    .Register(registry)) {}

GrpcClientMetrics::GrpcClientMetrics(prometheus::Registry& registry)
    : handled_(prometheus::BuildCounter()
                   .Name("grpc_client_handled_total")
                   .Help("Total number of RPCs completed by the client, regardless of success "
                         "or failure.")
                   .Register(registry)),
      handling_(prometheus::BuildHistogram()
                    .Name("grpc_client_handling_seconds")
                    .Help("Histogram of response latency (seconds) of the gRPC until it is "
                          "finished by the application.")
                    .Register(registry)) {}

void GrpcClientMetrics::Handled(std::string_view service, std::string_view method, int grpc_code,
                                double seconds) {
  // Calls to other services are few (one per sign-up at most): the family's own lookup is
  // cheap enough here.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  prometheus::Labels labels = {{"grpc_type", "unary"},
                               {"grpc_service", std::string(service)},
                               {"grpc_method", std::string(method)}};
  std::lock_guard lock(mu_);
  handling_.Add(labels, kBuckets).Observe(seconds);
  labels["grpc_code"] = std::string(GrpcCodeName(grpc_code));
  handled_.Add(labels).Increment();
}

GrpcServerMetrics::Method& GrpcServerMetrics::Find(std::string_view service,
                                                   std::string_view method) {
  std::string key;
  key.reserve(service.size() + method.size() + 1);
  key.append(service).append("/").append(method);
  std::lock_guard lock(mu_);
  auto it = methods_.find(key);
  if (it != methods_.end()) return *it->second;
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  prometheus::Labels labels = {{"grpc_type", "unary"},
                               {"grpc_service", std::string(service)},
                               {"grpc_method", std::string(method)}};
  auto entry = std::make_unique<Method>();
  entry->started = &started_.Add(labels);
  entry->handling = &handling_.Add(labels, kBuckets);
  return *methods_.emplace(std::move(key), std::move(entry)).first->second;
}

void GrpcServerMetrics::Started(std::string_view service, std::string_view method) {
  Find(service, method).started->Increment();
}

void GrpcServerMetrics::Handled(std::string_view service, std::string_view method, int grpc_code,
                                double seconds) {
  Method& m = Find(service, method);
  m.handling->Observe(seconds);
  if (grpc_code < 0 || grpc_code >= static_cast<int>(m.handled.size())) grpc_code = 2;  // Unknown
  prometheus::Counter* handled;
  {
    std::lock_guard lock(mu_);
    handled = m.handled[grpc_code];
    if (handled == nullptr) {
      handled = &handled_.Add({{"grpc_type", "unary"},
                               {"grpc_service", std::string(service)},
                               {"grpc_method", std::string(method)},
                               {"grpc_code", std::string(GrpcCodeName(grpc_code))}});
      m.handled[grpc_code] = handled;
    }
  }
  handled->Increment();
}

std::string_view GrpcCodeName(int grpc_code) {
  static constexpr std::array<std::string_view, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (grpc_code < 0 || grpc_code >= static_cast<int>(kNames.size())) return "Unknown";
  return kNames[grpc_code];
}

}  // namespace hc::metrics
