// Entry of dist/runts.cjs: the CLI as a module. dist/start.cjs loads it with
// its V8 code cache and runs it; the build runs warmUp() to fill that cache.
export { runCliAndExit } from './main';
export { warmUp } from './warm-up';
