#include "events-binding.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "../common/cgroup-stats.h"
#include "../common/events.h"

namespace runts::node {

namespace {

ThrowFailure throwFailure = nullptr;

Napi::Value throwType(Napi::Env env, const char* what) {
  Napi::TypeError::New(env, what).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool strings(const Napi::CallbackInfo& info, size_t n) {
  if (info.Length() < n) return false;
  for (size_t i = 0; i < n; i++)
    if (!info[i].IsString()) return false;
  return true;
}

std::string arg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }

VerbOptions rootOptions(const Napi::CallbackInfo& info) {
  VerbOptions o;
  o.root = arg(info, 0);
  return o;
}

// eventsStats(root, id, interval): the stats event's JSON (one line, no newline).
Napi::Value EventsStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!strings(info, 3)) return throwType(env, "eventsStats(root, id, interval)");
  std::string line;
  Failure f;
  if (!statsEventVerb(rootOptions(info), arg(info, 1), arg(info, 2), line, f)) return throwFailure(env, f);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return Napi::String::New(env, line);
}

// statsFromDirs({unified, controllers: {name: dir}, unifiedDir, hugepagesDir}):
// the stats "data" JSON of directories laid out like cgroups.
Napi::Value StatsFromDirs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return throwType(env, "statsFromDirs(sources)");
  Napi::Object o = info[0].As<Napi::Object>();
  StatsSources s;
  s.unified = o.Get("unified").IsBoolean() && o.Get("unified").As<Napi::Boolean>().Value();
  if (o.Get("unifiedDir").IsString()) s.unifiedDir = o.Get("unifiedDir").As<Napi::String>().Utf8Value();
  if (o.Get("hugepagesDir").IsString()) s.hugepagesDir = o.Get("hugepagesDir").As<Napi::String>().Utf8Value();
  if (o.Get("controllers").IsObject()) {
    Napi::Object c = o.Get("controllers").As<Napi::Object>();
    Napi::Array names = c.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      Napi::Value name = names.Get(i), dir = c.Get(name);
      if (name.IsString() && dir.IsString())
        s.controllers.emplace_back(name.As<Napi::String>().Utf8Value(), dir.As<Napi::String>().Utf8Value());
    }
  }
  std::string out;
  Failure f;
  if (!readStatsJson(s, out, f)) return throwFailure(env, f);
  return Napi::String::New(env, out);
}

// parseDuration(text): nanoseconds, as Go's time.ParseDuration reads text.
Napi::Value ParseDuration(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!strings(info, 1)) return throwType(env, "parseDuration(text)");
  int64_t ns = 0;
  std::string why;
  if (!parseGoDuration(arg(info, 0), ns, why)) {
    Napi::Error::New(env, why).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(ns));
}

// The eventfd that stop() writes to; closed once both the stop function and
// the stream's thread are done with it, so that a late stop() never writes
// to a descriptor number reused meanwhile.
struct Cancel {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ~Cancel() {
    if (fd >= 0) close(fd);
  }
};

struct Message {
  const char* kind;  // "line", "error" (a stats failure; the stream goes on), "end", "failed"
  std::string text;
};

void deliver(Napi::Env env, Napi::Function callback, Message* m) {
  if (env != nullptr && callback != nullptr)
    callback.Call({Napi::String::New(env, m->kind), Napi::String::New(env, m->text)});
  delete m;
}

bool post(Napi::ThreadSafeFunction& tsfn, const char* kind, std::string text) {
  auto* m = new Message{kind, std::move(text)};
  if (tsfn.BlockingCall(m, deliver) == napi_ok) return true;
  delete m;
  return false;
}

// eventsStream(root, id, interval, onEvent(kind, text)): checks the
// container and sets up the OOM watch here (a failure throws), then streams
// on a thread; returns stop(). The last call of onEvent is "end" or "failed".
Napi::Value EventsStreamStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!strings(info, 3) || info.Length() < 4 || !info[3].IsFunction())
    return throwType(env, "eventsStream(root, id, interval, onEvent)");
  auto stream = std::make_unique<EventsStream>();
  Failure f;
  if (!stream->open(rootOptions(info), arg(info, 1), arg(info, 2), f)) return throwFailure(env, f);
  auto cancel = std::make_shared<Cancel>();
  if (cancel->fd < 0) {
    f = Failure{};
    sysFail(f, "eventfd to stop the events stream");
    return throwFailure(env, f);
  }
  Napi::ThreadSafeFunction tsfn = Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "runts events", 0, 1);
  std::thread([stream = std::move(stream), cancel, tsfn]() mutable {
    Failure failure;
    bool ok = stream->run(
        cancel->fd, [&tsfn](const std::string& line) { return post(tsfn, "line", line.substr(0, line.size() - 1)); },
        [&tsfn](const std::string& message) { post(tsfn, "error", message); }, failure);
    post(tsfn, ok ? "end" : "failed", ok ? "" : failure.message());
    tsfn.Release();
  }).detach();
  return Napi::Function::New(env, [cancel](const Napi::CallbackInfo& stopInfo) {
    uint64_t one = 1;
    if (write(cancel->fd, &one, sizeof one) < 0) {
      // EAGAIN: the counter is already set; the stream stops either way.
    }
    return stopInfo.Env().Undefined();
  });
}

}  // namespace

void addEventsFunctions(Napi::Env env, Napi::Object exports, ThrowFailure thrower) {
  throwFailure = thrower;
  exports.Set("eventsStats", Napi::Function::New(env, EventsStats));
  exports.Set("statsFromDirs", Napi::Function::New(env, StatsFromDirs));
  exports.Set("parseDuration", Napi::Function::New(env, ParseDuration));
  exports.Set("eventsStream", Napi::Function::New(env, EventsStreamStart));
}

}  // namespace runts::node
