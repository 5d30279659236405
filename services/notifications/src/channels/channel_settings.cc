#include "services/notifications/src/channels/channel_settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/config/service_settings.h"
#include "libs/smtp/settings.h"

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
  absl::StatusOr<hc::smtp::SmtpSettings> smtp = hc::smtp::ReadSmtpSettings(env, "HC_MAIL_FROM");
  s.sms.base_url = env.String("HC_SMS_BASE_URL", s.sms.base_url);
  s.sms.account_id = env.String("HC_SMS_ACCOUNT_ID", "");
  const std::string sms_token_file = env.String("HC_SMS_TOKEN_FILE", "");
  s.sms.from = env.String("HC_SMS_FROM", "");
  const std::string key_file = env.String("HC_UNSUBSCRIBE_KEY_FILE", "");
  s.public_base_url = env.String("HC_PUBLIC_BASE_URL", s.public_base_url);
  s.http_address = env.Address("HC_HTTP_ADDRESS", "127.0.0.1:17084");
  if (absl::Status checked = env.Check(); !checked.ok()) return checked;

  if (!smtp.ok()) return smtp.status();
  s.smtp = *std::move(smtp);
  for (absl::Status status :
       {NeedScheme("HC_SMS_BASE_URL", s.sms.base_url, {"http://", "https://"}),
        NeedScheme("HC_PUBLIC_BASE_URL", s.public_base_url, {"https://", "http://"}),
        ReadSecret("HC_SMS_TOKEN_FILE", sms_token_file, s.sms.token),
        ReadSecret("HC_UNSUBSCRIBE_KEY_FILE", key_file, s.unsubscribe_key_hex)}) {
    if (!status.ok()) return status;
  }
  if (!key_file.empty() && s.unsubscribe_key_hex.size() != 64) {
    return absl::InvalidArgumentError("HC_UNSUBSCRIBE_KEY_FILE=" + key_file +
                                      " must hold 64 hex characters");
  }
  return s;
}

}  // namespace notifications::channels
