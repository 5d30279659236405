#include "services/notifications/src/api/unsubscribe_http.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace notifications::api {
namespace {

constexpr char kHtml[] = "text/html; charset=utf-8";

std::string Page(const std::string& title, const std::string& body) {
  return absl::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      title, "</title></head>\n<body><h1>", title, "</h1>\n", body, "\n</body></html>\n");
}

std::string CategoryWords(domain::Category category) {
  std::string words(domain::CategoryName(category));
  for (char& c : words) {
    if (c == '_') c = ' ';
  }
  return words;
}

void Answer(httplib::Response& res, int status, const std::string& html) {
  res.status = status;
  res.set_content(html, kHtml);
}

const char kInvalid[] =
    "<p>This link isn't valid. You can change which emails you get in the Homecoming app's "
    "settings.</p>";

}  // namespace

UnsubscribeHttp::UnsubscribeHttp(storage::NotificationStore& store,
                                 const domain::UnsubscribeKey& key, Clock clock)
    : store_(store), key_(key), clock_(std::move(clock)) {}

UnsubscribeHttp::~UnsubscribeHttp() { Stop(); }

absl::Status UnsubscribeHttp::Start(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("HC_HTTP_ADDRESS=" + address + " must be host:port");
  }
  const std::string host = address.substr(0, colon);
  server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *server_;
  // The token rides in the URL: keep it out of other sites' logs and of caches.
  server.set_default_headers(
      {{"Content-Security-Policy",
        "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
       {"X-Content-Type-Options", "nosniff"},
       {"Referrer-Policy", "no-referrer"},
       {"Cache-Control", "no-store"}});
  server.set_payload_max_length(4096);
  server.set_read_timeout(10);
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };

  server.Get("/unsubscribe", [this](const httplib::Request& req, httplib::Response& res) {
    const auto request = key_.Verify(req.get_param_value("t"));
    if (!request.ok()) return Answer(res, 400, Page("Link not valid", kInvalid));
    // The token is this service's own base64url text once verified: safe inside HTML.
    Answer(
        res, 200,
        Page("Unsubscribe",
             absl::StrCat("<p>Stop emails about ", CategoryWords(request->category),
                          " from Homecoming?</p>\n<form method=\"post\" action=\"/unsubscribe?t=",
                          req.get_param_value("t"),
                          "\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
                          "value=\"One-Click\"><button type=\"submit\">Unsubscribe</button>"
                          "</form>")));
  });

  server.Post("/unsubscribe", [this](const httplib::Request& req, httplib::Response& res) {
    const auto request = key_.Verify(req.get_param_value("t"));
    if (!request.ok()) return Answer(res, 400, Page("Link not valid", kInvalid));
    const domain::Category category = request->category;
    const auto updated = store_.UpdatePreferences(
        request->member_id,
        [category](domain::Preferences& p) {
          p.Set(category, domain::Channel::kEmail, false);
          // A digest is sent by email: without email there is nothing to gather.
          p.digest[static_cast<int>(category)] = false;
          return absl::OkStatus();
        },
        clock_());
    // An erased member's link answers like anyone's: there is nothing left to turn off.
    if (!updated.ok() && !absl::IsFailedPrecondition(updated.status())) {
      spdlog::warn("unsubscribe: preferences not updated: {}", updated.status().ToString());
      return Answer(res, 503,
                    Page("Please try again",
                         "<p>We couldn't save this just now. Please try the link again in a "
                         "few minutes.</p>"));
    }
    Answer(res, 200,
           Page("Unsubscribed",
                absl::StrCat("<p>You won't get emails about ", CategoryWords(category),
                             " from Homecoming any more. You can turn them back on in the app's "
                             "settings.</p>")));
  });

  if (port == 0) {
    port_ = server.bind_to_any_port(host);
  } else {
    port_ = server.bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    server_.reset();
    return absl::UnavailableError("HC_HTTP_ADDRESS=" + address + ": cannot listen");
  }
  thread_ = std::thread([&server] { server.listen_after_bind(); });
  // stop() before the accept loop runs would be lost; wait until it runs.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

void UnsubscribeHttp::Stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace notifications::api
