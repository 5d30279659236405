#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <string>

#include "libs/testing/testing.h"

namespace hc::testing {

// One unary call with the request's bytes sent as they are and the response's bytes as they
// arrive (`method` is "/package.Service/Method"): for tests that look at the wire itself, such
// as bytes no generated stub would send, or whether two answers are byte for byte the same.
// Header-only: it needs gRPC, which hc_testing does not link (the rest of hc_testing is linked
// by every test that includes this).
inline grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                                 const std::string& method, const std::string& request,
                                 const std::string& bearer_token, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!bearer_token.empty()) ctx.AddMetadata("authorization", "Bearer " + bearer_token);
  grpc::Slice in_slice(request);
  grpc::ByteBuffer in(&in_slice, 1);
  grpc::ByteBuffer out;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (status.ok() && response != nullptr) {
    grpc::Slice all;
    if (!out.DumpToSingleSlice(&all).ok())
      return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable response");
    response->assign(reinterpret_cast<const char*>(all.begin()), all.size());
  }
  return status;
}

// The answer to `request` from a service's database (the first call: a miss), then from its
// near-cache: asks again until a call counts a local hit of cache `cache` (the label of
// hc_cache_requests_total on `metrics_port`) and asks Redis nothing, which only a fast step
// answering from the near-cache does (a fast step that declines reads the entry through
// Redis). For tests that a near-cache hit answers the very bytes the miss did.
// `from_near_cache` false: no call was so answered within 10 s.
struct MissThenHit {
  std::string missed;
  std::string hit;
  bool from_near_cache = false;
};
inline MissThenHit CallUntilNearCacheHit(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& method, const std::string& request,
                                         const std::string& bearer_token, int metrics_port,
                                         const std::string& cache) {
  auto requests = [&](const std::string& result) {
    return MetricValue(
        metrics_port, "hc_cache_requests_total{cache=\"" + cache + "\",result=\"" + result + "\"}");
  };
  auto redis_lookups = [&] {
    return requests("hit") + requests("miss") + requests("corrupt") + requests("error");
  };
  MissThenHit out;
  if (!RawUnaryCall(channel, method, request, bearer_token, &out.missed).ok()) return out;
  out.from_near_cache = WaitFor(
      [&] {
        const double local = requests("local_hit"), redis = redis_lookups();
        if (!RawUnaryCall(channel, method, request, bearer_token, &out.hit).ok()) return false;
        return requests("local_hit") > local && redis_lookups() == redis;
      },
      std::chrono::seconds(10));
  return out;
}

}  // namespace hc::testing
