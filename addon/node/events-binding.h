// The addon's side of `events` (addon/common/events.h): the stats event,
// the stats of a directory layout (for tests), Go durations, and the stream,
// whose loop runs on a thread of its own and hands each line to JavaScript.
#pragma once

#include <napi.h>

#include "../common/failure.h"

namespace runts::node {

// module.cc's conversion of a Failure into a thrown JS error.
using ThrowFailure = Napi::Value (*)(Napi::Env, const Failure&);

void addEventsFunctions(Napi::Env env, Napi::Object exports, ThrowFailure throwFailure);

}  // namespace runts::node
