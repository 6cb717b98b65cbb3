#include "hooks.h"

#include "../common/channel.h"
#include "../common/hook-exec.h"
#include "../common/json.h"

namespace runts::init {

bool stopAt(const Plan& plan, const char* stage, int sync, std::string& data, Failure& f) {
  data.clear();
  bool listed = false;
  for (const auto& s : plan.hooks.stops) listed = listed || s == stage;
  if (!listed) return true;
  json::Value msg = json::Value::makeObject();
  msg.set("type", json::Value::makeString("stage"));
  msg.set("stage", json::Value::makeString(stage));
  json::Value reply;
  if (!sendMessage(sync, msg) || !recvMessage(sync, reply, -1))
    return sysFail(f, std::string("wait for the runtime at the ") + stage + " stage");
  if (reply.str("type") == "error") {
    f = failureFromMessage(reply);
    return false;
  }
  if (reply.str("type") != "continue")
    return plainFail(f, std::string("runtime sent \"") + reply.str("type") + "\" at the " + stage + " stage");
  data = reply.str("data");
  return true;
}

bool readHookStates(const std::string& data, HookStates& out, Failure& f) {
  if (data.empty()) return true;
  json::Value doc;
  std::string err;
  if (!json::parse(data, doc, err) || !doc.isObject())
    return plainFail(f, "runtime sent hook states that are not a JSON object: " + err);
  out.createContainer = doc.str("createContainer");
  out.startContainer = doc.str("startContainer");
  return true;
}

bool runHooks(const std::vector<HookCommand>& hooks, const std::string& state, Failure& f) {
  for (const auto& h : hooks) {
    HookOutcome outcome;
    if (!runHookCommand(h, state, outcome, f)) {
      f.step = "hooks." + h.kind + "[" + std::to_string(h.index) + "]: " + f.step;
      return false;
    }
    if (!outcome.ok()) return plainFail(f, hookFailureMessage(h, outcome));
  }
  return true;
}

}  // namespace runts::init
