// volunteering: wiring only. Settings come from HC_* environment variables (see README.md).
#include "libs/service/main.h"

#include "services/volunteering/src/app.h"

int main(int argc, char** argv) {
  return hc::service::RunMain<volunteering::App, volunteering::Settings>("volunteering", argc,
                                                                         argv);
}
