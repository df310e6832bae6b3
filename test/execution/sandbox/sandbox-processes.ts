import { readdirSync, readFileSync } from 'node:fs';

/** The lowest host uid the sandbox gives a run when the host runs as root (run.ts's UID_RANGE). */
const SANDBOX_UID_FROM = 1_900_000_000;

/**
 * Host processes still running (zombies aside) as a sandbox uid: after a run has ended there must be none, or
 * something escaped the kill of its process group and PID namespace.
 */
export function leftoverSandboxProcesses(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // A zombie runs nothing and holds nothing: it waits for the machine's init to reap it.
    if (/^State:\s+Z/m.test(status)) continue;
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    if (uid >= SANDBOX_UID_FROM) found.push(`${pid} ${/^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?'} uid ${uid}`);
  }
  return found;
}

/**
 * The leftovers once the kernel has had `withinMs` to finish tearing a killed namespace down
 * (SIGKILLed processes take a moment to exit); empty when nothing survived.
 */
export async function leftoversAfter(withinMs = 2_000): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  let left = leftoverSandboxProcesses();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = leftoverSandboxProcesses();
  }
  return left;
}
