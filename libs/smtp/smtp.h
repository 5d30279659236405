#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"

// An email for one person, and the sender that hands it to an SMTP relay (notifications' email
// channel, the edge's sign-in links). Nothing here logs or returns an address:
// `SendResult::detail` names only what went wrong.
namespace hc::smtp {

struct Email {
  std::string to;
  std::string subject;
  // Plain text, UTF-8; sent quoted-printable.
  std::string text;
  // Stable, derived from the delivery id, so a resend after a crash is recognisable: the
  // left part of the Message-ID (`<message_id@the From domain>`); letters, digits and
  // `.-_` only.
  std::string message_id;
  // Empty: no List-Unsubscribe headers.
  std::string list_unsubscribe_url;
};

struct SendResult {
  enum class Outcome { kSent, kTransient, kPermanent };
  Outcome outcome = Outcome::kTransient;
  // What went wrong, for logs and the delivery row: never an address or a message's text.
  std::string detail;
  // The provider's id for the message (SMTP: the Message-ID; SMS: the provider's sid).
  std::string provider_id;
};

class EmailSender {
 public:
  virtual ~EmailSender() = default;
  virtual SendResult Send(const Email& email) = 0;
};

struct SmtpSettings {
  // smtp://host:port (or smtps://).
  std::string url = "smtp://127.0.0.1:11025";
  // Refuse to send unless the server upgrades the connection with STARTTLS.
  bool require_starttls = false;
  // Empty: no authentication.
  std::string user;
  std::string password;
  // The From address; the display name is always "Homecoming".
  std::string from = "notices@homecoming.localhost";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};
};

// The RFC 5322 message `email` becomes (CRLF line ends, quoted-printable body), sent at
// `date`. INVALID_ARGUMENT when a header value would carry a line break or the address or
// Message-ID is malformed: a header is never injectable.
absl::StatusOr<std::string> BuildMessage(const SmtpSettings& settings, const Email& email,
                                         std::chrono::system_clock::time_point date);

// Sends each message over its own connection (libcurl's SMTP). Thread-safe.
//
// Outcomes: a 5xx reply (e.g. 550 no such mailbox) is kPermanent, as is a message that fails
// BuildMessage; connection refused, timeouts, 4xx replies and every other failure are
// kTransient (the dispatcher retries them with backoff).
class SmtpSender : public EmailSender {
 public:
  explicit SmtpSender(SmtpSettings settings);
  SendResult Send(const Email& email) override;

 private:
  SmtpSettings settings_;
};

}  // namespace hc::smtp
