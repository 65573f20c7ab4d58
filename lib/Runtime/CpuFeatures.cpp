//===- CpuFeatures.cpp - Checks of a model library's CPU features ---------===//

#include "retnet/CpuFeatures.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

using namespace retnet_runtime;

namespace {
struct CheckedFeature {
  const char *name;
  bool (*present)();
};

#if defined(__x86_64__) || defined(__i386__)
#define RETNET_CHECK_FEATURE(name)                                             \
  {name, [] { return __builtin_cpu_supports(name) != 0; }},
#else
#define RETNET_CHECK_FEATURE(name) {name, [] { return false; }},
#endif
const CheckedFeature kFeatures[] = {
    RETNET_CHECKED_CPU_FEATURES(RETNET_CHECK_FEATURE)};
#undef RETNET_CHECK_FEATURE

bool listed(const std::string &list, const std::string &name) {
  std::istringstream items(list);
  std::string item;
  while (std::getline(items, item, ','))
    if (item == name)
      return true;
  return false;
}

bool cpuHas(const std::string &name) {
  if (const char *assumed = std::getenv("RETNET_ASSUME_CPU_FEATURES"))
    return listed(assumed, name);
  __builtin_cpu_init();
  for (const CheckedFeature &feature : kFeatures)
    if (name == feature.name)
      return feature.present();
  return false;
}
} // namespace

std::string
retnet_runtime::firstMissingCpuFeature(const std::string &required) {
  std::istringstream items(required);
  std::string item;
  while (std::getline(items, item, ','))
    if (!item.empty() && !cpuHas(item))
      return item;
  return "";
}
