#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/smtp/smtp.h"

namespace hc::smtp {

// The mail relay settings every sender reads the same way, so the edge's sign-in links and
// notifications' email can use the same relay and login:
//   HC_SMTP_URL             smtp://host:port or smtps://host:port
//   HC_SMTP_STARTTLS        1: refuse to send unless the server upgrades with STARTTLS
//   HC_SMTP_USER            the login (needs HC_SMTP_PASSWORD_FILE)
//   HC_SMTP_PASSWORD_FILE   a file holding the password (whitespace around it is dropped)
//   `from_variable`         the From address, a plain address: the name differs by service
//                           (HC_MAIL_FROM in notifications, HC_SMTP_FROM in the edge).
// Every variable is asked of `env` before anything is checked, so `--list-settings` lists them
// all; INVALID_ARGUMENT names the variable that is wrong.
absl::StatusOr<SmtpSettings> ReadSmtpSettings(hc::config::Env& env,
                                              const std::string& from_variable);

}  // namespace hc::smtp
