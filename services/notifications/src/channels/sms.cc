#include "services/notifications/src/channels/sms.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/notifications/src/channels/curl.h"

namespace notifications::channels {
namespace {

std::string Escape(CURL* curl, const std::string& value) {
  char* escaped = curl_easy_escape(curl, value.data(), static_cast<int>(value.size()));
  std::string out = escaped ? escaped : "";
  curl_free(escaped);
  return out;
}

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  // A provider's answer is small; anything past 64 KiB is not worth keeping.
  if (body->size() < (64 << 10)) body->append(data, size * count);
  return size * count;
}

SendResult Result(SendResult::Outcome outcome, std::string detail, std::string id = "") {
  return {.outcome = outcome, .detail = std::move(detail), .provider_id = std::move(id)};
}

}  // namespace

HttpSmsSender::HttpSmsSender(SmsSettings settings) : settings_(std::move(settings)) {}

SendResult HttpSmsSender::Send(const Sms& sms) {
  CurlHandle curl = NewCurl();
  if (!curl) return Result(SendResult::Outcome::kTransient, "curl_easy_init failed");
  CURL* c = curl.get();
  const std::string url =
      absl::StrCat(absl::StripSuffix(settings_.base_url, "/"), "/2010-04-01/Accounts/",
                   Escape(c, settings_.account_id), "/Messages.json");
  const std::string form = absl::StrCat(
      "To=", Escape(c, sms.to), "&From=", Escape(c, settings_.from), "&Body=", Escape(c, sms.body));
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(settings_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(c, CURLOPT_USERNAME, settings_.account_id.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.token.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);

  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    return Result(SendResult::Outcome::kTransient, absl::StrCat("sms: ", curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  // The status only: a provider's error text may quote the number.
  const std::string detail = absl::StrCat("sms: HTTP ", status);
  if (status >= 200 && status <= 299) {
    const nlohmann::json answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    std::string sid;
    if (answer.is_object() && answer.contains("sid") && answer["sid"].is_string()) {
      sid = answer["sid"].get<std::string>();
    }
    return Result(SendResult::Outcome::kSent, sid.empty() ? detail + " without a sid" : "", sid);
  }
  // 401/403 (credentials, account suspended) and 404 (a wrong account id or base URL) refuse
  // every message alike: the operator's to fix, so transient (the channel pauses, nothing
  // queued is failed for good). Other 4xx refuse this message (e.g. 400 for a bad number).
  const bool account_wide = status == 401 || status == 403 || status == 404 || status == 429;
  if (status >= 400 && status <= 499 && !account_wide) {
    return Result(SendResult::Outcome::kPermanent, detail);
  }
  return Result(SendResult::Outcome::kTransient, detail);
}

}  // namespace notifications::channels
