#include "services/notifications/src/channels/channel_settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/config/service_settings.h"

namespace notifications::channels {
namespace {

// A secret from a file, without the trailing newline editors and `echo` leave.
absl::Status ReadSecret(const char* variable, const std::string& path, std::string& out) {
  if (path.empty()) return absl::OkStatus();
  std::optional<std::string> content = hc::config::ReadFile(path);
  if (!content) {
    return absl::InvalidArgumentError(std::string(variable) + "=" + path + " cannot be read");
  }
  out = std::string(absl::StripAsciiWhitespace(*content));
  return absl::OkStatus();
}

absl::Status NeedScheme(const char* variable, const std::string& value,
                        std::initializer_list<const char*> schemes) {
  for (const char* scheme : schemes) {
    if (absl::StartsWith(value, scheme) && value.size() > std::string_view(scheme).size()) {
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(std::string(variable) + "=" + value +
                                    " must be a URL starting with " + *schemes.begin());
}

}  // namespace

absl::StatusOr<ChannelSettings> ChannelSettings::FromEnv(hc::config::Env& env) {
  ChannelSettings s;
  s.smtp.url = env.String("HC_SMTP_URL", s.smtp.url);
  s.smtp.require_starttls = env.Bool("HC_SMTP_STARTTLS", s.smtp.require_starttls);
  s.smtp.user = env.String("HC_SMTP_USER", "");
  const std::string smtp_password_file = env.String("HC_SMTP_PASSWORD_FILE", "");
  s.smtp.from = env.String("HC_MAIL_FROM", s.smtp.from);
  s.sms.base_url = env.String("HC_SMS_BASE_URL", s.sms.base_url);
  s.sms.account_id = env.String("HC_SMS_ACCOUNT_ID", "");
  const std::string sms_token_file = env.String("HC_SMS_TOKEN_FILE", "");
  s.sms.from = env.String("HC_SMS_FROM", "");
  const std::string key_file = env.String("HC_UNSUBSCRIBE_KEY_FILE", "");
  s.public_base_url = env.String("HC_PUBLIC_BASE_URL", s.public_base_url);
  s.http_address = env.Address("HC_HTTP_ADDRESS", "127.0.0.1:17084");
  if (absl::Status checked = env.Check(); !checked.ok()) return checked;

  for (absl::Status status :
       {NeedScheme("HC_SMTP_URL", s.smtp.url, {"smtp://", "smtps://"}),
        NeedScheme("HC_SMS_BASE_URL", s.sms.base_url, {"http://", "https://"}),
        NeedScheme("HC_PUBLIC_BASE_URL", s.public_base_url, {"https://", "http://"}),
        ReadSecret("HC_SMTP_PASSWORD_FILE", smtp_password_file, s.smtp.password),
        ReadSecret("HC_SMS_TOKEN_FILE", sms_token_file, s.sms.token),
        ReadSecret("HC_UNSUBSCRIBE_KEY_FILE", key_file, s.unsubscribe_key_hex)}) {
    if (!status.ok()) return status;
  }
  const std::string_view from = s.smtp.from;
  if (from.find('@') == std::string_view::npos || from.find_first_of("<>\r\n \",") != from.npos) {
    return absl::InvalidArgumentError("HC_MAIL_FROM=" + s.smtp.from + " must be a plain address");
  }
  if (!s.smtp.user.empty() && smtp_password_file.empty()) {
    return absl::InvalidArgumentError("HC_SMTP_USER needs HC_SMTP_PASSWORD_FILE");
  }
  if (!key_file.empty() && s.unsubscribe_key_hex.size() != 64) {
    return absl::InvalidArgumentError("HC_UNSUBSCRIBE_KEY_FILE=" + key_file +
                                      " must hold 64 hex characters");
  }
  return s;
}

}  // namespace notifications::channels
