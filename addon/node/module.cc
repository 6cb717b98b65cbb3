// The Node binding: thin wrappers that convert arguments, call the native
// steps and turn a Failure into a JS Error carrying step/path/errno. The
// TypeScript side (src/native/binding.ts) gives these functions their types.

#include <napi.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../common/cgroup-list.h"
#include "../common/cgroupfs.h"
#include "../common/container.h"
#include "../common/exec-plan.h"
#include "../common/json.h"
#include "../common/proc.h"
#include "../common/ps-table.h"
#include "../common/signals.h"
#include "../common/verbs.h"
#include "../init/plan.h"
#include "bpf.h"
#include "events-binding.h"
#include "hooks-binding.h"
#include "launch.h"
#include "seccomp.h"

namespace {

using runts::Failure;

const char* errnoName(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENODEV: return "ENODEV";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EBADF: return "EBADF";
    case E2BIG: return "E2BIG";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "";
  }
}

Napi::Value throwFailure(Napi::Env env, const Failure& f) {
  Napi::Error err = Napi::Error::New(env, f.message());
  err.Set("step", Napi::String::New(env, f.step));
  err.Set("path", Napi::String::New(env, f.path));
  err.Set("errno", Napi::Number::New(env, f.err));
  err.Set("code", Napi::String::New(env, f.err ? errnoName(f.err) : ""));
  err.Set("exitCode", Napi::Number::New(env, f.exitCode));
  err.Set("native", Napi::Boolean::New(env, true));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value throwType(Napi::Env env, const char* what) {
  Napi::TypeError::New(env, what).ThrowAsJavaScriptException();
  return env.Undefined();
}

std::string optString(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
}

runts::VerbOptions verbOptions(const Napi::CallbackInfo& info) {
  runts::VerbOptions o;
  o.root = info[0].As<Napi::String>().Utf8Value();
  return o;
}

bool checkStrings(const Napi::CallbackInfo& info, size_t n) {
  if (info.Length() < n) return false;
  for (size_t i = 0; i < n; i++)
    if (!info[i].IsString()) return false;
  return true;
}

Napi::Value Launch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return throwType(env, "launch(request) needs an object");
  Napi::Object o = info[0].As<Napi::Object>();
  runts::node::LaunchRequest req;
  req.initPath = optString(o, "initPath");
  req.plan = optString(o, "plan");
  req.uidMap = optString(o, "uidMap");
  req.gidMap = optString(o, "gidMap");
  req.execFifo = optString(o, "execFifo");
  req.consoleSocket = optString(o, "consoleSocket");
  req.attachConsole = o.Get("attachConsole").IsBoolean() && o.Get("attachConsole").As<Napi::Boolean>().Value();
  if (o.Get("preserveFds").IsNumber()) req.preserveFds = o.Get("preserveFds").As<Napi::Number>().Int32Value();
  req.seccompListenerPath = optString(o, "seccompListenerPath");
  req.seccompState = optString(o, "seccompState");
  if (o.Get("timeoutMs").IsNumber()) req.timeoutMs = o.Get("timeoutMs").As<Napi::Number>().Int32Value();
  req.startFifo = optString(o, "startFifo");
  if (info.Length() > 1 && info[1].IsFunction()) req.onStage = runts::node::stageCallback(env, info[1].As<Napi::Function>());
  if (o.Get("cgroupProcsFiles").IsArray()) {
    Napi::Array a = o.Get("cgroupProcsFiles").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) req.cgroupProcsFiles.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  if (o.Get("initialCpuAffinity").IsArray()) {
    Napi::Array a = o.Get("initialCpuAffinity").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++)
      req.initialCpuAffinity.push_back(strtoull(a.Get(i).ToString().Utf8Value().c_str(), nullptr, 10));
  }
  runts::node::LaunchResult res;
  Failure f;
  if (!runts::node::launch(req, res, f)) return throwFailure(env, f);
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, res.pid));
  out.Set("startTime", Napi::String::New(env, std::to_string(res.startTime)));
  out.Set("syncFd", Napi::Number::New(env, res.syncFd));
  out.Set("consoleFd", Napi::Number::New(env, res.consoleFd));
  Napi::Array timings = Napi::Array::New(env, res.timings.size());
  for (size_t i = 0; i < res.timings.size(); i++) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("step", Napi::String::New(env, res.timings[i].first));
    t.Set("ms", Napi::Number::New(env, res.timings[i].second));
    timings.Set(i, t);
  }
  out.Set("timings", timings);
  out.Set("capsUnavailable", Napi::String::New(env, res.capsUnavailable));
  out.Set("ambientRefused", Napi::String::New(env, res.ambientRefused));
  return out;
}

Napi::Value CommitLaunch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return throwType(env, "commitLaunch(syncFd)");
  Failure f;
  if (!runts::node::commitLaunch(info[0].As<Napi::Number>().Int32Value(), f)) return throwFailure(env, f);
  return env.Undefined();
}

Napi::Value AbortLaunch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString())
    return throwType(env, "abortLaunch(syncFd, pid, startTime)");
  runts::node::abortLaunch(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                           std::stoull(info[2].As<Napi::String>().Utf8Value()));
  return env.Undefined();
}

Napi::Value State(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "state(root, id)");
  std::string out;
  Failure f;
  if (!runts::stateVerb(verbOptions(info), info[1].As<Napi::String>().Utf8Value(), out, f)) return throwFailure(env, f);
  return Napi::String::New(env, out);
}

Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "start(root, id)");
  Failure f;
  if (!runts::startVerb(verbOptions(info), info[1].As<Napi::String>().Utf8Value(), f)) return throwFailure(env, f);
  return env.Undefined();
}

Napi::Value Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 3) || info.Length() < 4 || !info[3].IsBoolean())
    return throwType(env, "kill(root, id, signal, all)");
  Failure f;
  if (!runts::killVerb(verbOptions(info), info[1].As<Napi::String>().Utf8Value(),
                       info[2].As<Napi::String>().Utf8Value(), info[3].As<Napi::Boolean>().Value(), f))
    return throwFailure(env, f);
  return env.Undefined();
}

Napi::Value Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2) || info.Length() < 3 || !info[2].IsBoolean()) return throwType(env, "delete(root, id, force)");
  Failure f;
  runts::VerbOptions o = verbOptions(info);
  std::vector<std::string> warnings;
  o.warn = [&warnings](const std::string& message) { warnings.push_back(message); };
  if (!runts::deleteVerb(o, info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::Boolean>().Value(), f))
    return throwFailure(env, f);
  Napi::Array out = Napi::Array::New(env, warnings.size());
  for (size_t i = 0; i < warnings.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::String::New(env, warnings[i]));
  return out;
}

Napi::Value Pause(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "pause(root, id)");
  Failure f;
  if (!runts::pauseVerb(verbOptions(info), info[1].As<Napi::String>().Utf8Value(), f)) return throwFailure(env, f);
  return env.Undefined();
}

Napi::Value Resume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "resume(root, id)");
  Failure f;
  if (!runts::resumeVerb(verbOptions(info), info[1].As<Napi::String>().Utf8Value(), f)) return throwFailure(env, f);
  return env.Undefined();
}

Napi::Value Processes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "processes(root, id)");
  std::vector<pid_t> pids;
  Failure f;
  if (!runts::processesVerb(verbOptions(info), info[1].As<Napi::String>().Utf8Value(), pids, f))
    return throwFailure(env, f);
  Napi::Array out = Napi::Array::New(env, pids.size());
  for (size_t i = 0; i < pids.size(); i++) out.Set(i, Napi::Number::New(env, pids[i]));
  return out;
}

// runc's filter of a ps(1) table (addon/common/ps-table.cc), for the Node
// side of `runts ps`, which runs ps(1) through child_process.
Napi::Value FilterPsTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1) || info.Length() < 2 || !info[1].IsArray()) return throwType(env, "filterPsTable(output, pids)");
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<pid_t> pids;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsNumber()) return throwType(env, "filterPsTable(output, pids): pids must be numbers");
    pids.push_back(v.As<Napi::Number>().Int32Value());
  }
  std::string out;
  Failure f;
  if (!runts::filterPsTable(info[0].As<Napi::String>().Utf8Value(), pids, out, f)) return throwFailure(env, f);
  return Napi::String::New(env, out);
}

Napi::Value ValidateContainerId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "validateContainerId(id)");
  Failure f;
  if (runts::validateContainerId(info[0].As<Napi::String>().Utf8Value(), f)) return env.Null();
  return Napi::String::New(env, f.message());
}

// Takes the state directory's lock for a create; the fd is the lock.
Napi::Value LockStateDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "lockStateDir(dir)");
  std::string path = info[0].As<Napi::String>().Utf8Value() + "/lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  Failure f;
  if (fd < 0) {
    runts::sysFail(f, "open lock", path);
    return throwFailure(env, f);
  }
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR) {
      runts::sysFail(f, "lock", path);
      close(fd);
      return throwFailure(env, f);
    }
  }
  return Napi::Number::New(env, fd);
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value ProcStartTime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return throwType(env, "procStartTime(pid)");
  runts::ProcStat st;
  if (!runts::readProcStat(info[0].As<Napi::Number>().Int32Value(), st)) return env.Null();
  return Napi::String::New(env, std::to_string(st.startTime));
}

Napi::Value SignalProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber())
    return throwType(env, "signalProcess(pid, startTime, signal)");
  int fd = runts::pidfdOpenVerified(info[0].As<Napi::Number>().Int32Value(),
                                    std::stoull(info[1].As<Napi::String>().Utf8Value()));
  if (fd < 0) return Napi::Boolean::New(env, false);
  bool ok = runts::pidfdSendSignal(fd, info[2].As<Napi::Number>().Int32Value()) == 0;
  close(fd);
  return Napi::Boolean::New(env, ok);
}

Napi::Value ParseSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "parseSignal(text)");
  return Napi::Number::New(env, runts::parseSignal(info[0].As<Napi::String>().Utf8Value()));
}

// Waits for a child (the container process of `run`) in a worker thread.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    int status = 0;
    pid_t r;
    do {
      r = waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      error_ = errno;
      return;
    }
    if (WIFEXITED(status)) code_ = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) signal_ = WTERMSIG(status);
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (error_) {
      deferred_.Reject(Napi::Error::New(env, std::string("waitpid: ") + strerror(error_)).Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("exitCode", code_ >= 0 ? Napi::Number::New(env, code_) : env.Null());
    out.Set("signal", signal_ > 0 ? Napi::Number::New(env, signal_) : env.Null());
    deferred_.Resolve(out);
  }

 private:
  pid_t pid_;
  int code_ = -1;
  int signal_ = 0;
  int error_ = 0;
  Napi::Promise::Deferred deferred_;
};

Napi::Value WaitChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return throwType(env, "waitChild(pid)");
  auto* w = new WaitWorker(env, info[0].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// Sets the window size of a terminal (the pty master of `run`).
Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    return throwType(env, "setWinsize(fd, rows, cols)");
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(info[1].As<Napi::Number>().Uint32Value());
  ws.ws_col = static_cast<unsigned short>(info[2].As<Napi::Number>().Uint32Value());
  ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &ws);
  return env.Undefined();
}

// Where the native verbs look for a container whose record is damaged
// (tests compare it with src/cgroups/placement.ts).
Napi::Value DefaultCgroupPlacement(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "defaultCgroupPlacement(id)");
  runts::DefaultPlacement p = runts::defaultPlacement(runts::hostCgroupLayout(), info[0].As<Napi::String>().Utf8Value());
  Napi::Object out = Napi::Object::New(env);
  Napi::Array dirs = Napi::Array::New(env, p.dirs.size());
  for (size_t i = 0; i < p.dirs.size(); i++) dirs.Set(i, Napi::String::New(env, p.dirs[i]));
  out.Set("dirs", dirs);
  out.Set("procsFile", Napi::String::New(env, p.procsFile));
  out.Set("freezerFile", Napi::String::New(env, p.freezerFile));
  out.Set("killFile", Napi::String::New(env, p.killFile));
  return out;
}

// Compiles a seccomp profile description (src/seccomp/translate.ts) with
// libseccomp: {program: Buffer of struct sock_filter[], skipped: [names]}.
Napi::Value CompileSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "compileSeccomp(descriptionJson)");
  runts::node::CompiledSeccomp out;
  Failure f;
  if (!runts::node::compileSeccomp(info[0].As<Napi::String>().Utf8Value(), out, f)) return throwFailure(env, f);
  Napi::Object result = Napi::Object::New(env);
  result.Set("program", Napi::Buffer<char>::Copy(env, out.program.data(), out.program.size()));
  Napi::Array skipped = Napi::Array::New(env, out.skipped.size());
  for (size_t i = 0; i < out.skipped.size(); i++) skipped.Set(i, Napi::String::New(env, out.skipped[i]));
  result.Set("skipped", skipped);
  return result;
}

// What this host's seccomp can do: {flags: SECCOMP_FILTER_FLAG_* bits the
// kernel accepts, architectures: the given libseccomp names it knows, version}.
Napi::Value SeccompHost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) return throwType(env, "seccompHost(architectureNames)");
  Napi::Array names = info[0].As<Napi::Array>();
  std::vector<std::string> list;
  for (uint32_t i = 0; i < names.Length(); i++) list.push_back(names.Get(i).As<Napi::String>().Utf8Value());
  std::vector<std::string> known = runts::node::seccompKnownArchitectures(list);
  Napi::Object out = Napi::Object::New(env);
  out.Set("flags", Napi::Number::New(env, runts::node::seccompSupportedFlags()));
  Napi::Array archs = Napi::Array::New(env, known.size());
  for (size_t i = 0; i < known.size(); i++) archs.Set(i, Napi::String::New(env, known[i]));
  out.Set("architectures", archs);
  out.Set("version", Napi::String::New(env, runts::node::libseccompVersion()));
  return out;
}

// Re-serialises JSON with the native reader and writer (tests compare it
// with JSON.parse/JSON.stringify).
Napi::Value JsonReformat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "jsonReformat(text)");
  runts::json::Value v;
  std::string err, out;
  if (!runts::json::parse(info[0].As<Napi::String>().Utf8Value(), v, err)) {
    Napi::Error::New(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  runts::json::write(v, out);
  return Napi::String::New(env, out);
}

// Reads a launch plan with runts-init's own reader (addon/init/plan.cc):
// the contract test feeds it every plan the planner makes, and mutations of
// them. Returns null, or what the reader refused.
Napi::Value CheckLaunchPlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "checkLaunchPlan(text)");
  runts::json::Value doc;
  std::string err;
  if (!runts::json::parse(info[0].As<Napi::String>().Utf8Value(), doc, err))
    return Napi::String::New(env, "launch plan is not valid JSON: " + err);
  runts::init::Plan plan;
  Failure f;
  if (!runts::init::parsePlan(doc, plan, f)) return Napi::String::New(env, f.message());
  return env.Null();
}

// The state record as the native verbs read it: null, or its damage.
Napi::Value CheckStateRecord(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "checkStateRecord(id, text)");
  std::string damage =
      runts::recordTextDamage(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  return damage.empty() ? env.Null() : Napi::String::New(env, damage);
}

// The cgroup list (<root>/<id>/cgroups) as delete reads it, confined to this
// host's cgroup mounts: null, or why it would be ignored.
Napi::Value CheckCgroupList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "checkCgroupList(id, text)");
  runts::CgroupList list;
  std::string damage = runts::cgroupListDamage(info[0].As<Napi::String>().Utf8Value(),
                                               info[1].As<Napi::String>().Utf8Value(), runts::hostCgroupLayout(), list);
  return damage.empty() ? env.Null() : Napi::String::New(env, damage);
}

// The cgroup v2 device filter (src/cgroups/devices-v2.ts), one system call step each.
Napi::Value BpfLoadDeviceProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsString())
    return throwType(env, "bpfLoadDeviceProgram(insns: Uint8Array, license)");
  Napi::Uint8Array insns = info[0].As<Napi::Uint8Array>();
  int fd = -1;
  Failure f;
  if (!runts::node::bpfLoadDeviceProgram(insns.Data(), insns.ByteLength(), info[1].As<Napi::String>().Utf8Value(), fd, f))
    return throwFailure(env, f);
  return Napi::Number::New(env, fd);
}

Napi::Value BpfQueryDevicePrograms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 1)) return throwType(env, "bpfQueryDevicePrograms(cgroupDir)");
  std::vector<uint32_t> ids;
  Failure f;
  if (!runts::node::bpfQueryDevicePrograms(info[0].As<Napi::String>().Utf8Value(), ids, f)) return throwFailure(env, f);
  Napi::Array out = Napi::Array::New(env, ids.size());
  for (size_t i = 0; i < ids.size(); i++) out.Set(i, Napi::Number::New(env, ids[i]));
  return out;
}

Napi::Value BpfAttachDeviceProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    return throwType(env, "bpfAttachDeviceProgram(cgroupDir, progFd)");
  Failure f;
  if (!runts::node::bpfAttachDeviceProgram(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(), f))
    return throwFailure(env, f);
  return env.Undefined();
}

Napi::Value BpfDetachDeviceProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    return throwType(env, "bpfDetachDeviceProgram(cgroupDir, progId)");
  Failure f;
  if (!runts::node::bpfDetachDeviceProgram(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Uint32Value(), f))
    return throwFailure(env, f);
  return env.Undefined();
}

// exec: the container as the record and /proc say it is now, with the
// record's cgroup directories confined to the host's cgroup mounts, as kill
// and delete take them.
Napi::Value ExecTarget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 2)) return throwType(env, "execTarget(root, id)");
  std::string id = info[1].As<Napi::String>().Utf8Value();
  runts::ContainerRecord rec;
  Failure f;
  if (!runts::validateContainerId(id, f) || !runts::loadRecord(verbOptions(info).root, id, rec, f, true))
    return throwFailure(env, f);
  if (rec.storedStatus.empty()) {
    runts::plainFail(f, "container \"" + id + "\" has no state yet: it is being created, or its create was interrupted");
    return throwFailure(env, f);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("status", Napi::String::New(env, runts::statusName(runts::liveStatus(rec))));
  out.Set("pid", Napi::Number::New(env, rec.pid));
  out.Set("startTime", Napi::String::New(env, std::to_string(rec.pidStartTime)));
  out.Set("stateDir", Napi::String::New(env, rec.stateDir));
  Napi::Array dirs = Napi::Array::New(env, rec.cgroups.size());
  for (size_t i = 0; i < rec.cgroups.size(); i++) dirs.Set(i, Napi::String::New(env, rec.cgroups[i].path));
  out.Set("cgroupDirs", dirs);
  return out;
}

// The launcher's exec planner (addon/common/exec-plan.h), for the test that
// compares its plans with the TypeScript planner's: the plan JSON, or null
// when it declines (the command then goes to Node).
Napi::Value NativeExecPlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkStrings(info, 3) || info.Length() < 7 || !info[3].IsNumber() || !info[4].IsString() || !info[5].IsNumber())
    return throwType(env, "nativeExecPlan(id, record, process, pid, startTime, preserveFds, listenFds)");
  runts::NativeExecPlan out;
  std::string listen = info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "";
  bool ok = runts::planNativeExec(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value(),
                                  info[2].As<Napi::String>().Utf8Value(), info[3].As<Napi::Number>().Int32Value(),
                                  strtoull(info[4].As<Napi::String>().Utf8Value().c_str(), nullptr, 10),
                                  info[5].As<Napi::Number>().Int32Value(), info[6].IsString() ? listen.c_str() : nullptr, out);
  return ok ? Napi::String::New(env, out.planJson) : env.Null();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("nativeExecPlan", Napi::Function::New(env, NativeExecPlan));
  exports.Set("execTarget", Napi::Function::New(env, ExecTarget));
  exports.Set("launch", Napi::Function::New(env, Launch));
  exports.Set("commitLaunch", Napi::Function::New(env, CommitLaunch));
  exports.Set("abortLaunch", Napi::Function::New(env, AbortLaunch));
  exports.Set("state", Napi::Function::New(env, State));
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("kill", Napi::Function::New(env, Kill));
  exports.Set("delete", Napi::Function::New(env, Delete));
  exports.Set("checkCgroupList", Napi::Function::New(env, CheckCgroupList));
  exports.Set("pause", Napi::Function::New(env, Pause));
  exports.Set("resume", Napi::Function::New(env, Resume));
  exports.Set("processes", Napi::Function::New(env, Processes));
  exports.Set("filterPsTable", Napi::Function::New(env, FilterPsTable));
  exports.Set("validateContainerId", Napi::Function::New(env, ValidateContainerId));
  exports.Set("lockStateDir", Napi::Function::New(env, LockStateDir));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("procStartTime", Napi::Function::New(env, ProcStartTime));
  exports.Set("signalProcess", Napi::Function::New(env, SignalProcess));
  exports.Set("parseSignal", Napi::Function::New(env, ParseSignal));
  exports.Set("waitChild", Napi::Function::New(env, WaitChild));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("jsonReformat", Napi::Function::New(env, JsonReformat));
  exports.Set("checkLaunchPlan", Napi::Function::New(env, CheckLaunchPlan));
  exports.Set("checkStateRecord", Napi::Function::New(env, CheckStateRecord));
  exports.Set("defaultCgroupPlacement", Napi::Function::New(env, DefaultCgroupPlacement));
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp));
  exports.Set("seccompHost", Napi::Function::New(env, SeccompHost));
  exports.Set("bpfLoadDeviceProgram", Napi::Function::New(env, BpfLoadDeviceProgram));
  exports.Set("bpfQueryDevicePrograms", Napi::Function::New(env, BpfQueryDevicePrograms));
  exports.Set("bpfAttachDeviceProgram", Napi::Function::New(env, BpfAttachDeviceProgram));
  exports.Set("bpfDetachDeviceProgram", Napi::Function::New(env, BpfDetachDeviceProgram));
  runts::node::addEventsFunctions(env, exports, throwFailure);
  runts::node::addHooksFunctions(env, exports, throwFailure);
  return exports;
}

}  // namespace

NODE_API_MODULE(runts_native, Init)
