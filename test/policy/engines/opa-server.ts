import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { findOpaBinary } from '../../../src/policy/engines/opa-binary.js';

/** A free loopback port (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A real `opa run --server` on loopback serving `files`; resolves once it answers /health. */
export async function startOpa(files: readonly string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const opa = findOpaBinary();
  if (!opa) throw new Error('no OPA binary');
  const port = await freePort();
  const child: ChildProcess = spawn(opa.path, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--log-level', 'error', ...files], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error('OPA did not start');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url, stop };
}
