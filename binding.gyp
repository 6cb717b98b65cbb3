{
  # node-gyp builds four things in one run, offline, against the machine's
  # Node headers (scripts/build-native.mjs passes --nodedir):
  #   runts_native.node  the addon the TypeScript side calls
  #   runts-init         the static program every container starts as
  #   runts              the static launcher engines execute
  #   runts-checker      the conformance suite's in-container checker
  "variables": {
    "common_sources": [
      "addon/common/cgroup-list.cc",
      "addon/common/cgroupfs.cc",
      "addon/common/channel.cc",
      "addon/common/container.cc",
      "addon/common/failure.cc",
      "addon/common/fd-passing.cc",
      "addon/common/fsutil.cc",
      "addon/common/hook-exec.cc",
      "addon/common/json.cc",
      "addon/common/proc.cc",
      "addon/common/ps-table.cc",
      "addon/common/signals.cc",
      "addon/common/strict-reader.cc",
      "addon/common/verbs.cc"
    ],
    # `events` (stats and OOM watch): the launcher and the addon, not runts-init.
    "events_sources": ["addon/common/cgroup-stats.cc", "addon/common/events.cc"],
    "native_cflags": ["-std=gnu++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-exceptions", "-fno-rtti"]
  },
  "targets": [
    {
      "target_name": "runts_native",
      "sources": ["<@(common_sources)", "<@(events_sources)", "addon/common/exec-plan.cc", "addon/init/plan.cc", "addon/node/bpf.cc", "addon/node/events-binding.cc", "addon/node/hooks-binding.cc", "addon/node/launch.cc", "addon/node/module.cc", "addon/node/seccomp.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # libseccomp compiles linux.seccomp at create time; runts-init only
      # loads the exported program and does not link it.
      "cflags": ["<!@(pkg-config --cflags libseccomp)"],
      "libraries": ["<!@(pkg-config --libs libseccomp)"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["<@(native_cflags)"],
      "cflags_cc!": ["-std=gnu++20"]
    },
    {
      "target_name": "runts-init",
      "type": "executable",
      "sources": [
        "<@(common_sources)",
        "addon/init/cgroup-mounts.cc",
        "addon/init/console.cc",
        "addon/init/copyup.cc",
        "addon/init/exec.cc",
        "addon/init/hooks.cc",
        "addon/init/loopback.cc",
        "addon/init/lsm.cc",
        "addon/init/main.cc",
        "addon/init/plan.cc",
        "addon/init/procfs.cc",
        "addon/init/process.cc",
        "addon/init/rootfs.cc",
        "addon/init/rootpath.cc",
        "addon/init/sched.cc",
        "addon/init/seccomp.cc"
      ],
      "cflags_cc": ["<@(native_cflags)", "-Os", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"]
    },
    {
      "target_name": "runts",
      "type": "executable",
      # exec (the engines' form) runs here too: the native planner, and the
      # addon's own launch (whose seccomp agent hand-off links libseccomp).
      "sources": ["<@(common_sources)", "<@(events_sources)", "addon/common/exec-plan.cc", "addon/launcher/exec-native.cc", "addon/launcher/main.cc", "addon/launcher/ps-exec.cc", "addon/node/launch.cc", "addon/node/seccomp.cc"],
      "cflags": ["<!@(pkg-config --cflags libseccomp)"],
      "libraries": ["-l:libseccomp.a"],
      "defines": ["RUNTS_NODE_PATH=\"<!(node -p process.execPath)\""],
      "cflags_cc": ["<@(native_cflags)", "-O2", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"]
    },
    {
      "target_name": "runts-checker",
      "type": "executable",
      "sources": ["conformance/checker/checker.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall"],
      "ldflags": ["-static", "-s"]
    }
  ]
}
