#pragma once

#include <grpcpp/support/status.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hc {

// The one mapping from our error model to gRPC's, used at the edge of every service.
grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT that names the offending field, e.g. "email: must be an email address".
absl::Status InvalidField(std::string_view field, std::string_view problem);

// The field named by an InvalidField status, or empty.
std::string_view InvalidFieldName(const absl::Status& status);

}  // namespace hc

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define HC_RETURN_IF_ERROR(expr)                              \
  do {                                                        \
    if (absl::Status hc_status_ = (expr); !hc_status_.ok()) { \
      return hc_status_;                                      \
    }                                                         \
  } while (false)

#define HC_CONCAT_INNER_(a, b) a##b
#define HC_CONCAT_(a, b) HC_CONCAT_INNER_(a, b)
// `HC_ASSIGN_OR_RETURN(auto x, StatusOrExpr());` unwraps or returns the error.
#define HC_ASSIGN_OR_RETURN(lhs, expr) \
  HC_ASSIGN_OR_RETURN_IMPL_(HC_CONCAT_(hc_statusor_, __LINE__), lhs, expr)
#define HC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
