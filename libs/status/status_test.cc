#include "libs/status/status.h"

#include <gtest/gtest.h>

namespace hc {
namespace {

TEST(ToGrpcStatus, KeepsCodeAndMessage) {
  grpc::Status s = ToGrpcStatus(absl::UnavailableError("database down"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(s.error_message(), "database down");
  EXPECT_EQ(ToGrpcStatus(absl::PermissionDeniedError("x")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ToGrpcStatus(absl::ResourceExhaustedError("x")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(ToGrpcStatus, OkIsOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(InvalidField, NamesTheField) {
  absl::Status s = InvalidField("email", "must be an email address");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "email: must be an email address");
  EXPECT_EQ(InvalidFieldName(s), "email");
  EXPECT_EQ(InvalidFieldName(absl::InternalError("email: x")), "");
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  HC_ASSIGN_OR_RETURN(int h, Half(x));
  HC_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(AssignOrReturn, PropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hc
