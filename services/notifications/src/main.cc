// notifications: wiring only. Settings come from HC_* environment variables (see README.md).
#include "libs/service/main.h"

#include "services/notifications/src/app.h"

int main(int argc, char** argv) {
  return hc::service::RunMain<notifications::App, notifications::Settings>("notifications", argc,
                                                                           argv);
}
