// `runts completion bash|zsh`: a completion script generated from the
// grammar table, so that a new verb or option completes without editing it.
// Verbs and options are completed by the script itself (no process per TAB
// press); container ids by `runts list --quiet` under the --root the command
// line gives (the same list logic as `runts list`), only where an existing
// container's id goes. zsh runs the same function through bashcompinit.
import { CLI_COMMANDS, GLOBAL_OPTIONS, VERBS, type OptionSpec, type VerbSpec } from './grammar';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** Verbs whose container id names a new container: completing existing ids there would only mislead. */
const NEW_ID_VERBS: ReadonlySet<string> = new Set(['create', 'run']);

/** What `kill <id> <TAB>` offers (runc's signal names, the common ones). */
const SIGNALS = ['SIGTERM', 'SIGKILL', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGSTOP', 'SIGCONT', 'SIGWINCH'];

function flags(options: readonly OptionSpec[]): string[] {
  return options.flatMap((o) => [`--${o.name}`, ...(o.alias ? [`-${o.alias}`] : [])]);
}

function takesValue(o: OptionSpec): boolean {
  return o.type !== 'boolean';
}

/** A bash case pattern for the flags of some options, as "verb flag" pairs ('*' for any verb). */
function pattern(verb: string, options: readonly OptionSpec[]): string {
  return flags(options)
    .map((f) => `"${verb} ${f}"`)
    .join('|');
}

function takesValueCases(): string[] {
  const lines: string[] = [];
  const globals = GLOBAL_OPTIONS.filter(takesValue);
  lines.push(`    ${flags(globals).map((f) => `*" ${f}"`).join('|')}) return 0 ;;`);
  for (const spec of Object.values(VERBS)) {
    const valued = spec.options.filter(takesValue);
    if (valued.length) lines.push(`    ${pattern(spec.name, valued)}) return 0 ;;`);
  }
  return lines;
}

function choicesCases(): string[] {
  const lines: string[] = [];
  for (const o of GLOBAL_OPTIONS.filter((g) => g.choices)) lines.push(`    ${flags([o]).map((f) => `*" ${f}"`).join('|')}) echo ${o.choices?.join(' ')} ;;`);
  for (const spec of Object.values(VERBS)) {
    for (const o of spec.options.filter((x) => x.choices)) lines.push(`    ${pattern(spec.name, [o])}) echo ${o.choices?.join(' ')} ;;`);
  }
  return lines;
}

function commandNames(): string[] {
  return [...Object.keys(VERBS), ...CLI_COMMANDS.map((c) => c.name)];
}

/** The completion of one verb's words after the verb: $cur, $args (positionals before it) are set. */
function verbCase(spec: VerbSpec): string[] {
  const words = [...flags(spec.options), ...flags(GLOBAL_OPTIONS), '--help'].join(' ');
  const out = [`    ${spec.name})`];
  // After the id, exec's and ps' words are the command's or ps(1)'s own.
  if (spec.rest) out.push('      (( args >= 1 )) && return 0');
  out.push(`      if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "${words}" -- "$cur") )`);
  if (spec.positionals[0]?.name === 'container-id' && !NEW_ID_VERBS.has(spec.name)) {
    out.push('      elif (( args == 0 )); then COMPREPLY=( $(compgen -W "$(_runts_ids)" -- "$cur") )');
  }
  if (spec.name === 'kill') out.push(`      elif (( args == 1 )); then COMPREPLY=( $(compgen -W "${SIGNALS.join(' ')}" -- "$cur") )`);
  out.push('      fi ;;');
  return out;
}

function bashFunctions(): string {
  const commands = commandNames().join(' ');
  const globalWords = [...flags(GLOBAL_OPTIONS), '--help', '--version'].join(' ');
  return [
    '# Whether option $2 of verb $1 ("" before the verb) takes a value.',
    '_runts_takes_value() {',
    '  case "$1 $2" in',
    ...takesValueCases(),
    '  esac',
    '  return 1',
    '}',
    '',
    '# The values option $2 of verb $1 may take, if it has a fixed set.',
    '_runts_choices() {',
    '  case "$1 $2" in',
    ...choicesCases(),
    '  esac',
    '}',
    '',
    '# The ids of the containers under the --root of the command line ($root).',
    '_runts_ids() {',
    '  "${COMP_WORDS[0]}" ${root:+--root "$root"} list --quiet 2>/dev/null',
    '}',
    '',
    '_runts() {',
    '  # zsh (bashcompinit): index COMP_WORDS from 0, as bash does.',
    '  [[ -n ${ZSH_VERSION-} ]] && setopt localoptions ksharrays',
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}',
    '  local i=1 word verb= root= args=0',
    '  COMPREPLY=()',
    '  # bash splits --opt=value at "=" (COMP_WORDBREAKS): complete the value of --opt.',
    '  if [[ $cur == = ]]; then cur=; elif [[ $prev == = ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}; fi',
    '  while (( i < COMP_CWORD )); do',
    '    word=${COMP_WORDS[i]}',
    '    if [[ ${COMP_WORDS[i+1]-} == = ]]; then',
    '      [[ $word == --root ]] && root=${COMP_WORDS[i+2]-}',
    '      (( i += 3 )); continue',
    '    fi',
    '    case $word in',
    '      --root=*) root=${word#--root=} ;;',
    '      -*=*) ;;',
    '      -*)',
    '        if _runts_takes_value "$verb" "$word"; then',
    '          [[ $word == --root ]] && root=${COMP_WORDS[i+1]-}',
    '          (( i += 1 ))',
    '        fi ;;',
    '      *) if [[ -z $verb ]]; then verb=$word; else (( args += 1 )); fi ;;',
    '    esac',
    '    (( i += 1 ))',
    '  done',
    '  if [[ $prev == -* ]] && _runts_takes_value "$verb" "$prev" && (( i > COMP_CWORD )); then',
    '    local choices',
    '    choices=$(_runts_choices "$verb" "$prev")',
    '    # Without a fixed set, complete -o default offers file names.',
    '    [[ -n $choices ]] && COMPREPLY=( $(compgen -W "$choices" -- "$cur") )',
    '    return 0',
    '  fi',
    '  if [[ -z $verb ]]; then',
    `    if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "${globalWords}" -- "$cur") )`,
    `    else COMPREPLY=( $(compgen -W "${commands}" -- "$cur") ); fi`,
    '    return 0',
    '  fi',
    '  case $verb in',
    `    help) (( args == 0 )) && COMPREPLY=( $(compgen -W "${commands}" -- "$cur") ) ;;`,
    `    completion) (( args == 0 )) && COMPREPLY=( $(compgen -W "${SHELLS.join(' ')}" -- "$cur") ) ;;`,
    ...Object.values(VERBS).flatMap(verbCase),
    '  esac',
    '  return 0',
    '}',
  ].join('\n');
}

export function completionScript(shell: Shell): string {
  const header =
    shell === 'bash'
      ? [
          '# bash completion for runts, generated by `runts completion bash`.',
          '# Install: add `source <(runts completion bash)` to ~/.bashrc, or save it as',
          '# /etc/bash_completion.d/runts (~/.local/share/bash-completion/completions/runts).',
        ]
      : [
          '# zsh completion for runts, generated by `runts completion zsh`.',
          '# Install: add `source <(runts completion zsh)` to ~/.zshrc, after compinit.',
          '# It runs the bash completion function through zsh\'s bashcompinit.',
          'autoload -U +X bashcompinit && bashcompinit',
        ];
  return [...header, '', bashFunctions(), '', 'complete -o default -F _runts runts', ''].join('\n');
}
