import { compileToolGlobList, type NameMatcher } from '../language/glob.js';
import type { PolicyDocumentSpec } from '../document/schema.js';
import { NO_REQUIREMENTS, resolvedRequirements, strictestWritten, writtenOf, type ToolRequirements, type WrittenRequirements } from '../document/tool-requirements.js';

export { NO_REQUIREMENTS, type ToolRequirements, type ToolRing } from '../document/tool-requirements.js';

/**
 * The policy's `tools:` section compiled: what a call of each tool requires before the kernel
 * lets it reach the guards (verification level, minimum trust, privilege ring, read-only;
 * timeout and sandbox profile to come). Every entry whose glob matches the tool applies, across every loaded
 * document, and they combine strictest-wins field by field, so no document (or `extends`
 * child) can loosen what another requires. Compiled once per policy revision; answered per tool
 * from a cache, so the kernel's hot path is one Map lookup.
 */

/** Tool names answered before the cache is emptied: request tool names are the caller's, so the cache is bounded. */
const CACHE_LIMIT = 10_000;

/** The compiled `tools:` entries of every loaded document; {@link requirementsFor} answers per tool. */
export class ToolRequirementIndex {
  readonly #entries: readonly { readonly pattern: string; readonly matches: NameMatcher; readonly requires: WrittenRequirements }[];
  readonly #cache = new Map<string, ToolRequirements>();

  /** Compiles the `tools:` maps of `specs`, in load order. */
  constructor(specs: readonly (PolicyDocumentSpec['tools'] | undefined)[]) {
    // Matched like denied_tools (also in canonical form): a look-alike of a guarded name
    // (`Transfer_Funds`, a Cyrillic `а`) gets the guarded name's requirements, never fewer.
    this.#entries = specs.flatMap((tools) => Object.entries(tools ?? {}).map(([pattern, spec]) => ({ pattern, matches: compileToolGlobList([pattern]), requires: writtenOf(spec) })));
  }

  /** True when no document has a `tools:` entry (every tool requires {@link NO_REQUIREMENTS}). */
  get empty(): boolean {
    return this.#entries.length === 0;
  }

  /** The patterns written, in load order (for lint). */
  get patterns(): readonly string[] {
    return this.#entries.map((entry) => entry.pattern);
  }

  /** What a call of `tool` requires: every matching entry, strictest-wins. A Map lookup after the first call for a name. */
  requirementsFor(tool: string): ToolRequirements {
    if (this.#entries.length === 0) return NO_REQUIREMENTS;
    const cached = this.#cache.get(tool);
    if (cached) return cached;
    let written: WrittenRequirements | undefined;
    for (const entry of this.#entries) if (entry.matches(tool)) written = written ? strictestWritten(written, entry.requires) : entry.requires;
    const frozen = written === undefined ? NO_REQUIREMENTS : Object.freeze(resolvedRequirements(written));
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(tool, frozen);
    return frozen;
  }
}
