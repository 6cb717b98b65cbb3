// The runts library: the OCI runtime as typed async functions, for Node
// programs that embed runts instead of spawning it. The CLI is a thin shell
// over exactly these functions.
export { createContainer as create } from './container/create';
export type { CreateOptions, CreatedContainer } from './container/create';
export {
  startContainer as start,
  containerState as state,
  killContainer as kill,
  deleteContainer as delete,
  deleteContainer as remove,
  listContainers as list,
  pauseContainer as pause,
  resumeContainer as resume,
  containerProcesses as processes,
} from './container/operations';
export type { DeleteOptions, KillOptions, RootOption } from './container/operations';
export { containerEvents as events, containerStats as stats, ContainerEventStream } from './container/events';
export type { ContainerEvent, ContainerStats, EventsOptions, EventStreamOptions } from './container/events';
export { runContainer as run } from './container/run';
export { execContainer as exec } from './container/exec';
export type { ExecOptions, ExecResult } from './container/exec';
export { updateContainer as update, updateContainer } from './container/update';
export type { UpdateOptions, UpdateResult } from './container/update';
export type { LinuxResources } from './cgroups/resources';
export type { RunOptions, RunResult } from './container/run';
export { defaultConfig } from './config/defaults';
export { features } from './features';
export type { Features } from './features';
export { validateConfig } from './config/check';
export { validateBundle } from './container/validate';
export type { ValidateOptions, ValidationReport } from './container/validate';
export type { ContainerState, OciConfig } from './config/types';
export { ConfigError, ERROR_CODES, RuntsError } from './errors';
export type { ConfigProblem, ErrorCode, RuntsErrorOptions, SystemFailure } from './errors';
export { Logger } from './log';
export { VERSION } from './version';
export { SPEC_VERSION } from './config/version';
