#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <string>

namespace hc::testing {

// One unary call with the request's bytes sent as they are and the response's bytes as they
// arrive (`method` is "/package.Service/Method"): for tests that look at the wire itself, such
// as bytes no generated stub would send, or whether two answers are byte for byte the same.
// Header-only: it needs gRPC, which hc_testing does not link.
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

}  // namespace hc::testing
