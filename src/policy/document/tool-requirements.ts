import type { PolicyDocumentSpec, SCAN_THRESHOLDS, ToolRequirementsSpec } from './schema.js';

/** A scanner threshold: findings at or above this severity count; `none`: none do. */
export type ScanThreshold = (typeof SCAN_THRESHOLDS)[number];
/** The sandbox profiles a policy may name. */
export type PolicySandboxProfile = 'ring1' | 'ring2' | 'ring3';

/**
 * What the policy's `tools:` entries mean, field by field: each requirement's default, how it is
 * read from an entry, and which of two values is the stricter. Several entries matching one tool
 * (in one document, across documents, or a parent and its `extends` child) combine
 * strictest-wins, so none can loosen what another requires. The per-tool index is compile's
 * (../compile/tool-requirements.ts); this is the one definition both use.
 */

/** What a call of one tool requires (the combined, strictest form of every matching entry). */
export interface ToolRequirements {
  /** `full`: a signed envelope, JWT bearer or SPIFFE proof; `session`: a session MAC suffices. */
  readonly verify: 'full' | 'session';
  /** The lowest live trust score (0-1000) an agent may call the tool with; 0 requires nothing. */
  readonly minTrust: number;
  /** `sandbox.profile`: the profile a sandbox tool runs under; undefined when no entry names one. */
  readonly sandboxProfile: PolicySandboxProfile | undefined;
  /** `sandbox.scan.deny`: findings at or above it deny the call; undefined (no entry says) means `critical`. */
  readonly scanDeny: ScanThreshold | undefined;
  /** `sandbox.scan.warn`: findings at or above it come back with the outcome; undefined means `high`. */
  readonly scanWarn: ScanThreshold | undefined;
}

/**
 * Looser to stricter. An unset field (undefined) is neutral, so an entry that says nothing about
 * the sandbox (e.g. `'*': { verify: full }`) neither loosens nor tightens another's explicit
 * `scan: { deny: none }`; where two entries both say, the stricter wins.
 */
const THRESHOLD_ORDER: readonly ScanThreshold[] = ['none', 'critical', 'high', 'medium', 'low'];
const PROFILE_ORDER: readonly PolicySandboxProfile[] = ['ring1', 'ring2', 'ring3'];

function stricterOf<T>(order: readonly T[]): (a: T | undefined, b: T | undefined) => T | undefined {
  return (a, b) => (a === undefined ? b : b === undefined ? a : order.indexOf(a) >= order.indexOf(b) ? a : b);
}

/**
 * One line per field: its default (what a tool no entry names requires), how it is read from an
 * entry as written, and which of two values is the stricter. Adding a requirement is one line here
 * (and its key in the schema).
 */
const FIELDS: { readonly [K in keyof ToolRequirements]: { readonly none: ToolRequirements[K]; read(spec: ToolRequirementsSpec): ToolRequirements[K] | undefined; stricter(a: ToolRequirements[K], b: ToolRequirements[K]): ToolRequirements[K] } } = {
  verify: { none: 'session', read: (spec) => spec.verify, stricter: (a, b) => (a === 'full' || b === 'full' ? 'full' : 'session') },
  minTrust: { none: 0, read: (spec) => spec.min_trust, stricter: (a, b) => Math.max(a, b) },
  sandboxProfile: { none: undefined, read: (spec) => spec.sandbox?.profile, stricter: stricterOf(PROFILE_ORDER) },
  scanDeny: { none: undefined, read: (spec) => spec.sandbox?.scan?.deny, stricter: stricterOf(THRESHOLD_ORDER) },
  scanWarn: { none: undefined, read: (spec) => spec.sandbox?.scan?.warn, stricter: stricterOf(THRESHOLD_ORDER) },
};

const KEYS = Object.keys(FIELDS) as (keyof ToolRequirements)[];

/** A tool that no `tools:` entry names requires nothing beyond the defaults. */
export const NO_REQUIREMENTS: ToolRequirements = Object.freeze(Object.fromEntries(KEYS.map((key) => [key, FIELDS[key].none])) as unknown as ToolRequirements);

/** `b` over `a`, field by field, keeping the stricter value of each. */
export function strictestOf(a: ToolRequirements, b: ToolRequirements): ToolRequirements {
  const combined: Record<string, unknown> = {};
  for (const key of KEYS) combined[key] = (FIELDS[key].stricter as (x: unknown, y: unknown) => unknown)(a[key], b[key]);
  return combined as unknown as ToolRequirements;
}

/** An entry as written, with the defaults for the fields it leaves out. */
export function requirementsOf(spec: ToolRequirementsSpec): ToolRequirements {
  const read: Record<string, unknown> = {};
  for (const key of KEYS) read[key] = FIELDS[key].read(spec) ?? FIELDS[key].none;
  return read as unknown as ToolRequirements;
}

/** Two `tools:` maps (an `extends` parent's and its child's) as one, strictest-wins per key. */
export function mergeToolSpecs(parent: PolicyDocumentSpec['tools'], child: PolicyDocumentSpec['tools']): PolicyDocumentSpec['tools'] {
  if (!parent || !child) return parent ?? child;
  const merged: Record<string, ToolRequirementsSpec> = { ...parent };
  for (const [pattern, spec] of Object.entries(child)) {
    const earlier = merged[pattern];
    if (!earlier) {
      merged[pattern] = spec;
      continue;
    }
    const strictest = strictestOf(requirementsOf(earlier), requirementsOf(spec));
    merged[pattern] = { verify: strictest.verify, min_trust: strictest.minTrust, ...sandboxSpecOf(strictest) };
  }
  return merged;
}


/** The `sandbox:` part of an entry, written back from combined requirements (absent when nothing is set). */
function sandboxSpecOf(requires: ToolRequirements): Pick<ToolRequirementsSpec, 'sandbox'> {
  const { sandboxProfile: profile, scanDeny: deny, scanWarn: warn } = requires;
  if (profile === undefined && deny === undefined && warn === undefined) return {};
  const scan = deny === undefined && warn === undefined ? undefined : { ...(deny === undefined ? {} : { deny }), ...(warn === undefined ? {} : { warn }) };
  return { sandbox: { ...(profile === undefined ? {} : { profile }), ...(scan === undefined ? {} : { scan }) } };
}
