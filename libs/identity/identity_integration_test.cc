// Revocations and tombstones against a real PostgreSQL.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <future>
#include <pqxx/pqxx>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/identity/identity.h"
#include "libs/postgres/migrations.h"
#include "libs/testing/testing.h"

namespace hc::identity {
namespace {

using std::chrono::system_clock;
namespace mpb = alumni::membership::v1;

const std::string kSecret = "identity-integration-test-secret-0123456789";
constexpr char kMember[] = "0b7c1f2e-3d4a-4b5c-8d6e-7f8091a2b3c4";

auth::Verifier NewVerifier() {
  return *auth::Verifier::Create({.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"});
}

std::string TokenOf(const std::string& subject) {
  return *auth::Mint(
      {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test", .subject = subject});
}

kafka::Message Fact(const google::protobuf::Message& fact) {
  kafka::Message m;
  m.value = fact.SerializeAsString();
  m.headers[kafka::kCeType] = fact.GetDescriptor()->full_name();
  return m;
}

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(postgres::Migrate(db_.url(), {Migration()}).ok()); }
  testing::TestDatabase db_{"identity"};
  postgres::Pool pool_{{.url = db_.url(), .size = 4}};
  prometheus::Registry registry_;
};

TEST_F(IdentityTest, ARevocationRecordedByOneReplicaIsEnforcedByAnother) {
  auth::Verifier a = NewVerifier();
  auth::Verifier b = NewVerifier();
  RevocationSync sync_a(pool_, a, registry_, std::chrono::milliseconds(100));
  prometheus::Registry registry_b;
  RevocationSync sync_b(pool_, b, registry_b, std::chrono::milliseconds(100));
  ASSERT_TRUE(sync_a.Start().ok());
  ASSERT_TRUE(sync_b.Start().ok());
  const std::string token = TokenOf(kMember);
  ASSERT_TRUE(b.Verify(token).ok());  // b remembers it

  mpb::MemberRoleRevoked fact;
  fact.set_member_id(kMember);
  fact.set_role("coordinator");
  *fact.mutable_revoked_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  std::optional<IdentityChange> change;
  ASSERT_TRUE(pool_
                  .InTransaction([&](postgres::Tx& tx) -> absl::Status {
                    auto recorded = RecordIdentityFact(tx, Fact(fact));
                    if (!recorded.ok()) return recorded.status();
                    change = *recorded;
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(change.has_value());
  EXPECT_FALSE(change->erased);
  sync_a.Apply(*change);
  EXPECT_FALSE(a.Verify(token).ok()) << "refused at once where it was consumed";
  EXPECT_TRUE(testing::WaitFor([&] { return !b.Verify(token).ok(); }, std::chrono::seconds(5)))
      << "and within a refresh by the other replica";
  EXPECT_TRUE(b.Verify(TokenOf("0b7c1f2e-0000-4b5c-8d6e-7f8091a2b3c4")).ok());
}

TEST_F(IdentityTest, OtherFactsAreIgnoredAndMalformedOnesRefused) {
  mpb::MemberRegistered registered;
  registered.set_member_id(kMember);
  mpb::MemberDeleted bad;
  bad.set_member_id("not-a-uuid");
  ASSERT_TRUE(pool_
                  .InTransaction([&](postgres::Tx& tx) -> absl::Status {
                    EXPECT_FALSE(RecordIdentityFact(tx, Fact(registered))->has_value());
                    EXPECT_EQ(RecordIdentityFact(tx, Fact(bad)).status().code(),
                              absl::StatusCode::kInvalidArgument);
                    return absl::OkStatus();
                  })
                  .ok());
}

TEST_F(IdentityTest, AnErasureWaitsForTheMembersWriteInFlightAndLaterWritesAreRefused) {
  // A write holds the member's shared lock, uncommitted.
  pqxx::connection writer(db_.url());
  pqxx::work write(writer);
  ASSERT_TRUE(LockMemberForWrite(write, kMember).ok());

  std::promise<void> erased;
  auto erasure = std::async(std::launch::async, [&] {
    absl::Status s = pool_.InTransaction([&](postgres::Tx& tx) -> absl::Status {
      mpb::MemberDeleted fact;
      fact.set_member_id(kMember);
      auto recorded = RecordIdentityFact(tx, Fact(fact));
      return recorded.ok() ? absl::OkStatus() : recorded.status();
    });
    erased.set_value();
    return s;
  });
  EXPECT_EQ(erased.get_future().wait_for(std::chrono::milliseconds(500)),
            std::future_status::timeout)
      << "the erasure must wait for the write in flight";
  write.commit();
  ASSERT_TRUE(erasure.get().ok());

  // Upper case too: ids are compared in canonical form.
  std::string upper = kMember;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(pool_
                  .InTransaction([&](postgres::Tx& tx) -> absl::Status {
                    EXPECT_TRUE(IsErased(tx, kMember));
                    return LockMemberForWrite(tx, upper);
                  })
                  .code() == absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hc::identity
