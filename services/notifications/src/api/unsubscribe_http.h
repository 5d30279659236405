#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "services/notifications/src/domain/unsubscribe.h"
#include "services/notifications/src/storage/notification_store.h"

namespace httplib {
class Server;
}

namespace notifications::api {

// The page an email's unsubscribe link opens, and RFC 8058's one-click POST to the same URL.
//
//   GET  /unsubscribe?t=<token>   a small page with a button (a GET never changes anything:
//                                 mail scanners follow links)
//   POST /unsubscribe?t=<token>   body `List-Unsubscribe=One-Click` (or the page's form):
//                                 email off for the token's category, idempotent
//
// A bad token answers 400 and changes nothing; an erased member gets the same page as anyone
// (it tells nothing about who the link was for). Pages carry no script and a strict CSP.
class UnsubscribeHttp {
 public:
  using Clock = std::function<storage::Time()>;

  UnsubscribeHttp(storage::NotificationStore& store, const domain::UnsubscribeKey& key,
                  Clock clock);
  ~UnsubscribeHttp();

  // Listens on `address` (host:port; port 0 picks a free one) on a thread of its own.
  absl::Status Start(const std::string& address);
  // Stops listening and waits for requests in flight. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  storage::NotificationStore& store_;
  const domain::UnsubscribeKey& key_;
  Clock clock_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace notifications::api
