// Cgroup paths that a record read back from disk (state.json, the cgroup
// list) may hold and that the native reader must refuse, each with the rule
// its message names. mount is a cgroup mount point of this host.
export function unconfinedCgroupPaths(mount: string): [string, RegExp][] {
  return [
    ['/etc', /is not below a cgroup mount of this host/],
    [`${mount}/../../../etc`, /is not a clean absolute path/],
    [`${mount}/runts/./x`, /is not a clean absolute path/],
    [`${mount}//runts`, /is not a clean absolute path/],
    [`${mount}/runts/`, /is not a clean absolute path/],
    [mount, /is not below a cgroup mount of this host/],
  ];
}
