// hc-dlq: list, inspect, replay and purge the dead letters of alumni.dlq.<service>.
// See tools/hc-dlq/README.md.
#include <cstdlib>
#include <iostream>

#include "tools/hc-dlq/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return hc::dlq::Run(args, std::cout, std::cerr, [](const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value ? std::string(value) : std::string();
  });
}
