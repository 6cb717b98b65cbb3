// <root>/<id>/state.json: the OCI state fields plus a private "runts"
// section. The native verbs (addon/common/container.cc) read this layout;
// keep the two in step.
import type { ContainerState } from '../config/types';
import type { CreatedCgroup } from '../cgroups/create';

export interface RuntsPrivateState {
  version: 1;
  /** Start time of the container process (/proc/<pid>/stat field 22). */
  pidStartTime?: string;
  /** The create that is (or was) making this container, while status is "creating". */
  creatorPid: number;
  creatorStartTime: string;
  cgroups: CreatedCgroup[];
  procsFile?: string;
  killFile?: string;
  freezerFile?: string;
  /** Verbs the native launcher must hand to Node for this container. */
  needsNodeFor: string[];
}

export interface StateRecord extends Omit<ContainerState, 'status' | 'pid'> {
  status: 'creating' | 'created';
  pid: number;
  runts: RuntsPrivateState;
}

/**
 * <root>/<id>/cgroups.json: the container's cgroups, written before any is
 * made and kept in step with runts.cgroups. With state.json damaged or
 * missing, the native delete finds the container's cgroups here
 * (addon/common/cgroup-list.h), and derives the procs, freezer and kill
 * files from them as placement.ts chooses them.
 */
export interface CgroupList {
  version: 1;
  id: string;
  cgroups: CreatedCgroup[];
}
