#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"

// The one same-origin rule, for the gateway's and sign-in's state-changing requests alike.
namespace edge::http {

// The origin (scheme://host[:port], lower case) of an absolute URL such as HC_EDGE_PUBLIC_URL.
inline std::string OriginOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t path = url.find('/', scheme + 3);
  return absl::AsciiStrToLower(std::string(url.substr(0, path)));
}

// A browser's request is same-origin when `Sec-Fetch-Site` (when sent) says same-origin or
// none (typed by the user), and `Origin` (when sent) is `origin` — the configured public
// origin, never the request's own Host header, which a proxy or a DNS-rebinding page
// controls. `Origin: null` passes only with Sec-Fetch-Site: same-origin: a page served with
// `Referrer-Policy: no-referrer` (the sign-in link's) posts its form with Origin: null. Requests
// with neither header come from outside a browser and cannot carry a victim's cookie by
// accident.
inline bool IsSameOrigin(std::optional<std::string_view> origin_header,
                         std::optional<std::string_view> sec_fetch_site, std::string_view origin) {
  if (sec_fetch_site && *sec_fetch_site != "same-origin" && *sec_fetch_site != "none") {
    return false;
  }
  if (!origin_header) return true;
  if (*origin_header == "null") return sec_fetch_site == std::string_view("same-origin");
  return !origin.empty() && absl::AsciiStrToLower(std::string(*origin_header)) == origin;
}

inline bool IsSameOrigin(const httplib::Request& req, std::string_view origin) {
  // get_header_value returns a copy: keep it alive while views of it are compared.
  const std::string origin_header = req.get_header_value("Origin");
  const std::string fetch_site = req.get_header_value("Sec-Fetch-Site");
  return IsSameOrigin(
      req.has_header("Origin") ? std::optional<std::string_view>(origin_header) : std::nullopt,
      req.has_header("Sec-Fetch-Site") ? std::optional<std::string_view>(fetch_site) : std::nullopt,
      origin);
}

}  // namespace edge::http
