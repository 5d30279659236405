// hc-token: mints a JWT for local runs and tests.
//   hc-token --sub <member id> [--roles coordinator,admin] [--ttl 3600]
//            [--alg HS256] [--issuer homecoming-local] [--aud homecoming]
//            (--key-file F | env HC_JWT_KEY_FILE)
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/auth/auth.h"

namespace {

int Usage() {
  std::cerr << "usage: hc-token --sub ID [--roles r1,r2] [--ttl SECONDS] [--alg HS256|RS256]\n"
               "                [--issuer ISS] [--aud AUDIENCE] [--key-file FILE]\n"
               "key file defaults to $HC_JWT_KEY_FILE, issuer to $HC_JWT_ISSUER or "
               "homecoming-local, audience to $HC_JWT_AUDIENCE or homecoming; services refuse "
               "tokens living longer than an hour unless configured otherwise\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  hc::auth::MintOptions options;
  const char* env_issuer = std::getenv("HC_JWT_ISSUER");
  options.issuer = env_issuer ? env_issuer : "homecoming-local";
  if (const char* env_aud = std::getenv("HC_JWT_AUDIENCE")) options.audience = env_aud;
  const char* env_alg = std::getenv("HC_JWT_ALG");
  if (env_alg) options.algorithm = env_alg;
  const char* env_key = std::getenv("HC_JWT_KEY_FILE");
  std::string key_file = env_key ? env_key : "";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string value = argv[++i];
    if (flag == "--sub") {
      options.subject = value;
    } else if (flag == "--roles") {
      options.roles = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (flag == "--ttl") {
      int64_t ttl = 0;
      if (!absl::SimpleAtoi(value, &ttl) || ttl <= 0) return Usage();
      options.ttl = std::chrono::seconds(ttl);
    } else if (flag == "--alg") {
      options.algorithm = value;
    } else if (flag == "--issuer") {
      options.issuer = value;
    } else if (flag == "--aud") {
      options.audience = value;
    } else if (flag == "--key-file") {
      key_file = value;
    } else {
      return Usage();
    }
  }
  if (options.subject.empty() || key_file.empty()) return Usage();
  std::ifstream in(key_file, std::ios::binary);
  if (!in) {
    std::cerr << "hc-token: cannot read key file " << key_file << "\n";
    return 2;
  }
  std::ostringstream key;
  key << in.rdbuf();
  options.key = key.str();
  auto token = hc::auth::Mint(options);
  if (!token.ok()) {
    std::cerr << "hc-token: " << token.status().message() << "\n";
    return 1;
  }
  std::cout << *token << "\n";
  return 0;
}
