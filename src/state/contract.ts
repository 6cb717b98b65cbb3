// The state record's contract: <root>/<id>/state.json as create writes it
// (src/state/record.ts) and the native verbs read it
// (addon/common/container.cc). The record type is checked against this
// description at compile time; test/unit/state-contract.test.ts checks that
// the C++ reader takes exactly these fields: a record with a field missing,
// mistyped or unknown is read as damaged (only `delete --force` acts on it).
import { array, bool, int, literal, map, object, oneOf, optional, str, uint64, type Equal, type Infer } from '../contract/fields';
import type { CgroupList, StateRecord } from './record';

export const STATE_RECORD = object({
  ociVersion: str,
  id: str,
  status: oneOf('creating', 'created'),
  pid: int,
  bundle: str,
  rootfs: str,
  created: str,
  owner: str,
  annotations: optional(map(str)),
  runts: object({
    version: literal(1),
    pidStartTime: optional(uint64),
    creatorPid: int,
    creatorStartTime: uint64,
    cgroups: array(object({ path: str, created: bool })),
    procsFile: optional(str),
    killFile: optional(str),
    freezerFile: optional(str),
    needsNodeFor: array(str),
  }),
});

const recordMatchesContract: Equal<StateRecord, Infer<typeof STATE_RECORD>> = true;
void recordMatchesContract;

// <root>/<id>/cgroups.json, the cgroup list delete falls back on when
// state.json is damaged (src/state/record.ts CgroupList). Every field is
// required: the reader (addon/common/cgroup-list.cc) ignores a list that is
// not exactly this, or whose paths are not confined to the host's cgroup
// mounts; test/unit/cgroup-list.test.ts checks it.
export const CGROUP_LIST = object({
  version: literal(1),
  id: str,
  cgroups: array(object({ path: str, created: bool })),
});

const listMatchesContract: Equal<CgroupList, Infer<typeof CGROUP_LIST>> = true;
void listMatchesContract;
