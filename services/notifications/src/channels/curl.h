#pragma once

#include "libs/smtp/curl.h"

// The libcurl helpers live in libs/smtp; the SMS sender uses them under the old names.
namespace notifications::channels {

using hc::smtp::CurlHandle;
using hc::smtp::CurlList;
using hc::smtp::IsConnectionFailure;
using hc::smtp::NewCurl;

}  // namespace notifications::channels
