import { compileGlobList, type NameMatcher } from '../language/glob.js';
import type { PolicyDocumentSpec } from '../document/schema.js';

/** Tool names answered before the cache is emptied: request tool names are the caller's, so the cache is bounded. */
const CACHE_LIMIT = 10_000;

/**
 * The policy's `quarantine:` sections compiled: what a quarantined agent may still call.
 * Strictest wins across loaded documents: a tool must be allowed by every document that has the
 * section (one document cannot widen another's quarantine), and with no section anywhere nothing
 * is allowed. Names match exactly (no canonical folding): a look-alike of an allowed tool is
 * another tool, and gains nothing. The call still goes through the policy afterwards.
 */
export class QuarantineAllowList {
  readonly #lists: readonly NameMatcher[];
  readonly #cache = new Map<string, boolean>();

  /** Compiles the `quarantine:` sections of `specs`. */
  constructor(specs: readonly (PolicyDocumentSpec['quarantine'] | undefined)[]) {
    this.#lists = specs.filter((spec) => spec !== undefined).map((spec) => compileGlobList(spec.allow));
  }

  /** True when every document with a `quarantine:` section allows `tool` (false when none has one). */
  allows(tool: string): boolean {
    if (this.#lists.length === 0) return false;
    const cached = this.#cache.get(tool);
    if (cached !== undefined) return cached;
    const allowed = this.#lists.every((matches) => matches(tool));
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(tool, allowed);
    return allowed;
  }
}
