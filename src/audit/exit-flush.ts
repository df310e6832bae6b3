/** Something that holds appended entries it has not yet written, and can write them at once. */
export interface Flushable {
  flush(): void;
}

/** Sinks whose batched writes may still be waiting; one 'exit' listener serves them all. */
const waiting = new Set<Flushable>();

/**
 * Flushes `sink` when the process exits (a synchronous write, which 'exit' allows), so entries
 * batched for the next tick are not left behind by a process that ends first.
 */
export function flushAtExit(sink: Flushable): void {
  waiting.add(sink);
  if (waiting.size === 1) process.on('exit', flushAll);
}

/** Stops flushing `sink` at exit (it was closed). */
export function forgetAtExit(sink: Flushable): void {
  waiting.delete(sink);
  if (waiting.size === 0) process.removeListener('exit', flushAll);
}

function flushAll(): void {
  for (const sink of waiting) {
    try {
      sink.flush();
    } catch {
      // Exiting: a sink that cannot write now cannot be helped (its entries were not
      // acknowledged); the others still get their turn.
    }
  }
}
