// The email/SMS dispatcher against the real PostgreSQL and the real membership service (its
// GetContact gives the address at send time). The provider is a recording function here: the
// real SMTP and SMS providers have their own tests (channels_integration_test.cc) and the
// whole path runs end to end in e2e_integration_test.cc.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/postgres/pool.h"
#include "libs/service/runtime.h"
#include "libs/testing/testing.h"
#include "services/membership/src/app.h"
#include "services/notifications/src/messaging/dispatcher.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"

const std::vector<hc::postgres::Migration>& notifications_lib_migrations();

namespace notifications {
namespace {

namespace mpb = alumni::membership::v1;
using messaging::Dispatcher;
using storage::DeliveryStatus;
using Clock = std::chrono::system_clock;

const std::string kSecret = "notifications-dispatcher-secret-0123456789";

std::string Token(const std::string& subject, std::vector<std::string> roles = {"alumnus"}) {
  return *hc::auth::Mint({.algorithm = "HS256",
                          .key = kSecret,
                          .issuer = "hc-test",
                          .subject = subject,
                          .roles = std::move(roles)});
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Clock::now() + std::chrono::seconds(30));
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

hc::config::ServiceSettings Common(const std::string& db_url, const std::string& redis) {
  hc::config::ServiceSettings s;
  s.server.address = "127.0.0.1:0";
  s.metrics_address = "127.0.0.1:0";
  s.database_url = db_url;
  s.redis_address = redis;
  s.kafka_brokers = hc::testing::KafkaBrokers();
  s.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
  s.workers = 4;
  s.db_pool_size = 4;
  return s;
}

storage::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return std::chrono::time_point_cast<std::chrono::milliseconds>(absl::ToChronoTime(t));
}

// What the provider was asked to send, and what it answers next.
class Provider {
 public:
  Dispatcher::Result Send(const Dispatcher::Outgoing& out) {
    std::lock_guard<std::mutex> lock(mu_);
    Dispatcher::Result result{.outcome = Dispatcher::Outcome::kSent};
    if (!answers_.empty()) {
      result = answers_.front();
      answers_.erase(answers_.begin());
    }
    if (result.outcome == Dispatcher::Outcome::kSent) sent_.push_back(out);
    ++calls_;
    return result;
  }
  void Answer(std::vector<Dispatcher::Result> answers) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_ = std::move(answers);
  }
  std::vector<Dispatcher::Outgoing> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::vector<Dispatcher::Result> answers_;
  std::vector<Dispatcher::Outgoing> sent_;
  int calls_ = 0;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    membership::Settings m;
    m.service = Common(membership_db_.url(), hc::testing::RedisAddress());
    m.data_key_hex = std::string(64, 'e');
    membership_ = std::make_unique<membership::App>(m);
    ASSERT_TRUE(membership_->Start().ok());
    members_ = mpb::MembershipService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(membership_->grpc_port()),
                            grpc::InsecureChannelCredentials()));

    settings_ = Common(db_.url(), hc::testing::RedisAddress());
    ASSERT_TRUE(hc::service::Runtime::Migrate(settings_, notifications_lib_migrations(),
                                              /*consumes_events=*/true)
                    .ok());
    pool_ = std::make_unique<hc::postgres::Pool>(hc::postgres::PoolOptions{.url = db_.url()});
    store_ = std::make_unique<storage::NotificationStore>(*pool_);
    deliveries_ = std::make_unique<storage::DeliveryStore>(*pool_);
    contacts_ = std::make_unique<members::MembershipContacts>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(membership_->grpc_port()),
                            grpc::InsecureChannelCredentials()),
        hc::grpc_client::ServiceToken::Options{.service = "notifications", .jwt = settings_.jwt},
        std::chrono::milliseconds(2000));
    inbox_ = std::make_unique<messaging::InboxDeliveries>(
        *store_, [this] { return Now(); }, registry_,
        messaging::QueuedChannels{.deliveries = deliveries_.get(), .zones = &zones_});
  }

  void TearDown() override {
    if (membership_) membership_->Shutdown();
  }

  storage::Time Now() {
    std::lock_guard<std::mutex> lock(clock_mu_);
    return now_;
  }
  void SetNow(storage::Time t) {
    std::lock_guard<std::mutex> lock(clock_mu_);
    now_ = t;
  }

  std::unique_ptr<Dispatcher> MakeDispatcher(domain::Channel channel, Provider& provider,
                                             hc::postgres::Pool* pool = nullptr,
                                             int daily_cap = 12) {
    hc::postgres::Pool& p = pool ? *pool : *pool_;
    return std::make_unique<Dispatcher>(
        Dispatcher::Options{.channel = channel,
                            .daily_cap = daily_cap,
                            .retry = {.base = std::chrono::milliseconds(1000), .max_attempts = 3},
                            .outage_pause_min = std::chrono::milliseconds(1),
                            .render_digest =
                                [this](const std::vector<storage::Delivery>& items,
                                       const members::Contact&, const absl::TimeZone&) {
                                  std::lock_guard<std::mutex> lock(clock_mu_);
                                  digest_sizes_.push_back(static_cast<int>(items.size()));
                                  return Dispatcher::Rendered{.subject = "Your Homecoming summary",
                                                              .text = "items"};
                                }},
        p, *deliveries_, *store_, *contacts_, zones_,
        [](const storage::Delivery& d, const members::Contact& c, const absl::TimeZone&) {
          return Dispatcher::Rendered{
              .subject = "A note from Homecoming",
              .text = "Hello " + c.display_name + ", " + std::string(domain::InboxText(d.kind))};
        },
        [&provider](const Dispatcher::Outgoing& out) { return provider.Send(out); },
        [this] { return Now(); }, inbox_->family(), registry_);
  }

  // A member registered in the real membership service with an email address and a phone
  // number; consent for each as given, in membership and in the local projection.
  std::string Register(bool email_consent, bool sms_consent) {
    mpb::RegisterMemberRequest reg;
    reg.set_first_name("Robin");
    reg.set_last_name("Ash");
    email_ = hc::testing::UniqueName("robin") + "@example.org";
    reg.set_email(email_);
    reg.set_phone("+15555550123");
    reg.set_time_zone("America/New_York");
    mpb::RegisterMemberResponse registered;
    grpc::Status s = members_->RegisterMember(Ctx(Token(hc::ids::NewUuid(), {"coordinator"})).get(),
                                              reg, &registered);
    EXPECT_TRUE(s.ok()) << s.error_message();
    const std::string id = registered.member().member_id();
    Consent(id, domain::Channel::kEmail, email_consent);
    Consent(id, domain::Channel::kSms, sms_consent);
    return id;
  }

  void Consent(const std::string& member_id, domain::Channel channel, bool granted) {
    mpb::UpdateConsentRequest req;
    req.set_member_id(member_id);
    req.set_channel(channel == domain::Channel::kEmail ? mpb::CONTACT_CHANNEL_EMAIL
                                                       : mpb::CONTACT_CHANNEL_SMS);
    req.set_granted(granted);
    mpb::UpdateConsentResponse resp;
    grpc::Status s = members_->UpdateConsent(Ctx(Token(member_id)).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(pool_
                    ->InTransaction([&](hc::postgres::Tx& tx) {
                      deliveries_->SetConsentIn(
                          tx, member_id, channel, granted,
                          storage::Time(std::chrono::milliseconds(1000 + consent_seq_++)));
                      return absl::OkStatus();
                    })
                    .ok());
  }

  void Prefer(const std::string& member_id,
              const std::function<void(domain::Preferences&)>& change) {
    ASSERT_TRUE(store_
                    ->UpdatePreferences(
                        member_id,
                        [&](domain::Preferences& p) {
                          change(p);
                          return absl::OkStatus();
                        },
                        Now())
                    .ok());
  }

  // What a fact `ce_id` about an event does for the member.
  messaging::InboxDeliveries::Tally Deliver(const std::string& ce_id, const std::string& member) {
    messaging::InboxDeliveries::Tally tally;
    EXPECT_TRUE(pool_
                    ->InTransaction([&](hc::postgres::Tx& tx) {
                      return inbox_->Deliver(tx, ce_id,
                                             {.member_id = member,
                                              .kind = domain::InboxKind::kRsvpConfirmed,
                                              .event_id = hc::ids::NewUuid()},
                                             tally);
                    })
                    .ok());
    return tally;
  }

  // The statuses of the member's deliveries on `channel`.
  std::vector<std::string> Statuses(const std::string& member, domain::Channel channel) {
    std::vector<std::string> out;
    EXPECT_TRUE(pool_
                    ->InTransaction([&](hc::postgres::Tx& tx) {
                      for (const auto& row : tx.exec_params(
                               "SELECT status FROM deliveries WHERE member_id = $1 AND channel "
                               "= $2 ORDER BY created_at, delivery_id",
                               member, std::string(domain::ChannelName(channel)))) {
                        out.push_back(row[0].as<std::string>());
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    return out;
  }

  hc::testing::TestDatabase membership_db_{"dispatch_m"};
  hc::testing::TestDatabase db_{"dispatch_n"};
  std::unique_ptr<membership::App> membership_;
  std::unique_ptr<mpb::MembershipService::Stub> members_;
  hc::config::ServiceSettings settings_;
  std::unique_ptr<hc::postgres::Pool> pool_;
  std::unique_ptr<storage::NotificationStore> store_;
  std::unique_ptr<storage::DeliveryStore> deliveries_;
  std::unique_ptr<members::MembershipContacts> contacts_;
  hc::tz::SystemTimeZones zones_;
  prometheus::Registry registry_;
  std::unique_ptr<messaging::InboxDeliveries> inbox_;
  std::mutex clock_mu_;
  storage::Time now_ = At("2026-06-10T16:00:00Z");  // noon in New York
  int consent_seq_ = 0;
  std::vector<int> digest_sizes_;
  std::string email_;
};

TEST_F(DispatcherTest, SendsOneEmailToTheAddressMembershipGivesAtSendTime) {
  const std::string member = Register(/*email_consent=*/true, /*sms_consent=*/false);
  const std::string fact = hc::ids::NewUuid();
  Deliver(fact, member);
  // The same fact again (a redelivery past the consumer's inbox) queues nothing more.
  const auto again = Deliver(fact, member);
  EXPECT_EQ(again.queued_duplicate.size(), 1u);

  Provider provider;
  auto email = MakeDispatcher(domain::Channel::kEmail, provider);
  EXPECT_EQ(email->RunOnce(), 1);
  EXPECT_EQ(email->RunOnce(), 0);
  ASSERT_EQ(provider.sent().size(), 1u);
  EXPECT_EQ(provider.sent()[0].address, email_);
  EXPECT_NE(provider.sent()[0].text.find("Robin"), std::string::npos);
  EXPECT_TRUE(hc::ids::IsUuid(provider.sent()[0].message_id));
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail), std::vector<std::string>{"sent"});
  // SMS is off by default: no row at all, only a count.
  EXPECT_TRUE(Statuses(member, domain::Channel::kSms).empty());
}

TEST_F(DispatcherTest, SmsConsentRevokedMeansNoSms) {
  const std::string member = Register(/*email_consent=*/false, /*sms_consent=*/true);
  Prefer(member, [](domain::Preferences& p) {
    p.Set(domain::Category::kEvents, domain::Channel::kSms, true);
  });
  Deliver(hc::ids::NewUuid(), member);
  EXPECT_EQ(Statuses(member, domain::Channel::kSms), std::vector<std::string>{"queued"});
  // Revoked after the fact arrived, before it went out: honoured at send time.
  Consent(member, domain::Channel::kSms, false);
  // And a fact after the revocation is suppressed at once.
  Deliver(hc::ids::NewUuid(), member);

  Provider provider;
  auto sms = MakeDispatcher(domain::Channel::kSms, provider);
  sms->RunOnce();
  EXPECT_EQ(provider.calls(), 0);
  EXPECT_EQ(Statuses(member, domain::Channel::kSms),
            (std::vector<std::string>{"suppressed_consent", "suppressed_consent"}));
  // Email had no consent from the start.
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail),
            (std::vector<std::string>{"suppressed_consent", "suppressed_consent"}));
}

TEST_F(DispatcherTest, SmsGrantedGoesToThePhoneNumber) {
  const std::string member = Register(/*email_consent=*/false, /*sms_consent=*/true);
  Prefer(member, [](domain::Preferences& p) {
    p.Set(domain::Category::kEvents, domain::Channel::kSms, true);
  });
  Deliver(hc::ids::NewUuid(), member);
  Provider provider;
  MakeDispatcher(domain::Channel::kSms, provider)->RunOnce();
  ASSERT_EQ(provider.sent().size(), 1u);
  EXPECT_EQ(provider.sent()[0].address, "+15555550123");
}

// Quiet hours 22:00-07:00 in New York on the night the clocks go back (1 November 2026: 02:00
// EDT becomes 01:00 EST). A fact at 01:30 EDT is held until 07:00 EST = 12:00 UTC, not
// 11:00 UTC (07:00 EDT), and goes out then.
TEST_F(DispatcherTest, QuietHoursHoldUntilTheWindowEndsAcrossTheDstChange) {
  const std::string member = Register(/*email_consent=*/true, /*sms_consent=*/false);
  Prefer(member, [](domain::Preferences& p) {
    p.time_zone = "America/New_York";
    p.quiet = {.start_minute = 22 * 60, .end_minute = 7 * 60};
  });
  SetNow(At("2026-11-01T05:30:00Z"));
  Deliver(hc::ids::NewUuid(), member);
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail), std::vector<std::string>{"held"});

  Provider provider;
  auto email = MakeDispatcher(domain::Channel::kEmail, provider);
  for (const char* t : {"2026-11-01T06:00:00Z", "2026-11-01T11:00:00Z", "2026-11-01T11:59:59Z"}) {
    SetNow(At(t));
    email->RunOnce();
    EXPECT_EQ(provider.calls(), 0) << "sent during quiet hours at " << t;
  }
  SetNow(At("2026-11-01T12:00:00Z"));
  email->RunOnce();
  EXPECT_EQ(provider.sent().size(), 1u);
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail), std::vector<std::string>{"sent"});
}

// A delivery that fell due outside quiet hours but is sent inside them (it waited for a retry)
// is held again at send time.
TEST_F(DispatcherTest, QuietHoursAreCheckedAgainAtSendTime) {
  const std::string member = Register(true, false);
  Deliver(hc::ids::NewUuid(), member);
  Prefer(member, [](domain::Preferences& p) {
    p.time_zone = "America/New_York";
    p.quiet = {.start_minute = 11 * 60, .end_minute = 13 * 60};  // noon is inside
  });
  Provider provider;
  MakeDispatcher(domain::Channel::kEmail, provider)->RunOnce();
  EXPECT_EQ(provider.calls(), 0);
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail), std::vector<std::string>{"held"});
}

TEST_F(DispatcherTest, TransientFailuresRetryWithBackoffAndOthersAreNotLost) {
  const std::string a = Register(true, false);
  const std::string b = Register(true, false);
  Deliver(hc::ids::NewUuid(), a);
  SetNow(Now() + std::chrono::milliseconds(1));
  Deliver(hc::ids::NewUuid(), b);
  Provider provider;
  provider.Answer({{Dispatcher::Outcome::kTransient, "smtp_unavailable"}});
  auto email = MakeDispatcher(domain::Channel::kEmail, provider);
  email->RunOnce();
  // The first failed: the channel pauses; the second was released, not sent and not failed.
  EXPECT_EQ(provider.calls(), 1);
  EXPECT_EQ(Statuses(a, domain::Channel::kEmail), std::vector<std::string>{"queued"});
  EXPECT_EQ(Statuses(b, domain::Channel::kEmail), std::vector<std::string>{"queued"});
  // After the pause b goes out; a waits for its own backoff (at most 1 s for the first retry).
  SetNow(Now() + std::chrono::milliseconds(10));
  email->RunOnce();
  SetNow(Now() + std::chrono::seconds(2));
  email->RunOnce();
  EXPECT_EQ(provider.sent().size(), 2u);
  EXPECT_EQ(Statuses(a, domain::Channel::kEmail), std::vector<std::string>{"sent"});
  EXPECT_EQ(Statuses(b, domain::Channel::kEmail), std::vector<std::string>{"sent"});
}

TEST_F(DispatcherTest, GivesUpAfterTheRetryLimitAndOnAPermanentFailure) {
  const std::string a = Register(true, false);
  Deliver(hc::ids::NewUuid(), a);
  Provider provider;
  provider.Answer({{Dispatcher::Outcome::kTransient, "t1"},
                   {Dispatcher::Outcome::kTransient, "t2"},
                   {Dispatcher::Outcome::kTransient, "t3"}});
  auto email = MakeDispatcher(domain::Channel::kEmail, provider);
  for (int i = 0; i < 5; ++i) {
    email->RunOnce();
    SetNow(Now() + std::chrono::seconds(10));
  }
  EXPECT_EQ(provider.calls(), 3);  // max_attempts
  EXPECT_EQ(Statuses(a, domain::Channel::kEmail), std::vector<std::string>{"failed"});

  const std::string b = Register(true, false);
  Deliver(hc::ids::NewUuid(), b);
  provider.Answer({{Dispatcher::Outcome::kPermanent, "mailbox_rejected"}});
  email->RunOnce();
  EXPECT_EQ(Statuses(b, domain::Channel::kEmail), std::vector<std::string>{"failed"});
}

TEST_F(DispatcherTest, TheDailyCapDigestsEmailAndDropsSms) {
  const std::string member = Register(true, true);
  Prefer(member, [](domain::Preferences& p) {
    p.Set(domain::Category::kEvents, domain::Channel::kSms, true);
  });
  for (int i = 0; i < 3; ++i) {
    Deliver(hc::ids::NewUuid(), member);
    SetNow(Now() + std::chrono::milliseconds(1));
  }
  Provider provider;
  auto email = MakeDispatcher(domain::Channel::kEmail, provider, nullptr, /*daily_cap=*/2);
  auto sms = MakeDispatcher(domain::Channel::kSms, provider, nullptr, /*daily_cap=*/2);
  email->RunOnce();
  sms->RunOnce();
  EXPECT_EQ(provider.sent().size(), 4u);
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail),
            (std::vector<std::string>{"sent", "sent", "digested"}));
  EXPECT_EQ(Statuses(member, domain::Channel::kSms),
            (std::vector<std::string>{"sent", "sent", "capped"}));
}

// A dispatcher that died after claiming: its claims run out and another sends them, with the
// same Message-ID.
TEST_F(DispatcherTest, AClaimWhoseLeaseRanOutIsSentByAnother) {
  const std::string member = Register(true, false);
  Deliver(hc::ids::NewUuid(), member);
  auto claimed = deliveries_->Claim(domain::Channel::kEmail, Now(), std::chrono::seconds(60), 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  Provider provider;
  auto email = MakeDispatcher(domain::Channel::kEmail, provider);
  email->RunOnce();
  EXPECT_EQ(provider.calls(), 0) << "a live claim was taken over";
  SetNow(Now() + std::chrono::seconds(61));
  email->RunOnce();
  ASSERT_EQ(provider.sent().size(), 1u);
  EXPECT_EQ(provider.sent()[0].message_id, (*claimed)[0].delivery_id);
}

// Two replicas' dispatchers (own pools) racing over the same due rows: each sent exactly once.
TEST_F(DispatcherTest, TwoReplicasNeverSendOneTwice) {
  constexpr int kMembers = 20;
  constexpr int kFactsEach = 10;  // 200 deliveries
  std::vector<std::string> members;
  for (int i = 0; i < kMembers; ++i) members.push_back(Register(true, false));
  for (const auto& m : members) {
    for (int f = 0; f < kFactsEach; ++f) Deliver(hc::ids::NewUuid(), m);
  }
  hc::postgres::Pool other(hc::postgres::PoolOptions{.url = db_.url()});
  Provider provider;
  auto first = MakeDispatcher(domain::Channel::kEmail, provider, nullptr, 1000);
  auto second = MakeDispatcher(domain::Channel::kEmail, provider, &other, 1000);
  auto drain = [](Dispatcher& d) {
    for (int idle = 0; idle < 3;) idle = d.RunOnce() == 0 ? idle + 1 : 0;
  };
  std::thread a([&] { drain(*first); });
  std::thread b([&] { drain(*second); });
  a.join();
  b.join();
  const auto sent = provider.sent();
  std::set<std::string> ids;
  for (const auto& out : sent) ids.insert(out.message_id);
  EXPECT_EQ(sent.size(), static_cast<size_t>(kMembers * kFactsEach));
  EXPECT_EQ(ids.size(), sent.size()) << "a delivery was sent twice";
  auto left = deliveries_->CountByStatus(domain::Channel::kEmail, DeliveryStatus::kQueued);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0);
}

// A member who chose the daily digest for events gets one email at 08:00 their time gathering
// everything since, once, even with two replicas' dispatchers looking.
TEST_F(DispatcherTest, TheDigestGathersADaysMessagesIntoOneEmailAtEightLocal) {
  const std::string member = Register(true, false);
  Prefer(member, [](domain::Preferences& p) {
    p.time_zone = "America/New_York";
    p.digest[static_cast<int>(domain::Category::kEvents)] = true;
  });
  SetNow(At("2026-06-10T16:00:00Z"));
  for (int i = 0; i < 3; ++i) {
    Deliver(hc::ids::NewUuid(), member);
    SetNow(Now() + std::chrono::minutes(5));
  }
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail),
            (std::vector<std::string>{"digested", "digested", "digested"}));
  hc::postgres::Pool other(hc::postgres::PoolOptions{.url = db_.url()});
  Provider provider;
  auto first = MakeDispatcher(domain::Channel::kEmail, provider);
  auto second = MakeDispatcher(domain::Channel::kEmail, provider, &other);
  SetNow(At("2026-06-11T11:59:00Z"));  // 07:59 EDT
  first->RunOnce();
  EXPECT_EQ(provider.calls(), 0) << "the digest went out before 08:00";
  SetNow(At("2026-06-11T12:00:00Z"));
  std::thread a([&] { first->RunOnce(); });
  std::thread b([&] { second->RunOnce(); });
  a.join();
  b.join();
  ASSERT_EQ(provider.sent().size(), 1u);
  EXPECT_EQ(provider.sent()[0].address, email_);
  EXPECT_EQ(digest_sizes_, std::vector<int>{3});
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail),
            (std::vector<std::string>{"digest_sent", "digest_sent", "digest_sent"}));
  SetNow(At("2026-06-12T12:00:00Z"));
  first->RunOnce();
  EXPECT_EQ(provider.sent().size(), 1u) << "a digest was sent twice";
}

// One-click unsubscribe (or any change of mind) after items were gathered for the digest:
// they are not sent at 08:00.
TEST_F(DispatcherTest, TheDigestLeavesOutWhatTheMemberTurnedOffSince) {
  const std::string member = Register(true, false);
  Prefer(member, [](domain::Preferences& p) {
    p.time_zone = "America/New_York";
    p.digest[static_cast<int>(domain::Category::kEvents)] = true;
  });
  Deliver(hc::ids::NewUuid(), member);
  Deliver(hc::ids::NewUuid(), member);
  Prefer(member, [](domain::Preferences& p) {
    p.Set(domain::Category::kEvents, domain::Channel::kEmail, false);
    p.digest[static_cast<int>(domain::Category::kEvents)] = false;
  });
  Provider provider;
  SetNow(At("2026-06-11T12:00:00Z"));
  MakeDispatcher(domain::Channel::kEmail, provider)->RunOnce();
  EXPECT_EQ(provider.calls(), 0);
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail),
            (std::vector<std::string>{"suppressed_preference", "suppressed_preference"}));
}

// A dispatcher that is slow rather than dead: its lease ran out and another claimed and sent
// the delivery. The slow one may neither send it (Renew says no) nor record an outcome over
// the new owner's.
TEST_F(DispatcherTest, ADispatcherWhoseLeaseRanOutNeitherSendsNorRecords) {
  const std::string member = Register(true, false);
  Deliver(hc::ids::NewUuid(), member);
  auto slow = deliveries_->Claim(domain::Channel::kEmail, Now(), std::chrono::seconds(60), 10);
  ASSERT_TRUE(slow.ok());
  ASSERT_EQ(slow->size(), 1u);
  SetNow(Now() + std::chrono::seconds(61));
  Provider provider;
  MakeDispatcher(domain::Channel::kEmail, provider)->RunOnce();
  ASSERT_EQ(provider.sent().size(), 1u);
  storage::Delivery& mine = (*slow)[0];
  auto renewed = deliveries_->Renew(mine, Now(), std::chrono::seconds(60));
  ASSERT_TRUE(renewed.ok());
  EXPECT_FALSE(*renewed) << "a lost claim was renewed";
  ASSERT_TRUE(deliveries_->Finish(mine, DeliveryStatus::kQueued, Now(), 1, "late", Now()).ok());
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail), std::vector<std::string>{"sent"});
}

// A reminder held for quiet hours whose RSVP was cancelled meanwhile is dropped, not sent; one
// for someone still going, before the start, goes.
TEST_F(DispatcherTest, AReminderGoesOnlyWhileTheMemberIsStillGoingBeforeTheStart) {
  const std::string going = Register(true, false);
  const std::string gone = Register(true, false);
  const std::string event_id = hc::ids::NewUuid();
  for (const std::string& member : {going, gone}) {
    messaging::InboxDeliveries::Tally tally;
    ASSERT_TRUE(pool_
                    ->InTransaction([&](hc::postgres::Tx& tx) {
                      return inbox_->Deliver(tx, hc::ids::NewUuid(),
                                             {.member_id = member,
                                              .kind = domain::InboxKind::kEventReminder,
                                              .event_id = event_id},
                                             tally);
                    })
                    .ok());
  }
  ASSERT_TRUE(pool_
                  ->InTransaction([&](hc::postgres::Tx& tx) {
                    tx.exec_params(
                        "INSERT INTO attendance (subject_kind, subject_id, member_id, status, "
                        "start_time) VALUES ('event', $1::uuid, $2, 'going', "
                        "to_timestamp($3::bigint / 1000.0))",
                        event_id, going,
                        (Now() + std::chrono::hours(2)).time_since_epoch().count());
                    return absl::OkStatus();
                  })
                  .ok());
  Provider provider;
  MakeDispatcher(domain::Channel::kEmail, provider)->RunOnce();
  ASSERT_EQ(provider.sent().size(), 1u);
  EXPECT_EQ(Statuses(going, domain::Channel::kEmail), std::vector<std::string>{"sent"});
  EXPECT_EQ(Statuses(gone, domain::Channel::kEmail), std::vector<std::string>{"dropped"});
}

TEST_F(DispatcherTest, MembershipDownIsARetryNotALoss) {
  const std::string member = Register(true, false);
  Deliver(hc::ids::NewUuid(), member);
  membership_->Shutdown();
  membership_.reset();
  Provider provider;
  auto email = MakeDispatcher(domain::Channel::kEmail, provider);
  email->RunOnce();
  EXPECT_EQ(provider.calls(), 0);
  EXPECT_EQ(Statuses(member, domain::Channel::kEmail), std::vector<std::string>{"queued"});
}

}  // namespace
}  // namespace notifications
