#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace hc::metrics {

// The process's Prometheus registry, served on `/metrics` at `bind_address` ("host:port";
// port 0 picks a free one). Labels never carry personal data: ids at most, usually not even.
class Exposer {
 public:
  explicit Exposer(const std::string& bind_address);
  prometheus::Registry& registry() { return *registry_; }
  int port() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Exposer exposer_;
};

// Per-RPC server metrics named as go-grpc-prometheus names them, so existing dashboards work:
// grpc_server_started_total, grpc_server_handled_total, grpc_server_handling_seconds.
class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  void Started(std::string_view service, std::string_view method);
  void Handled(std::string_view service, std::string_view method, int grpc_code, double seconds);

 private:
  // The series of one method, looked up once: building label sets on every call costs more
  // than the RPC's own work on a cache hit.
  struct Method {
    prometheus::Counter* started = nullptr;
    prometheus::Histogram* handling = nullptr;
    std::array<prometheus::Counter*, 17> handled{};
  };
  Method& Find(std::string_view service, std::string_view method);

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Method>, std::less<>> methods_;
};

// Calls this service makes to other services, named as go-grpc-prometheus's client metrics:
// grpc_client_handled_total{grpc_service, grpc_method, grpc_code} and
// grpc_client_handling_seconds, so a dashboard shows how a dependency answers (and fails).
class GrpcClientMetrics {
 public:
  explicit GrpcClientMetrics(prometheus::Registry& registry);
  void Handled(std::string_view service, std::string_view method, int grpc_code, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_;
  std::mutex mu_;
};

// go-grpc-prometheus's spelling of a gRPC status code ("OK", "InvalidArgument", ...).
std::string_view GrpcCodeName(int grpc_code);

}  // namespace hc::metrics
