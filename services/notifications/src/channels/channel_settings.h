#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "services/notifications/src/channels/email.h"
#include "services/notifications/src/channels/sms.h"

namespace notifications::channels {

// The email and SMS channels and the unsubscribe endpoint; see services/notifications/README.md
// ("Channels").
struct ChannelSettings {
  SmtpSettings smtp;
  SmsSettings sms;
  // 64 hex characters signing unsubscribe links. Empty: a random key per process (links stop
  // working at a restart; fine for tests, warned about otherwise).
  std::string unsubscribe_key_hex;
  // Where members' browsers reach the unsubscribe endpoint.
  std::string public_base_url = "http://127.0.0.1:17084";
  // The unsubscribe endpoint's listen address (port 0: any free port). FromEnv's default is
  // 127.0.0.1:17084; settings built in code (tests) get a free port, so they never collide
  // with a notifications running on the same machine.
  std::string http_address = "127.0.0.1:0";

  // Reads HC_SMTP_*, HC_MAIL_FROM, HC_SMS_*, HC_UNSUBSCRIBE_KEY_FILE, HC_PUBLIC_BASE_URL and
  // HC_HTTP_ADDRESS; the *_FILE ones are read here. INVALID_ARGUMENT naming the variable.
  static absl::StatusOr<ChannelSettings> FromEnv(hc::config::Env& env);
};

}  // namespace notifications::channels
