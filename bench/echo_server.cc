// The ceiling for gRPC benchmarks: a bare C++ callback-API echo server with nothing between
// the wire and the answer (no auth, no worker pool, no metrics).
//   echo_server [address]   (default 127.0.0.1:17900)
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <iostream>

#include "homecoming/testing/v1/echo.grpc.pb.h"

namespace {

class EchoImpl final : public homecoming::testing::v1::EchoService::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const homecoming::testing::v1::EchoRequest* request,
                                 homecoming::testing::v1::EchoResponse* response) override {
    if (request->reply_bytes() > 0) {
      response->mutable_message()->assign(static_cast<size_t>(request->reply_bytes()), 'x');
    } else {
      response->set_message(request->message());
    }
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "127.0.0.1:17900";
  // As the services do (hc::grpc_server::SkipMutexDeadlockDetection): the ceiling runs the same
  // gRPC without abseil's debug lock-order tracking.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  EchoImpl service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "echo_server: cannot listen on " << address << "\n";
    return 1;
  }
  std::cout << "echo_server listening on port " << port << std::endl;
  int signal_number = 0;
  sigwait(&set, &signal_number);
  server->Shutdown();
  return 0;
}
