// events: wiring only. Settings come from HC_* environment variables (see README.md).
#include "libs/service/main.h"

#include "services/events/src/app.h"

int main(int argc, char** argv) {
  return hc::service::RunMain<events::App, events::Settings>("events", argc, argv);
}
