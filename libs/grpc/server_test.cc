#include "libs/grpc/server.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <signal.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "homecoming/testing/v1/echo.grpc.pb.h"
#include "libs/testing/raw_grpc.h"

namespace hc::grpc_server {
namespace {

using homecoming::testing::v1::EchoRequest;
using homecoming::testing::v1::EchoResponse;
using homecoming::testing::v1::EchoService;

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

// As in a service's main(): signals are blocked before any thread starts, so they reach only
// WaitForTerminationSignal().
const bool kSignalsBlocked = [] {
  BlockTerminationSignals();
  return true;
}();

class EchoImpl : public EchoService::CallbackService {
 public:
  explicit EchoImpl(UnaryRunner& runner) : runner_(runner) {}
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const EchoRequest* request,
                                 EchoResponse* response) override {
    // Messages starting "fast" try the fast step first: "fast" answers there, "fast-decline"
    // scribbles on the response and sends the call on to the pool, "fast-throw" throws.
    if (request->message().starts_with("fast")) {
      return runner_.Run(
          ctx, "Echo", request, response,
          [](const auth::Principal& who, const EchoRequest& req, EchoResponse& resp) {
            if (req.message() == "fast-throw") throw std::runtime_error("row: canary@example.org");
            resp.set_message("inline " + who.subject + ":" + req.message());
            return req.message() == "fast";
          },
          [](const auth::Principal& who, const EchoRequest& req, EchoResponse& resp) {
            if (resp.message().empty()) resp.set_message(who.subject + ":" + req.message());
            return absl::OkStatus();
          });
    }
    return runner_.Run(ctx, "Echo", request, response,
                       [](const auth::Principal& who, const EchoRequest& req, EchoResponse& resp) {
                         if (req.message() == "throw") {
                           throw std::runtime_error("row: canary@example.org");
                         }
                         if (req.message() == "throw-int") throw 42;
                         std::this_thread::sleep_for(std::chrono::milliseconds(req.delay_ms()));
                         resp.set_message(who.subject + ":" + req.message());
                         return absl::OkStatus();
                       });
  }

 private:
  UnaryRunner& runner_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(8, 64, std::chrono::milliseconds(5000)); }

  void StartServer(size_t threads, size_t queue, std::chrono::milliseconds grace) {
    pool_ = std::make_unique<WorkerPool>(threads, queue);
    runner_ = std::make_unique<UnaryRunner>("homecoming.testing.v1.EchoService", verifier_, *pool_,
                                            metrics_);
    echo_ = std::make_unique<EchoImpl>(*runner_);
    server_ = std::make_unique<Server>(ServerOptions{.address = "127.0.0.1:0", .grace = grace},
                                       std::vector<grpc::Service*>{echo_.get()});
    ASSERT_TRUE(server_->Start().ok());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = EchoService::NewStub(channel_);
  }

  void TearDown() override {
    server_->Shutdown();
    pool_->Stop();
  }

  grpc::Status Call(const std::string& message, int delay_ms, bool with_token = true,
                    EchoResponse* out = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (with_token) ctx.AddMetadata("authorization", "Bearer " + Token());
    EchoRequest request;
    request.set_message(message);
    request.set_delay_ms(delay_ms);
    EchoResponse response;
    grpc::Status status = stub_->Echo(&ctx, request, &response);
    if (out) *out = response;
    return status;
  }

  static std::string Token() {
    return *auth::Mint(
        {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test", .subject = "m-1"});
  }

  std::string Scrape() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_.Collect());
    return out.str();
  }

  auth::Verifier verifier_ =
      *auth::Verifier::Create({.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"});
  prometheus::Registry registry_;
  metrics::GrpcServerMetrics metrics_{registry_};
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<UnaryRunner> runner_;
  std::unique_ptr<EchoImpl> echo_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<EchoService::Stub> stub_;
};

TEST_F(ServerTest, AHandlerThatThrowsAnswersInternalWithoutItsMessageAndTheServerGoesOn) {
  for (const char* message : {"throw", "throw-int"}) {
    grpc::Status s = Call(message, 0);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
    EXPECT_EQ(s.error_message(), "unexpected error");
  }
  EXPECT_TRUE(Call("still here", 0).ok());
}

TEST_F(ServerTest, AnswersAnAuthenticatedCallAndCountsIt) {
  EchoResponse response;
  ASSERT_TRUE(Call("hi", 0, true, &response).ok());
  EXPECT_EQ(response.message(), "m-1:hi");
  std::string text = Scrape();
  EXPECT_NE(text.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Echo\""),
            std::string::npos)
      << text;
}

TEST_F(ServerTest, RefusesACallWithoutToken) {
  EXPECT_EQ(Call("hi", 0, false).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(Scrape().find("grpc_code=\"Unauthenticated\""), std::string::npos);
}

TEST_F(ServerTest, AFastStepAnswersWithoutThePoolAndIsCountedAsAnyCall) {
  // With the pool stopped, any call that needs it is refused: only the fast step can answer.
  pool_->Stop();
  EchoResponse response;
  grpc::Status s = Call("fast", 0, true, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.message(), "inline m-1:fast");
  EXPECT_EQ(Call("fast-decline", 0).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  std::string text = Scrape();
  EXPECT_NE(text.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Echo\","
                      "grpc_service=\"homecoming.testing.v1.EchoService\",grpc_type=\"unary\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("grpc_server_started_total{grpc_method=\"Echo\","
                      "grpc_service=\"homecoming.testing.v1.EchoService\",grpc_type=\"unary\"} 2"),
            std::string::npos)
      << text;
}

TEST_F(ServerTest, AFastStepThatDeclinesLeavesThePoolAClearedResponse) {
  EchoResponse response;
  ASSERT_TRUE(Call("fast-decline", 0, true, &response).ok());
  EXPECT_EQ(response.message(), "m-1:fast-decline");
}

TEST_F(ServerTest, AFastStepRunsOnlyForAnAuthenticatedCaller) {
  pool_->Stop();
  EXPECT_EQ(Call("fast", 0, false).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ServerTest, AFastStepThatThrowsAnswersInternalWithoutItsMessage) {
  grpc::Status s = Call("fast-throw", 0);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "unexpected error");
}

TEST_F(ServerTest, HealthSaysServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&ctx, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(ServerTest, FullQueueAnswersResourceExhausted) {
  server_->Shutdown();
  pool_->Stop();
  StartServer(1, 1, std::chrono::milliseconds(5000));
  // One call runs, one waits in the queue; the rest must be turned away at once.
  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::async(std::launch::async, [&] { return Call("x", 500); }));
  }
  int ok = 0, exhausted = 0;
  for (auto& c : calls) {
    grpc::Status s = c.get();
    if (s.ok()) ++ok;
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(exhausted, 1);
  EXPECT_EQ(ok + exhausted, 8);
}

TEST_F(ServerTest, SigtermLetsInFlightCallsFinish) {
  ASSERT_TRUE(kSignalsBlocked);
  std::atomic<int> started{0};
  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < 16; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      ++started;
      return Call("slow", 400);
    }));
  }
  // Wait until every call is running on the server before the signal arrives.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pool_->queued() > 0 || started < 16) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread waiter([this] {
    EXPECT_EQ(WaitForTerminationSignal(), SIGTERM);
    server_->Shutdown();
  });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  for (auto& c : calls) {
    grpc::Status s = c.get();
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
  waiter.join();
  // After shutdown nothing new is accepted.
  EXPECT_FALSE(Call("late", 0).ok());
}

TEST(WorkerPool, RefusesWorkBeyondItsQueueAndDrainsOnStop) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit([&, gate] {
    gate.wait();
    ++ran;
  }));
  // The first task may or may not have left the queue yet; fill until refused.
  int accepted = 1;
  while (pool.TrySubmit([&] { ++ran; })) ++accepted;
  EXPECT_LE(accepted, 3);
  EXPECT_GE(accepted, 2);
  release.set_value();
  pool.Stop();
  EXPECT_EQ(ran, accepted);
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

// Echo registered raw and run by RunRaw: "fast" is answered on gRPC's thread with bytes no
// serializer wrote (an EchoResponse followed by an unknown field 99 = 1), anything else by the
// pool.
class RawEchoImpl : public EchoService::WithRawCallbackMethod_Echo<EchoService::Service> {
 public:
  explicit RawEchoImpl(UnaryRunner& runner) : runner_(runner) {}
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override {
    return runner_.RunRaw<EchoRequest, EchoResponse>(
        ctx, "Echo", request, response,
        [](const auth::Principal& who, const EchoRequest& req, std::string& bytes) {
          if (req.message() != "fast") return false;
          bytes = FastBytes(who.subject);
          return true;
        },
        [](const auth::Principal& who, const EchoRequest& req, EchoResponse& resp) {
          resp.set_message(who.subject + ":" + req.message());
          return absl::OkStatus();
        });
  }
  static std::string FastBytes(const std::string& subject) {
    EchoResponse canned;
    canned.set_message("inline " + subject);
    return canned.SerializeAsString() + std::string("\x98\x06\x01", 3);
  }

 private:
  UnaryRunner& runner_;
};

TEST(RawUnaryRunner, AFastStepAnswersItsBytesAsTheyAreTheRestGoesToThePoolAndAllAreCounted) {
  auto verifier =
      *auth::Verifier::Create({.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"});
  prometheus::Registry registry;
  metrics::GrpcServerMetrics metrics(registry);
  WorkerPool pool(2, 16);
  UnaryRunner runner("homecoming.testing.v1.EchoService", verifier, pool, metrics);
  RawEchoImpl echo(runner);
  Server server(ServerOptions{.address = "127.0.0.1:0"}, {&echo});
  ASSERT_TRUE(server.Start().ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                                     grpc::InsecureChannelCredentials());
  const std::string token =
      *auth::Mint({.algorithm = "HS256", .key = kSecret, .issuer = "hc-test", .subject = "m-1"});
  constexpr char kMethod[] = "/homecoming.testing.v1.EchoService/Echo";
  auto call = [&](const std::string& bytes, const std::string& bearer, std::string* out) {
    return hc::testing::RawUnaryCall(channel, kMethod, bytes, bearer, out);
  };
  EchoRequest req;
  req.set_message("fast");
  std::string got;
  ASSERT_TRUE(call(req.SerializeAsString(), token, &got).ok());
  EXPECT_EQ(got, RawEchoImpl::FastBytes("m-1"));

  req.set_message("slow");
  ASSERT_TRUE(call(req.SerializeAsString(), token, &got).ok());
  EchoResponse pooled;
  ASSERT_TRUE(pooled.ParseFromString(got));
  EXPECT_EQ(pooled.message(), "m-1:slow");

  grpc::Status s = call(std::string("\x0a\x7f", 2), token, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("request: "));
  req.set_message("fast");
  EXPECT_EQ(call(req.SerializeAsString(), "", nullptr).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, registry.Collect());
  for (const char* code : {"OK\",", "InvalidArgument\",", "Unauthenticated\","}) {
    EXPECT_NE(text.str().find(std::string("grpc_server_handled_total{grpc_code=\"") + code +
                              "grpc_method=\"Echo\""),
              std::string::npos)
        << code << text.str();
  }
  server.Shutdown();
  pool.Stop();
}

TEST(WellFormedWire, AcceptsWhatProtobufWritesAndRefusesTruncatedOrBrokenFraming) {
  EchoRequest request;
  request.set_message(std::string(300, 'x'));
  const std::string bytes = request.SerializeAsString();
  EXPECT_TRUE(WellFormedWire(bytes));
  EXPECT_TRUE(WellFormedWire(""));
  EXPECT_FALSE(WellFormedWire(bytes.substr(0, bytes.size() - 1))) << "length past the end";
  EXPECT_FALSE(WellFormedWire(std::string("\x00\x01", 2))) << "field number 0";
  EXPECT_FALSE(WellFormedWire("\x0c")) << "a stray end-group tag";
  EXPECT_FALSE(WellFormedWire("\x08\xff")) << "a varint cut short";
}

TEST(WithoutFields, DropsTheNamedTopLevelFieldsAndKeepsTheRestAsTheyWere) {
  EchoRequest request;
  request.set_message("keep me");
  request.set_delay_ms(300);
  request.set_reply_bytes(7);
  const std::string bytes = request.SerializeAsString();
  const int delay[] = {EchoRequest::kDelayMsFieldNumber};
  std::optional<std::string> without = WithoutFields(bytes, delay);
  ASSERT_TRUE(without.has_value());
  EchoRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(*without));
  EXPECT_EQ(parsed.message(), "keep me");
  EXPECT_EQ(parsed.delay_ms(), 0) << "dropped";
  EXPECT_EQ(parsed.reply_bytes(), 7);
  EXPECT_EQ(WithoutFields(bytes, {}), bytes) << "nothing to drop: the same bytes";
  const int all[] = {1, 2, 3, 4};
  EXPECT_EQ(WithoutFields(bytes, all), "");
  // A field repeated on the wire is dropped every time it appears.
  EXPECT_EQ(WithoutFields(bytes + bytes, delay), *without + *without);
  EXPECT_EQ(WithoutFields(bytes.substr(0, bytes.size() - 1), delay), std::nullopt) << "cut short";
  EXPECT_EQ(WithoutFields("\x0c", delay), std::nullopt) << "a stray end-group tag";
}

TEST(AsMessageField, WritesTheTagTheLengthAndTheBytes) {
  EchoRequest inner;
  inner.set_message(std::string(297, 'x'));
  const std::string bytes = inner.SerializeAsString();
  ASSERT_EQ(bytes.size(), 300u);
  // Field 1, length-delimited (0x0a); 300 as a varint (0xac 0x02); the bytes as they are.
  EXPECT_EQ(AsMessageField(1, bytes), std::string("\x0a\xac\x02", 3) + bytes);
  // A set but empty message is still written (as protobuf writes a present empty field).
  EXPECT_EQ(AsMessageField(1, ""), std::string("\x0a\x00", 2));
  EXPECT_EQ(AsMessageField(2, "ab"), std::string("\x12\x02"
                                                 "ab",
                                                 4));
  // What it writes parses back: as a response whose field 1 is the message.
  homecoming::testing::v1::EchoResponse outer;
  ASSERT_TRUE(outer.ParseFromString(AsMessageField(1, "hello")));
  EXPECT_EQ(outer.message(), "hello");
}

}  // namespace
}  // namespace hc::grpc_server
