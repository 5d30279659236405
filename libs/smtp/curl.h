#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

// What the SMTP sender (and notifications' SMS sender) share of libcurl.
namespace hc::smtp {

struct CurlCleanup {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlCleanup>;

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, SlistFree>;

// A fresh easy handle; curl_global_init runs once first.
CurlHandle NewCurl();

// Failures that say nothing about the message: the peer could not be reached or answered
// nothing in time.
bool IsConnectionFailure(CURLcode code);

}  // namespace hc::smtp
