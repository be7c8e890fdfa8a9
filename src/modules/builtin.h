#pragma once

#include "pipeline/pipeline.h"

namespace rampart::modules {

// Registers every module compiled into this binary.
void register_builtin_modules(pipeline::ModuleRegistry& registry);

}  // namespace rampart::modules
