import { readdirSync, readFileSync } from 'node:fs';

/** Resolves once `check()` holds, polling every `everyMs`; rejects after `ms`. */
export async function waitUntil(check: () => boolean, ms: number, everyMs: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The host pids whose command line contains `marker` (sleep durations no other process uses). */
export function pidsWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(marker)) found.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return found;
}
