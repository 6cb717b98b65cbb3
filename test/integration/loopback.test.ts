// A network namespace the container creates has its loopback interface up,
// as with runc and crun (crun's test suite checks it; programs expect
// 127.0.0.1 to answer).
import { describe, expect, it } from 'vitest';
import { isRoot, useSandbox } from '../helpers/sandbox';

describe.skipIf(!isRoot)('loopback in a new network namespace', () => {
  const sb = useSandbox();

  it('lo is up and 127.0.0.1 accepts a connection', () => {
    // busybox nc listens (and prints what it gets) and a second nc connects
    // to 127.0.0.1, as soon as the listener is there: only an up loopback
    // carries that (with lo down every connect fails, and the script gives
    // up after 100 tries).
    const out = sb.sh(
      'ip link show lo | head -1; nc -l -p 5555 & i=0; until echo hi | nc 127.0.0.1 5555 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || exit 9; sleep 0.05; done; wait',
      (c) => {
        c.linux!.namespaces = [...(c.linux!.namespaces ?? []).filter((n) => n.type !== 'network'), { type: 'network' }];
      },
    );
    expect(out).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    expect(out.trim().split('\n').at(-1)).toBe('hi');
  });
});
