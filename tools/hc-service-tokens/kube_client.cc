#include "tools/hc-service-tokens/kube_client.h"

#include <curl/curl.h>

#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace hc::service_tokens {
namespace {

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Transport failures worth another try: the API server restarting or a moment of network
// trouble. A certificate that does not verify or a malformed URL will not get better.
bool RetryableTransport(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return true;
    default:
      return false;
  }
}

// What the API said about a refusal: its Status object's reason and message. Never the raw
// body, and never the value, should the message quote it.
std::string Explain(const std::string& body, const std::string& secret_value) {
  std::string said;
  auto status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object()) {
    if (status.contains("reason") && status["reason"].is_string()) {
      said = status["reason"].get<std::string>();
    }
    if (status.contains("message") && status["message"].is_string()) {
      said += (said.empty() ? "" : ": ") + status["message"].get<std::string>();
    }
  }
  if (said.empty()) return "no Status in the answer";
  if (said.size() > 300) said = said.substr(0, 300) + "...";
  return absl::StrReplaceAll(said, {{secret_value, "<redacted>"}});
}

}  // namespace

KubeClient::KubeClient(KubeOptions options, std::ostream& log, Sleep sleep)
    : options_(std::move(options)), log_(log), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); };
}

absl::Status KubeClient::Write(const std::string& name, const std::string& key,
                               const std::string& value) {
  const std::string secret = "Secret " + options_.namespace_name + "/" + name;
  const std::string path = "/api/v1/namespaces/" + options_.namespace_name + "/secrets/" + name;
  const std::string encoded = absl::Base64Escape(value);
  const std::string body = nlohmann::json{{"data", {{key, encoded}}}}.dump();

  std::chrono::milliseconds backoff = options_.first_backoff;
  std::string last_problem;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    // Re-read each time: the kubelet replaces the projected token before it expires.
    auto bearer = ReadFileContent(options_.token_file);
    if (!bearer || absl::StripAsciiWhitespace(*bearer).empty()) {
      return absl::FailedPreconditionError(secret + ": no ServiceAccount token in " +
                                           options_.token_file);
    }
    const Reply reply = Patch(path, std::string(absl::StripAsciiWhitespace(*bearer)), body);
    if (reply.http_status >= 200 && reply.http_status < 300) return absl::OkStatus();
    if (reply.http_status == 0) {
      last_problem = "no answer from " + options_.api_url + " (" + reply.curl_error + ")";
      if (!reply.retryable_transport) {
        return absl::FailedPreconditionError(secret + ": " + last_problem);
      }
    } else {
      const std::string said = Explain(reply.body, encoded);
      last_problem = "HTTP " + std::to_string(reply.http_status) + " (" + said + ")";
      if (reply.http_status == 404) {
        return absl::NotFoundError(secret +
                                   " does not exist: create it once (tools/hc-service-tokens/"
                                   "README.md, First run); " +
                                   last_problem);
      }
      if (reply.http_status == 401 || reply.http_status == 403) {
        return absl::PermissionDeniedError(
            secret + ": refused, the ServiceAccount needs `patch` on it (Role resourceNames); " +
            last_problem);
      }
      if (reply.http_status != 429 && reply.http_status < 500) {
        return absl::FailedPreconditionError(secret + ": " + last_problem);
      }
    }
    if (attempt < options_.attempts) {
      log_ << "hc-service-tokens: " << secret << ": attempt " << attempt << "/" << options_.attempts
           << " failed, " << last_problem << "; retrying in " << backoff.count() << " ms\n";
      sleep_(backoff);
      backoff *= 2;
    }
  }
  return absl::UnavailableError(secret + ": gave up after " + std::to_string(options_.attempts) +
                                " attempts, last: " + last_problem);
}

KubeClient::Reply KubeClient::Patch(const std::string& path, const std::string& bearer,
                                    const std::string& body) const {
  Reply reply;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    reply.curl_error = "curl_easy_init failed";
    return reply;
  }
  const std::string url = options_.api_url + path;
  const std::string authorization = "Authorization: Bearer " + bearer;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, authorization.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/merge-patch+json");
  headers = curl_slist_append(headers, "Accept: application/json");
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PATCH");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  // The bearer token must never go anywhere but the API server, in clear text least of all.
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count() * 1000));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.http_status);
  } else {
    reply.curl_error = error[0] != '\0' ? error : curl_easy_strerror(code);
    reply.retryable_transport = RetryableTransport(code);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

}  // namespace hc::service_tokens
