#include "libs/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace hc::metrics {
namespace {

using ::testing::HasSubstr;

std::string Scrape(prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

TEST(GrpcServerMetrics, UsesGoGrpcPrometheusNamesAndLabels) {
  prometheus::Registry registry;
  GrpcServerMetrics m(registry);
  m.Started("alumni.membership.v1.MembershipService", "GetMember");
  m.Handled("alumni.membership.v1.MembershipService", "GetMember", 3, 0.002);
  std::string text = Scrape(registry);
  EXPECT_THAT(text, HasSubstr("grpc_server_started_total{grpc_method=\"GetMember\","
                              "grpc_service=\"alumni.membership.v1.MembershipService\","
                              "grpc_type=\"unary\"} 1"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"InvalidArgument\""));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_bucket{grpc_method=\"GetMember\","
                              "grpc_service=\"alumni.membership.v1.MembershipService\","
                              "grpc_type=\"unary\",le=\"0.005\"} 1"));
}

TEST(GrpcClientMetrics, CountsCallsToOtherServicesByCodeWithTheirLatency) {
  prometheus::Registry registry;
  GrpcClientMetrics m(registry);
  m.Handled("alumni.membership.v1.MembershipService", "CheckEligibility", 0, 0.003);
  m.Handled("alumni.membership.v1.MembershipService", "CheckEligibility", 14, 2.0);
  m.Handled("alumni.membership.v1.MembershipService", "CheckEligibility", 14, 2.0);
  std::string text = Scrape(registry);
  EXPECT_THAT(text, HasSubstr("grpc_client_handled_total{grpc_code=\"OK\","
                              "grpc_method=\"CheckEligibility\","
                              "grpc_service=\"alumni.membership.v1.MembershipService\","
                              "grpc_type=\"unary\"} 1"));
  EXPECT_THAT(text, HasSubstr("grpc_client_handled_total{grpc_code=\"Unavailable\","
                              "grpc_method=\"CheckEligibility\","
                              "grpc_service=\"alumni.membership.v1.MembershipService\","
                              "grpc_type=\"unary\"} 2"));
  EXPECT_THAT(text, HasSubstr("grpc_client_handling_seconds_count{grpc_method=\"CheckEligibility\","
                              "grpc_service=\"alumni.membership.v1.MembershipService\","
                              "grpc_type=\"unary\"} 3"));
}

TEST(GrpcCodeName, SpellsCodesLikeGo) {
  EXPECT_EQ(GrpcCodeName(0), "OK");
  EXPECT_EQ(GrpcCodeName(16), "Unauthenticated");
  EXPECT_EQ(GrpcCodeName(99), "Unknown");
}

}  // namespace
}  // namespace hc::metrics
