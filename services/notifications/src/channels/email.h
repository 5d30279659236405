#pragma once

#include "libs/smtp/smtp.h"

// The email channel is libs/smtp's sender (shared with the edge's sign-in links), under the
// names the channel has always used.
namespace notifications::channels {

using hc::smtp::BuildMessage;
using hc::smtp::Email;
using hc::smtp::EmailSender;
using hc::smtp::SendResult;
using hc::smtp::SmtpSender;
using hc::smtp::SmtpSettings;

}  // namespace notifications::channels
