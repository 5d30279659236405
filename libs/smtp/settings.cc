#include "libs/smtp/settings.h"

#include <optional>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/config/service_settings.h"

namespace hc::smtp {

absl::StatusOr<SmtpSettings> ReadSmtpSettings(hc::config::Env& env,
                                              const std::string& from_variable) {
  SmtpSettings s;
  s.url = env.String("HC_SMTP_URL", s.url);
  s.require_starttls = env.Bool("HC_SMTP_STARTTLS", s.require_starttls);
  s.user = env.String("HC_SMTP_USER", "");
  const std::string password_file = env.String("HC_SMTP_PASSWORD_FILE", "");
  s.from = env.String(from_variable, s.from);

  bool known_scheme = false;
  for (absl::string_view scheme : {"smtp://", "smtps://"}) {
    known_scheme =
        known_scheme || (absl::StartsWith(s.url, scheme) && s.url.size() > scheme.size());
  }
  if (!known_scheme) {
    return absl::InvalidArgumentError("HC_SMTP_URL=" + s.url +
                                      " must be a URL starting with smtp:// or smtps://");
  }
  if (!password_file.empty()) {
    std::optional<std::string> password = hc::config::ReadFile(password_file);
    if (!password) {
      return absl::InvalidArgumentError("HC_SMTP_PASSWORD_FILE=" + password_file +
                                        " cannot be read");
    }
    s.password = std::string(absl::StripAsciiWhitespace(*password));
  }
  if (!s.user.empty() && password_file.empty()) {
    return absl::InvalidArgumentError("HC_SMTP_USER needs HC_SMTP_PASSWORD_FILE");
  }
  const std::string_view from = s.from;
  if (from.find('@') == std::string_view::npos || from.find_first_of("<>\r\n \",") != from.npos) {
    return absl::InvalidArgumentError(from_variable + "=" + s.from + " must be a plain address");
  }
  return s;
}

}  // namespace hc::smtp
