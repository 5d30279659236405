// Two replicas of membership (two Apps in this process) sharing one database and one Redis,
// as a Deployment with two pods does: a write through one must be what the other reads,
// whichever case the id is spelled in.
#include "absl/strings/ascii.h"
#include "services/membership/test/membership_fixture.h"

namespace membership::testing {
namespace {

class MembershipReplicasTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    Settings s;
    s.service.server.address = "127.0.0.1:0";
    s.service.metrics_address = "127.0.0.1:0";
    s.service.database_url = db_.url();
    s.service.redis_address = redis_.address();
    s.service.kafka_brokers = hc::testing::KafkaBrokers();
    s.service.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
    s.service.workers = 8;
    s.data_key_hex = std::string(64, 'c');
    replica_b_ = std::make_unique<App>(s);
    ASSERT_TRUE(replica_b_->Start().ok());
    stub_b_ = pb::MembershipService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(replica_b_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (replica_b_) replica_b_->Shutdown();
    MembershipTest::TearDown();
  }

  grpc::Status GetFromB(const std::string& token, const std::string& id, pb::Member* out) {
    pb::GetMemberRequest req;
    req.set_member_id(id);
    pb::GetMemberResponse resp;
    grpc::Status s = stub_b_->GetMember(Ctx(token).get(), req, &resp);
    *out = resp.member();
    return s;
  }

  std::unique_ptr<App> replica_b_;
  std::unique_ptr<pb::MembershipService::Stub> stub_b_;
};

TEST_F(MembershipReplicasTest, AnUpperCaseIdReadsWhatAWriteInTheOtherReplicaChanged) {
  pb::Member me = Register(hc::testing::UniqueName("u") + "@example.org");
  const std::string upper = absl::AsciiStrToUpper(me.member_id());
  pb::Member read;
  ASSERT_TRUE(Get(coordinator_, upper, &read).ok());  // replica A caches it
  ASSERT_EQ(read.last_name(), "Martinez");

  pb::UpdateProfileRequest update;
  update.set_member_id(me.member_id());
  update.mutable_member()->set_last_name("Lopez");
  update.mutable_update_mask()->add_paths("last_name");
  pb::UpdateProfileResponse resp;
  grpc::Status s = stub_b_->UpdateProfile(Ctx(Token(me.member_id(), {"alumnus"})).get(), update,
                                          &resp);  // through replica B
  ASSERT_TRUE(s.ok()) << s.error_message();

  ASSERT_TRUE(Get(coordinator_, upper, &read).ok());
  EXPECT_EQ(read.last_name(), "Lopez");
  ASSERT_TRUE(GetFromB(coordinator_, me.member_id(), &read).ok());
  EXPECT_EQ(read.last_name(), "Lopez");
}

TEST_F(MembershipReplicasTest, AMemberErasedThroughAnUpperCaseIdIsGoneFromEveryReplica) {
  pb::Member me = Register(hc::testing::UniqueName("e") + "@example.org");
  pb::Member read;
  ASSERT_TRUE(GetFromB(coordinator_, me.member_id(), &read).ok());  // replica B caches it

  pb::DeleteMemberRequest erase;
  erase.set_member_id(absl::AsciiStrToUpper(me.member_id()));
  pb::DeleteMemberResponse erased;
  grpc::Status s = stub_->DeleteMember(Ctx(Token("admin-1", {"admin"})).get(), erase, &erased);
  ASSERT_TRUE(s.ok()) << s.error_message();

  EXPECT_EQ(GetFromB(coordinator_, me.member_id(), &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(coordinator_, me.member_id(), &read).error_code(), grpc::StatusCode::NOT_FOUND);
  // Keyed like every other fact about the member, so consumers see one member, in order.
  auto deleted =
      hc::testing::ReadTopic(hc::testing::KafkaBrokers(), "alumni.membership.v1", 1,
                             std::chrono::seconds(30), [&](const hc::kafka::Message& m) {
                               return m.Header("ce_type") == "alumni.membership.v1.MemberDeleted" &&
                                      absl::AsciiStrToLower(m.key) == me.member_id();
                             });
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].key, me.member_id());
}

}  // namespace
}  // namespace membership::testing
