#pragma once

#include <chrono>
#include <string>

#include "services/notifications/src/channels/email.h"

// The SMS channel: one text for one phone number, and the sender that hands it to an HTTP
// provider of the widely used Messages.json shape.
namespace notifications::channels {

struct Sms {
  // E.164, e.g. +15551234567.
  std::string to;
  std::string body;
};

class SmsSender {
 public:
  virtual ~SmsSender() = default;
  virtual SendResult Send(const Sms& sms) = 0;
};

struct SmsSettings {
  std::string base_url = "http://127.0.0.1:18026";
  std::string account_id;
  std::string token;
  // The sender number or id the provider knows.
  std::string from;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{15000};
};

// POST {base_url}/2010-04-01/Accounts/{account_id}/Messages.json, form-encoded To, From and
// Body, HTTP basic auth account_id:token. Thread-safe.
//
// Outcomes: 2xx is kSent with the JSON's "sid" as provider_id; 429, 5xx and connection
// failures are kTransient; any other 4xx (bad number, bad credentials) is kPermanent.
class HttpSmsSender : public SmsSender {
 public:
  explicit HttpSmsSender(SmsSettings settings);
  SendResult Send(const Sms& sms) override;

 private:
  SmsSettings settings_;
};

}  // namespace notifications::channels
