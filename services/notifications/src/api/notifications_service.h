#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "libs/crypto/crypto.h"
#include "libs/grpc/server.h"
#include "libs/redis/cache.h"
#include "libs/tz/time_zones.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::api {

namespace pb = alumni::notifications::v1;

class InboxStreams;

// An inbox item as the API shows it (ListInbox, StreamInbox).
void InboxItemToProto(const storage::InboxItem& item, pb::InboxItem& out);

// The gRPC adapter: proto <-> domain, authorisation (every RPC acts for the token's subject
// only), validation.
// ListInbox is registered raw (request and response as bytes) so a near-cache hit answers
// with the opened page's bytes as they are (UnaryRunner::RunRaw).
class NotificationsService final : public pb::NotificationsService::WithRawCallbackMethod_ListInbox<
                                       pb::NotificationsService::CallbackService> {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // ListInbox pages are cached in `cache` for `cache_ttl`, sealed with `keys`.
  NotificationsService(hc::grpc_server::UnaryRunner& runner, storage::NotificationStore& store,
                       hc::redis::Cache& cache, const hc::crypto::DataKeys& keys,
                       const hc::tz::TimeZoneCatalog& zones, std::chrono::seconds cache_ttl,
                       Clock clock);

  // The Redis key of the generation of a member's cached ListInbox pages (the id only, never
  // personal data). Every committed change to what the member's ListInbox returns (a new item,
  // MarkRead, erasure) must Invalidate it afterwards: pages are cached under the generation,
  // so dropping it retires all of that member's pages in every replica at once.
  static std::string InboxGenerationKey(const std::string& member_id);

  grpc::ServerUnaryReactor* GetPreferences(grpc::CallbackServerContext* ctx,
                                           const pb::GetPreferencesRequest* req,
                                           pb::GetPreferencesResponse* resp) override;
  grpc::ServerUnaryReactor* UpdatePreferences(grpc::CallbackServerContext* ctx,
                                              const pb::UpdatePreferencesRequest* req,
                                              pb::UpdatePreferencesResponse* resp) override;
  grpc::ServerUnaryReactor* ListInbox(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* MarkRead(grpc::CallbackServerContext* ctx,
                                     const pb::MarkReadRequest* req,
                                     pb::MarkReadResponse* resp) override;
  grpc::ServerUnaryReactor* UnreadCount(grpc::CallbackServerContext* ctx,
                                        const pb::UnreadCountRequest* req,
                                        pb::UnreadCountResponse* resp) override;
  grpc::ServerWriteReactor<pb::StreamInboxResponse>* StreamInbox(
      grpc::CallbackServerContext* ctx, const pb::StreamInboxRequest* req) override;
  // Where StreamInbox's streams live; set before serving.
  void ServeStreams(InboxStreams& streams) { streams_ = &streams; }

 private:
  absl::Status DoGetPreferences(const hc::auth::Principal& caller,
                                const pb::GetPreferencesRequest& req,
                                pb::GetPreferencesResponse& resp);
  absl::Status DoUpdatePreferences(const hc::auth::Principal& caller,
                                   const pb::UpdatePreferencesRequest& req,
                                   pb::UpdatePreferencesResponse& resp);
  // What a ListInbox request asks for, checked: whose inbox, which page.
  struct InboxPage {
    std::string member_id;
    int page_size = 0;
    std::string filters;  // "unread" or "all"
    std::optional<storage::InboxCursor> after;
    // The page's Redis key under the member's `generation`.
    std::string Key(const std::string& generation) const;
  };
  absl::StatusOr<InboxPage> PlanInbox(const hc::auth::Principal& caller,
                                      const pb::ListInboxRequest& req) const;
  // Opens a sealed page cached under `key` and parses it into `resp`; false when it doesn't.
  bool OpenPage(const std::string& sealed, const std::string& key,
                pb::ListInboxResponse& resp) const;
  // The fast step (UnaryRunner::RunRaw): on gRPC's thread, answer when the near-cache holds
  // both the member's generation and the page, with the opened page's bytes as they are
  // (`bytes`), or say no (false) and let DoListInbox run.
  bool FastListInbox(const hc::auth::Principal& caller, const pb::ListInboxRequest& req,
                     std::string& bytes);
  absl::Status DoListInbox(const hc::auth::Principal& caller, const pb::ListInboxRequest& req,
                           pb::ListInboxResponse& resp);
  absl::Status DoMarkRead(const hc::auth::Principal& caller, const pb::MarkReadRequest& req,
                          pb::MarkReadResponse& resp);
  absl::Status DoUnreadCount(const hc::auth::Principal& caller, pb::UnreadCountResponse& resp);
  storage::Time Now() const;

  hc::grpc_server::UnaryRunner& runner_;
  storage::NotificationStore& store_;
  hc::redis::Cache& cache_;
  const hc::crypto::DataKeys& keys_;
  const hc::tz::TimeZoneCatalog& zones_;
  std::chrono::seconds cache_ttl_;
  Clock clock_;
  InboxStreams* streams_ = nullptr;
};

}  // namespace notifications::api
