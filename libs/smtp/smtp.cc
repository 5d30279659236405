#include "libs/smtp/smtp.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/smtp/curl.h"

namespace hc::smtp {
namespace {

bool HasLineBreak(std::string_view value) {
  return value.find_first_of("\r\n") != std::string_view::npos;
}

// A plain addr-spec as members and settings give them: local@domain, printable ASCII, nothing
// that could close the <...> of SMTP's MAIL FROM / RCPT TO or start another header.
bool IsPlainAddress(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::all_of(address.begin(), address.end(), [](char c) {
    return c > ' ' && c < 0x7f && std::strchr("<>()[],;:\\\"", c) == nullptr;
  });
}

bool IsMessageIdPart(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

// RFC 2047: non-ASCII subjects as UTF-8 base64 encoded-words of at most 75 characters, folded
// onto continuation lines, never splitting a UTF-8 sequence between two words.
std::string EncodeSubject(std::string_view subject) {
  const bool ascii = std::all_of(subject.begin(), subject.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (ascii && subject.size() <= 900) return std::string(subject);
  // 45 bytes encode to 60 base64 characters; with "=?UTF-8?B?" and "?=" that is 72.
  constexpr size_t kChunk = 45;
  std::string out;
  size_t pos = 0;
  while (pos < subject.size()) {
    size_t end = std::min(pos + kChunk, subject.size());
    // Back off to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
    while (end < subject.size() && end > pos + 1 &&
           (static_cast<unsigned char>(subject[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) out += "\r\n ";
    absl::StrAppend(&out, "=?UTF-8?B?",
                    absl::Base64Escape(std::string(subject.substr(pos, end - pos))), "?=");
    pos = end;
  }
  return out;
}

// Quoted-printable (RFC 2045 6.7) with CRLF line ends and soft breaks before 76 characters. A
// dot at the start of a line is encoded too, so SMTP's dot-stuffing never matters.
std::string QuotedPrintable(std::string_view text) {
  std::string out;
  size_t line_length = 0;
  auto put = [&](std::string_view piece) {
    if (line_length + piece.size() > 75) {
      out += "=\r\n";
      line_length = 0;
    }
    out += piece;
    line_length += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      out += "\r\n";
      line_length = 0;
      continue;
    }
    const bool line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    const bool literal = (c >= 33 && c <= 126 && c != '=' && !(c == '.' && line_length == 0)) ||
                         ((c == ' ' || c == '\t') && !line_end);
    if (literal) {
      put(std::string_view(&text[i], 1));
    } else {
      put(absl::StrFormat("=%02X", c));
    }
  }
  return out;
}

std::string DomainOf(const std::string& address) { return address.substr(address.find('@') + 1); }

struct Upload {
  std::string_view data;
  size_t sent = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data.size() - upload->sent);
  std::memcpy(buffer, upload->data.data() + upload->sent, n);
  upload->sent += n;
  return n;
}

SendResult Result(SendResult::Outcome outcome, std::string detail, std::string id = "") {
  return {.outcome = outcome, .detail = std::move(detail), .provider_id = std::move(id)};
}

}  // namespace

absl::StatusOr<std::string> BuildMessage(const SmtpSettings& settings, const Email& email,
                                         std::chrono::system_clock::time_point date) {
  if (!IsPlainAddress(settings.from)) return absl::InvalidArgumentError("malformed From address");
  if (!IsPlainAddress(email.to)) return absl::InvalidArgumentError("malformed To address");
  if (!IsMessageIdPart(email.message_id)) return absl::InvalidArgumentError("malformed message id");
  if (HasLineBreak(email.subject)) return absl::InvalidArgumentError("line break in the subject");
  const std::string& url = email.list_unsubscribe_url;
  if (HasLineBreak(url) || absl::StrContains(url, ">") || absl::StrContains(url, " ")) {
    return absl::InvalidArgumentError("malformed List-Unsubscribe URL");
  }
  std::string m;
  absl::StrAppend(&m, "From: Homecoming <", settings.from, ">\r\n");
  absl::StrAppend(&m, "To: <", email.to, ">\r\n");
  absl::StrAppend(&m, "Subject: ", EncodeSubject(email.subject), "\r\n");
  absl::StrAppend(
      &m, "Date: ",
      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", absl::FromChrono(date), absl::UTCTimeZone()),
      "\r\n");
  absl::StrAppend(&m, "Message-ID: <", email.message_id, "@", DomainOf(settings.from), ">\r\n");
  if (!url.empty()) {
    absl::StrAppend(&m, "List-Unsubscribe: <", url, ">\r\n");
    absl::StrAppend(&m, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
  }
  absl::StrAppend(&m, "MIME-Version: 1.0\r\n");
  absl::StrAppend(&m, "Content-Type: text/plain; charset=utf-8\r\n");
  absl::StrAppend(&m, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  const std::string body = QuotedPrintable(email.text);
  // The message ends with a line break (SMTP's end of data follows on a line of its own).
  absl::StrAppend(&m, body, absl::EndsWith(body, "\r\n") ? "" : "\r\n");
  return m;
}

SmtpSender::SmtpSender(SmtpSettings settings) : settings_(std::move(settings)) {}

SendResult SmtpSender::Send(const Email& email) {
  absl::StatusOr<std::string> message =
      BuildMessage(settings_, email, std::chrono::system_clock::now());
  if (!message.ok()) {
    return Result(SendResult::Outcome::kPermanent, std::string(message.status().message()));
  }
  const std::string provider_id = absl::StrCat(email.message_id, "@", DomainOf(settings_.from));
  CurlHandle curl = NewCurl();
  if (!curl) return Result(SendResult::Outcome::kTransient, "curl_easy_init failed");
  CURL* c = curl.get();
  const std::string from = absl::StrCat("<", settings_.from, ">");
  CurlList recipients(curl_slist_append(nullptr, absl::StrCat("<", email.to, ">").c_str()));
  Upload upload{.data = *message};
  curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(settings_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  if (settings_.require_starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, CURLUSESSL_ALL);
  if (!settings_.user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message->size()));

  const CURLcode code = curl_easy_perform(c);
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  if (code == CURLE_OK) return Result(SendResult::Outcome::kSent, "", provider_id);
  // Only curl's own wording and the reply code: the server's text may echo the address.
  std::string detail = absl::StrCat("smtp: ", curl_easy_strerror(code));
  if (reply != 0) absl::StrAppend(&detail, " (reply ", reply, ")");
  // Refusals of this one message (a recipient or its content: 550-554 after the envelope) are
  // permanent. Refusals of the account or the session (login denied, 530 authentication or
  // STARTTLS required, 534/535/538) are the operator's to fix for every message: transient, so
  // a bad credential pauses the channel instead of failing everything queued for good.
  const bool account_wide = code == CURLE_LOGIN_DENIED || code == CURLE_USE_SSL_FAILED ||
                            reply == 530 || reply == 534 || reply == 535 || reply == 538;
  if (reply >= 500 && reply <= 599 && !account_wide) {
    return Result(SendResult::Outcome::kPermanent, std::move(detail), provider_id);
  }
  return Result(SendResult::Outcome::kTransient, std::move(detail), provider_id);
}

}  // namespace hc::smtp
