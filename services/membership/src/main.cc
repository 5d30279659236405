// membership: wiring only. Settings come from HC_* environment variables (see README.md).
#include "libs/service/main.h"

#include "services/membership/src/app.h"

int main(int argc, char** argv) {
  return hc::service::RunMain<membership::App, membership::Settings>("membership", argc, argv);
}
