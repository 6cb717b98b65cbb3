#include "hooks-binding.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "../common/hook-exec.h"

namespace runts::node {

namespace {

ThrowFailure gThrow = nullptr;

std::vector<std::string> stringList(const Napi::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value item = a.Get(i);
    if (item.IsString()) out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

std::string stringOf(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
}

// runHook({kind, index, path, args, env, timeoutMs, cwd}, stdin)
Napi::Value RunHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsString()) {
    Napi::TypeError::New(env, "runHook(hook, stdin)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object h = info[0].As<Napi::Object>();
  HookCommand cmd;
  cmd.kind = stringOf(h, "kind");
  cmd.index = h.Get("index").IsNumber() ? h.Get("index").As<Napi::Number>().Int32Value() : 0;
  cmd.path = stringOf(h, "path");
  cmd.args = stringList(h.Get("args"));
  cmd.env = stringList(h.Get("env"));
  cmd.timeoutMs = h.Get("timeoutMs").IsNumber() ? h.Get("timeoutMs").As<Napi::Number>().Int32Value() : 0;
  cmd.cwd = stringOf(h, "cwd");
  HookOutcome outcome;
  Failure f;
  if (!runHookCommand(cmd, info[1].As<Napi::String>().Utf8Value(), outcome, f)) return gThrow(env, f);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", Napi::Boolean::New(env, outcome.ok()));
  out.Set("message", Napi::String::New(env, outcome.ok() ? "" : hookFailureMessage(cmd, outcome)));
  out.Set("exitStatus", outcome.exited ? Napi::Number::New(env, outcome.exitStatus) : env.Null());
  out.Set("signal", outcome.signal ? Napi::Number::New(env, outcome.signal) : env.Null());
  out.Set("timedOut", Napi::Boolean::New(env, outcome.timedOut));
  out.Set("stdout", Napi::String::New(env, outcome.out));
  out.Set("stderr", Napi::String::New(env, outcome.err));
  return out;
}

// waitStartReport(fd): the read end of start.fifo. Returns what the init
// wrote ("" when it reached execve: the fifo closes with nothing in it).
Napi::Value WaitStartReport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "waitStartReport(fd)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string text;
  constexpr size_t kMax = 64 * 1024;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, -1);
    if (r < 0 && errno == EINTR) continue;
    Failure f;
    if (r < 0) return gThrow(env, (sysFail(f, "wait for the container's start (poll start.fifo)"), f));
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return gThrow(env, (sysFail(f, "read start.fifo"), f));
    if (n == 0) break;
    if (text.size() < kMax) text.append(buf, static_cast<size_t>(n));
  }
  return Napi::String::New(env, text);
}

}  // namespace

void addHooksFunctions(Napi::Env env, Napi::Object exports, ThrowFailure throwFailure) {
  gThrow = throwFailure;
  exports.Set("runHook", Napi::Function::New(env, RunHook));
  exports.Set("waitStartReport", Napi::Function::New(env, WaitStartReport));
}

std::function<bool(const std::string&, pid_t, std::string&, Failure&)> stageCallback(Napi::Env env, Napi::Function fn) {
  return [env, fn](const std::string& stage, pid_t pid, std::string& data, Failure& f) -> bool {
    Napi::Value r = fn.Call({Napi::String::New(env, stage), Napi::Number::New(env, pid)});
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      return plainFail(f, e.Message());
    }
    if (!r.IsObject()) return true;
    Napi::Object o = r.As<Napi::Object>();
    if (o.Get("error").IsString()) return plainFail(f, o.Get("error").As<Napi::String>().Utf8Value());
    if (o.Get("data").IsString()) data = o.Get("data").As<Napi::String>().Utf8Value();
    return true;
  };
}

}  // namespace runts::node
