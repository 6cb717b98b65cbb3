// The receiving end of --console-socket for tests: conformance/console-server.py
// accepts the pty master runts sends (SCM_RIGHTS), optionally types into it,
// and prints the pty's name and everything the container wrote to it.
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface ConsoleServer {
  /** Resolves once the socket listens. */
  ready: Promise<void>;
  /** The pty's name and the container's output, once the server exits. */
  result: Promise<{ name: string; output: string }>;
}

export function consoleServer(socketPath: string, opts: { typed?: string; stderr?: 'inherit' | 'ignore' } = {}): ConsoleServer {
  const script = path.resolve(__dirname, '../../conformance/console-server.py');
  const py = spawn('python3', [script, socketPath, opts.typed ?? ''], { stdio: ['ignore', 'pipe', opts.stderr ?? 'inherit'] });
  let buf = '';
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => (readyResolve = r));
  const result = new Promise<{ name: string; output: string }>((resolve, reject) => {
    py.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.startsWith('ready\n')) readyResolve();
    });
    py.on('exit', () => {
      try {
        resolve(JSON.parse(buf.trim().split('\n').pop() ?? '') as { name: string; output: string });
      } catch {
        reject(new Error(`console server: ${buf}`));
      }
    });
  });
  return { ready, result };
}
