// npm run conformance -- [--runtime PATH] [--name NAME] [--root DIR] [--filter RE] [--json FILE]
// Runs the conformance suite against one runtime and prints TAP. The default
// runtime is this checkout's runts.
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/native/binding';
import { sweepNewCgroupParents, TEST_CGROUP_PARENTS } from './cgroup-parents';
import { Failure, makeSuite, Skip, TestContext, type ConformanceTest, type Suite } from './harness';
import { allTests } from './tests';

export interface TestOutcome {
  id: string;
  section: string;
  level: string;
  requirement: string;
  result: 'pass' | 'fail' | 'skip';
  message?: string;
  /** cgroup directories the runtime left after delete --force (removed by the harness). */
  leftovers?: string[];
}

/** Failures that come from this host, not from the runtime: reported as skips with the reason. */
const HOST_CAUSED: { pattern: RegExp; why: string }[] = [
  {
    pattern: /cgroups in hybrid mode not supported/,
    why: 'crun 1.8 refuses hybrid cgroups (conformance:compare hides /sys/fs/cgroup/unified for it)',
  },
];

/** rmdir dir and its parents up to and including top, while they are empty. */
function removeEmptyUpTo(dir: string, top: string): void {
  for (let d = dir; d.startsWith(top); d = path.dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // A runtime left state here: the leftover checks report it.
    }
  }
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function yamlBlock(message: string): string {
  return `  ---\n  message: ${JSON.stringify(message)}\n  ...`;
}

async function runOne(suite: Suite, test: ConformanceTest): Promise<TestOutcome> {
  const base = { id: test.id, section: test.section, level: test.level, requirement: test.requirement };
  const unmet = (test.requires ?? []).filter((r) => !r.met());
  if (unmet.length) return { ...base, result: 'skip', message: `this host lacks ${unmet.map((r) => r.what).join(', ')}` };
  const t = new TestContext(suite, test.id);
  let outcome: TestOutcome;
  try {
    await Promise.race([
      Promise.resolve(test.run(t)),
      new Promise((_, reject) => setTimeout(() => reject(new Failure('timed out after 60 s')), 60_000).unref()),
    ]);
    outcome = { ...base, result: 'pass' };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const host = HOST_CAUSED.find((h) => h.pattern.test(message));
    if (e instanceof Skip) outcome = { ...base, result: 'skip', message };
    else if (host) outcome = { ...base, result: 'skip', message: host.why };
    else outcome = { ...base, result: 'fail', message: e instanceof Failure ? message : `harness error: ${message}` };
  }
  const leftovers = t.cleanup();
  return leftovers.length ? { ...outcome, leftovers } : outcome;
}

export async function runSuite(options: { runtime: string; name: string; root: string; filter?: RegExp; print: boolean }): Promise<TestOutcome[]> {
  const pkg = packageRoot();
  const checker = path.join(pkg, 'build', 'Release', 'runts-checker');
  if (!existsSync(checker)) throw new Error(`the checker is not built (${checker}): run npm install`);
  const firstMadeDir = mkdirSync(options.root, { recursive: true });
  const suite = makeSuite(
    { name: options.name, bin: options.runtime, root: options.root, globalArgs: [] },
    checker,
    path.join(pkg, 'scripts', 'make-bundle.sh'),
    path.join(pkg, 'conformance', 'console-server.py'),
  );
  const tests = allTests.filter((t) => !options.filter || options.filter.test(t.id));
  const outcomes: TestOutcome[] = [];
  if (options.print) process.stdout.write(`TAP version 13\n# runtime: ${options.name} (${options.runtime})\n1..${tests.length}\n`);
  const sweepParents = sweepNewCgroupParents(TEST_CGROUP_PARENTS);
  try {
    for (const [i, test] of tests.entries()) {
      const o = await runOne(suite, test);
      outcomes.push(o);
      if (!options.print) continue;
      const name = `${test.id} (${test.section}, ${test.level})`;
      for (const d of o.leftovers ?? []) process.stdout.write(`# ${options.name} left ${d} after delete --force (removed)\n`);
      if (o.result === 'pass') process.stdout.write(`ok ${i + 1} - ${name}\n`);
      else if (o.result === 'skip') process.stdout.write(`ok ${i + 1} - ${name} # SKIP ${o.message}\n`);
      else process.stdout.write(`not ok ${i + 1} - ${name}\n${yamlBlock(o.message ?? '')}\n`);
    }
  } finally {
    rmSync(suite.work, { recursive: true, force: true });
    sweepParents();
    if (firstMadeDir) removeEmptyUpTo(options.root, firstMadeDir);
  }
  if (options.print) {
    const count = (r: string) => outcomes.filter((o) => o.result === r).length;
    process.stdout.write(`# ${options.name}: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped of ${outcomes.length}\n`);
  }
  return outcomes;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const given = arg(args, '--runtime') ?? path.join(packageRoot(), 'bin', 'runts');
  // A path (with a slash) or a command name found in PATH, like runc.
  const runtime = given.includes('/') ? path.resolve(given) : given;
  const name = arg(args, '--name') ?? path.basename(runtime);
  const root = arg(args, '--root') ?? `/run/runts-conformance/${name}`;
  const filter = arg(args, '--filter');
  const json = arg(args, '--json');
  runSuite({ runtime, name, root, filter: filter ? new RegExp(filter) : undefined, print: true })
    .then((outcomes) => {
      if (json) writeFileSync(json, JSON.stringify({ runtime: name, outcomes }, null, 2));
      process.exit(outcomes.some((o) => o.result === 'fail') ? 1 : 0);
    })
    .catch((e: unknown) => {
      process.stderr.write(`conformance: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    });
}
