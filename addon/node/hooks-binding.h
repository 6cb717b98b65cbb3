// The addon's side of hooks (docs/hooks.md): running one hook in the
// runtime's namespaces (addon/common/hook-exec.h), waiting for the init's
// report after `start`, and the JS callback launch() calls at a stage the
// init stops at.
#pragma once

#include <napi.h>

#include <functional>
#include <string>

#include "../common/failure.h"
#include "events-binding.h"

namespace runts::node {

// runHook(hook, stdin) and waitStartReport(fd).
void addHooksFunctions(Napi::Env env, Napi::Object exports, ThrowFailure throwFailure);

// launch()'s onStage from a JS function (stage, pid) => {error?, data?}.
// Called synchronously on the JS thread, inside launch().
std::function<bool(const std::string&, pid_t, std::string&, Failure&)> stageCallback(Napi::Env env, Napi::Function fn);

}  // namespace runts::node
