// runtime.md: state, lifecycle, operations, errors; and the hooks of
// config.md, whose order runtime.md's lifecycle fixes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sleepMs, type ConformanceTest, type TestContext } from '../harness';

function createdContainer(t: TestContext, edit?: Parameters<TestContext['bundle']>[0]): { id: string; dir: string } {
  const id = t.newId();
  const { dir } = t.bundle(edit);
  t.mustCreate(dir, id);
  return { id, dir };
}

/** A started container whose program sleeps for 30 s. */
function runningContainer(t: TestContext): string {
  const { id } = createdContainer(t, (c) => (c.process!.args = ['sleep', '30']));
  t.succeeds(t.rt(['start', id]), 'start');
  return id;
}

/** A created container whose program (not run yet) writes markers into /shared, a host directory. */
function markerContainer(t: TestContext, script: string): { id: string; dir: string; shared: string } {
  const shared = t.scratch();
  const { id, dir } = createdContainer(t, (c) => {
    c.process!.args = ['sh', '-c', script];
    c.mounts!.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
  });
  return { id, dir, shared };
}

function hookLog(t: TestContext): { log: string; hook: (name: string) => { path: string; args: string[]; env: string[] } } {
  const shared = t.scratch();
  const log = path.join(shared, 'hooks.log');
  writeFileSync(log, '');
  return {
    log,
    hook: (name) => ({
      path: '/bin/sh',
      args: ['sh', '-c', `read -r state; echo "${name} $HOOK_ENV $state" >> ${log}`],
      env: [`HOOK_ENV=env-of-${name}`],
    }),
  };
}

export const runtimeTests: ConformanceTest[] = [
  {
    id: 'state.fields',
    section: 'runtime.md#state',
    level: 'MUST',
    requirement: 'The state of a container includes ociVersion, id, status, pid (REQUIRED when status is created or running) and bundle (REQUIRED).',
    run(t) {
      const { id } = createdContainer(t);
      const s = t.state(id);
      t.equal(typeof s.ociVersion, 'string', 'ociVersion');
      t.equal(s.id, id, 'id');
      t.equal(s.status, 'created', 'status');
      t.ok(typeof s.pid === 'number' && s.pid > 0, `pid is a positive number (got ${JSON.stringify(s.pid)})`);
      t.ok(typeof s.bundle === 'string', 'bundle is a string');
    },
  },
  {
    id: 'state.pid-is-host-pid',
    section: 'runtime.md#state',
    level: 'MUST',
    requirement: 'pid (int, REQUIRED when status is created or running) is the ID of the container process, as seen by the host.',
    run(t) {
      const { id } = createdContainer(t);
      const pid = Number(t.state(id).pid);
      t.ok(existsSync(`/proc/${pid}`), `/proc/${pid} exists on the host`);
      const nsPid = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s*(.*)$/m)?.[1]?.trim().split(/\s+/);
      t.equal(nsPid?.[nsPid.length - 1], '1', 'the process is pid 1 of the container pid namespace');
    },
  },
  {
    id: 'state.bundle-absolute',
    section: 'runtime.md#state',
    level: 'MUST',
    requirement: 'bundle (string, REQUIRED) is the absolute path to the container\'s bundle directory.',
    run(t) {
      const { id, dir } = createdContainer(t);
      t.equal(t.state(id).bundle, dir, 'bundle');
    },
  },
  {
    id: 'state.annotations',
    section: 'runtime.md#state',
    level: 'MUST',
    requirement: 'annotations (map, OPTIONAL) contains the list of annotations associated with the container.',
    run(t) {
      const { id } = createdContainer(t, (c) => (c.annotations = { 'org.example.key': 'value', 'org.example.empty': '' }));
      t.equal(t.state(id).annotations, { 'org.example.key': 'value', 'org.example.empty': '' }, 'annotations');
    },
  },
  {
    id: 'lifecycle.create-does-not-run-program',
    section: 'runtime.md#lifecycle',
    level: 'MUST',
    requirement: 'While the resources requested in the config.json MUST be created, the user-specified program MUST NOT be run at this time.',
    run(t) {
      const { id, shared } = markerContainer(t, 'touch /shared/ran');
      sleepMs(200);
      t.ok(!existsSync(path.join(shared, 'ran')), 'the program did not run before start');
      t.succeeds(t.rt(['start', id]), 'start');
      t.waitStatus(id, 'stopped');
      t.ok(existsSync(path.join(shared, 'ran')), 'the program ran after start');
    },
  },
  {
    id: 'lifecycle.config-changes-after-create',
    section: 'runtime.md#lifecycle',
    level: 'MUST',
    requirement: 'Any updates to config.json after this step MUST NOT affect the container.',
    run(t) {
      const { id, dir, shared } = markerContainer(t, 'touch /shared/original');
      const file = path.join(dir, 'config.json');
      const config = JSON.parse(readFileSync(file, 'utf8'));
      config.process.args = ['sh', '-c', 'touch /shared/changed'];
      writeFileSync(file, JSON.stringify(config));
      t.succeeds(t.rt(['start', id]), 'start');
      t.waitStatus(id, 'stopped');
      t.ok(existsSync(path.join(shared, 'original')) && !existsSync(path.join(shared, 'changed')), 'the program of the original config ran');
    },
  },
  {
    id: 'create.status-created',
    section: 'runtime.md#create',
    level: 'MUST',
    requirement: 'Upon successful completion of this operation the status property of this container MUST be created.',
    run(t) {
      const { id } = createdContainer(t);
      t.equal(t.state(id).status, 'created', 'status');
    },
  },
  {
    id: 'create.needs-id',
    section: 'runtime.md#create',
    level: 'MUST',
    requirement: 'This operation MUST generate an error if it is not provided a path to the bundle and the container ID to associate with the container.',
    run(t) {
      const { dir } = t.bundle();
      t.fails(t.rt(['create', '--bundle', dir]), 'create without an id');
    },
  },
  {
    id: 'create.duplicate-id',
    section: 'runtime.md#create',
    level: 'MUST',
    requirement: 'If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created.',
    run(t) {
      const { id } = createdContainer(t);
      const pid = t.state(id).pid;
      const { dir } = t.bundle();
      t.fails(t.create(dir, id), 'a second create with the same id');
      t.equal(t.state(id).pid, pid, 'the first container is unchanged');
    },
  },
  {
    id: 'create.invalid-id',
    section: 'runtime.md#create',
    level: 'MUST',
    requirement: 'If the ID provided ... is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created.',
    run(t) {
      const { dir } = t.bundle();
      t.fails(t.create(dir, '../escape'), 'an id with a path separator');
      t.fails(t.rt(['state', '../escape']), 'no such container');
    },
  },
  {
    id: 'create.bad-config',
    section: 'runtime.md#create',
    level: 'MUST',
    requirement: 'If the runtime cannot create the container as specified in config.json, it MUST generate an error and a new container MUST NOT be created.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.process!.args = ['/does/not/exist']));
      t.fails(t.create(dir, id), 'create of a program that does not exist');
      t.fails(t.rt(['state', id]), 'state of the container that must not exist');
    },
  },
  {
    id: 'create.invalid-json',
    section: 'runtime.md#errors',
    level: 'MUST',
    requirement: 'Generating an error MUST leave the state of the environment as if the operation were never attempted.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle();
      writeFileSync(path.join(dir, 'config.json'), '{"ociVersion": "1.0.2", ');
      t.fails(t.create(dir, id), 'create with a truncated config.json');
      t.fails(t.rt(['state', id]), 'state of the container that must not exist');
    },
  },
  {
    id: 'start.status-running',
    section: 'runtime.md#start',
    level: 'MUST',
    requirement: 'This operation MUST run the user-specified program as specified by process. Upon successful completion of this operation the status property of this container MUST be running.',
    run(t) {
      const id = runningContainer(t);
      t.equal(t.state(id).status, 'running', 'status');
    },
  },
  {
    id: 'start.twice',
    section: 'runtime.md#start',
    level: 'MUST',
    requirement: 'Attempting to start an already started container MUST have no effect on the container and MUST generate an error.',
    run(t) {
      const id = runningContainer(t);
      const pid = t.state(id).pid;
      t.fails(t.rt(['start', id]), 'the second start');
      const s = t.state(id);
      t.equal([s.status, s.pid], ['running', pid], 'status and pid after the second start');
    },
  },
  {
    id: 'start.unknown',
    section: 'runtime.md#start',
    level: 'MUST',
    requirement: 'Attempting to start a container that does not exist MUST generate an error.',
    run(t) {
      t.fails(t.rt(['start', t.newId()]), 'start of an unknown container');
    },
  },
  {
    id: 'state.unknown',
    section: 'runtime.md#query-state',
    level: 'MUST',
    requirement: 'Attempting to query a container that does not exist MUST generate an error.',
    run(t) {
      t.fails(t.rt(['state', t.newId()]), 'state of an unknown container');
    },
  },
  {
    id: 'state.needs-id',
    section: 'runtime.md#query-state',
    level: 'MUST',
    requirement: 'This operation MUST generate an error if it is not provided the ID of a container.',
    run(t) {
      t.fails(t.rt(['state']), 'state without an id');
    },
  },
  {
    id: 'kill.sends-signal',
    section: 'runtime.md#kill',
    level: 'MUST',
    requirement: 'This operation MUST send the specified signal to the process in the container.',
    run(t) {
      const { id, shared } = markerContainer(t, 'trap "touch /shared/got-usr1; exit 0" USR1; touch /shared/ready; while :; do sleep 0.05; done');
      t.succeeds(t.rt(['start', id]), 'start');
      for (let i = 0; i < 200 && !existsSync(path.join(shared, 'ready')); i++) sleepMs(10);
      t.succeeds(t.rt(['kill', id, 'USR1']), 'kill USR1');
      t.waitStatus(id, 'stopped');
      t.ok(existsSync(path.join(shared, 'got-usr1')), 'the process received SIGUSR1');
    },
  },
  {
    id: 'kill.stopped',
    section: 'runtime.md#kill',
    level: 'MUST',
    requirement: 'Attempting to send a signal to a container that is not running MUST have no effect on the container and MUST generate an error.',
    run(t) {
      const { id } = createdContainer(t, (c) => (c.process!.args = ['true']));
      t.succeeds(t.rt(['start', id]), 'start');
      t.waitStatus(id, 'stopped');
      t.fails(t.rt(['kill', id, 'KILL']), 'kill of a stopped container');
      t.equal(t.state(id).status, 'stopped', 'status');
    },
  },
  {
    id: 'kill.status-stopped',
    section: 'runtime.md#kill',
    level: 'MUST',
    requirement: 'When the process in the container is stopped, irrespective of it being as a result of a kill operation or any other reason, the status property of this container MUST be stopped.',
    run(t) {
      const id = runningContainer(t);
      t.succeeds(t.rt(['kill', id, 'KILL']), 'kill');
      t.waitStatus(id, 'stopped');
    },
  },
  {
    id: 'kill.needs-id',
    section: 'runtime.md#kill',
    level: 'MUST',
    requirement: 'This operation MUST generate an error if it is not provided the container ID.',
    run(t) {
      t.fails(t.rt(['kill']), 'kill without an id');
    },
  },
  {
    id: 'delete.running',
    section: 'runtime.md#delete',
    level: 'MUST',
    requirement: 'Attempting to delete a container whose process is still running MUST generate an error.',
    run(t) {
      const id = runningContainer(t);
      t.fails(t.rt(['delete', id]), 'delete of a running container');
      t.equal(t.state(id).status, 'running', 'status');
    },
  },
  {
    id: 'delete.unknown',
    section: 'runtime.md#delete',
    level: 'MUST',
    requirement: 'Attempting to delete a container that does not exist MUST generate an error.',
    run(t) {
      t.fails(t.rt(['delete', t.newId()]), 'delete of an unknown container');
    },
  },
  {
    id: 'delete.removes-resources',
    section: 'runtime.md#delete',
    level: 'MUST',
    requirement: 'Deleting a container MUST delete the resources that were created during the create step.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => {
        c.process!.args = ['true'];
        c.linux!.cgroupsPath = `/conformance/${id}`;
      });
      t.mustCreate(dir, id);
      const pid = Number(t.state(id).pid);
      const memory = readFileSync(`/proc/${pid}/cgroup`, 'utf8').match(/^\d+:memory:(.*)$/m)?.[1];
      t.succeeds(t.rt(['start', id]), 'start');
      t.waitStatus(id, 'stopped');
      t.succeeds(t.rt(['delete', id]), 'delete');
      t.fails(t.rt(['state', id]), 'state after delete');
      if (memory) t.ok(!existsSync(`/sys/fs/cgroup/memory${memory}`), `the cgroup ${memory} is gone`);
    },
  },
  {
    id: 'delete.id-reusable',
    section: 'runtime.md#delete',
    level: 'MAY',
    requirement: 'Once a container is deleted its ID MAY be used by a subsequent container.',
    run(t) {
      const { id, dir } = createdContainer(t);
      t.succeeds(t.rt(['delete', '--force', id]), 'delete');
      t.succeeds(t.create(dir, id), 'create with the same id');
    },
  },
  {
    id: 'delete.needs-id',
    section: 'runtime.md#delete',
    level: 'MUST',
    requirement: 'This operation MUST generate an error if it is not provided the container ID.',
    run(t) {
      t.fails(t.rt(['delete']), 'delete without an id');
    },
  },
  {
    id: 'hooks.order',
    section: 'config.md#posix-platform-hooks',
    level: 'MUST',
    requirement: 'Hooks MUST be called in the listed order; prestart, createRuntime, createContainer during create, startContainer and poststart during start, poststop during delete.',
    run(t) {
      const { log, hook } = hookLog(t);
      const id = t.newId();
      const { dir } = t.bundle((c) => {
        c.process!.args = ['true'];
        c.hooks = {
          prestart: [hook('prestart')],
          createRuntime: [hook('createRuntime1'), hook('createRuntime2')],
          createContainer: [hook('createContainer')],
          startContainer: [hook('startContainer')],
          poststart: [hook('poststart')],
          poststop: [hook('poststop')],
        };
        // startContainer runs in the container: the log must be reachable there.
        c.mounts!.push({ destination: path.dirname(log), type: 'bind', source: path.dirname(log), options: ['rbind'] });
      });
      t.mustCreate(dir, id);
      const afterCreate = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
      t.equal(afterCreate, ['prestart', 'createRuntime1', 'createRuntime2', 'createContainer'], 'hooks run by create');
      t.succeeds(t.rt(['start', id]), 'start');
      t.waitStatus(id, 'stopped');
      t.succeeds(t.rt(['delete', id]), 'delete');
      const all = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
      t.equal(all.slice(4), ['startContainer', 'poststart', 'poststop'], 'hooks run by start and delete');
    },
  },
  {
    id: 'hooks.state-and-env',
    section: 'config.md#posix-platform-hooks',
    level: 'MUST',
    requirement: 'The state of the container MUST be passed to hooks over stdin; env has the same semantics as IEEE Std 1003.1-2008\'s environ.',
    run(t) {
      const { log, hook } = hookLog(t);
      const id = t.newId();
      const { dir } = t.bundle((c) => {
        c.hooks = { createRuntime: [hook('createRuntime')] };
      });
      t.mustCreate(dir, id);
      const line = readFileSync(log, 'utf8').trim();
      t.ok(line.startsWith('createRuntime env-of-createRuntime '), `the hook saw its env (${line.slice(0, 80)})`);
      const state = JSON.parse(line.slice('createRuntime env-of-createRuntime '.length));
      t.equal([state.id, state.status, state.bundle], [id, 'creating', dir], 'the state passed on stdin');
    },
  },
  {
    id: 'hooks.prestart-failure',
    section: 'runtime.md#lifecycle',
    level: 'MUST',
    requirement: 'If any prestart hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 10.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.hooks = { prestart: [{ path: '/bin/false' }] }));
      const r = t.create(dir, id);
      if (r.code === 0) {
        t.fails(t.rt(['start', id]), 'start with a failing prestart hook');
      }
      const s = t.rt(['state', id]);
      t.ok(s.code !== 0 || JSON.parse(s.stdout).status === 'stopped', 'the container is stopped or gone');
    },
  },
  {
    id: 'hooks.poststart-failure',
    section: 'runtime.md#lifecycle',
    level: 'MUST',
    requirement: 'If any poststart hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => {
        c.process!.args = ['sleep', '30'];
        c.hooks = { poststart: [{ path: '/bin/false' }] };
      });
      t.mustCreate(dir, id);
      t.succeeds(t.rt(['start', id]), 'start with a failing poststart hook');
      t.equal(t.state(id).status, 'running', 'status');
    },
  },
];
