// `spec --rootless` (runc's and crun's) shares its name with the global
// `--rootless true|false|auto`, and both parsers would read it as the global
// one. So it is taken off the command line before parsing: a `--rootless`
// (or `--rootless=true|false`) after the verb `spec`.
import { GLOBAL_OPTIONS } from './grammar';

export interface SpecRootless {
  args: string[];
  /** undefined when the command is not `spec --rootless...`. */
  rootless: boolean | undefined;
}

function verbIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('-')) return i;
    const name = a.replace(/^--?/, '').split('=')[0];
    const spec = GLOBAL_OPTIONS.find((o) => o.name === name);
    if (spec && spec.type !== 'boolean' && !a.includes('=')) i++;
  }
  return -1;
}

export function takeSpecRootless(args: readonly string[]): SpecRootless {
  const v = verbIndex(args);
  if (v < 0 || args[v] !== 'spec') return { args: [...args], rootless: undefined };
  let rootless: boolean | undefined;
  const rest = args.slice(v + 1).filter((a) => {
    if (a === '--rootless' || a === '--rootless=true') rootless = true;
    else if (a === '--rootless=false') rootless = false;
    else return true;
    return false;
  });
  return { args: [...args.slice(0, v + 1), ...rest], rootless };
}
