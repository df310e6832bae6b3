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
 *
 * Entries combine on what they *write*: a field an entry leaves out takes no part, and the
 * default applies only when no matching entry wrote it. This matters for `ring`, whose default
 * depends on `read_only`: `'*': { min_trust: 100 }` beside `search: { read_only: true }` leaves
 * `search` at ring 3, instead of an unwritten ring 2 on the wildcard pulling it down.
 */

/** A privilege ring a tool can require: 1 (most privileged an agent can hold) to 3. */
export type ToolRing = 1 | 2 | 3;

/** The ring a tool needs when no entry names one: 2, or 3 for a tool marked `read_only`. */
export const DEFAULT_TOOL_RING: ToolRing = 2;
/** The ring a `read_only: true` tool needs unless its entry names another. */
export const READ_ONLY_TOOL_RING: ToolRing = 3;

/** What a call of one tool requires (the combined, strictest form of every matching entry). */
export interface ToolRequirements {
  /** `full`: a signed envelope, JWT bearer or SPIFFE proof; `session`: a session MAC suffices. */
  readonly verify: 'full' | 'session';
  /** The lowest live trust score (0-1000) an agent may call the tool with; 0 requires nothing. */
  readonly minTrust: number;
  /** The least privileged ring an agent may call the tool from (strictest wins: the lowest number). */
  readonly ring: ToolRing;
  /** The policy marks the tool read-only (every matching entry that says so agrees; one `false` wins). */
  readonly readOnly: boolean;
  /** `sandbox.profile`: the profile a sandbox tool runs under; undefined when no entry names one. */
  readonly sandboxProfile: PolicySandboxProfile | undefined;
  /** `sandbox.scan.deny`: findings at or above it deny the call; undefined (no entry says) means `critical`. */
  readonly scanDeny: ScanThreshold | undefined;
  /** `sandbox.scan.warn`: findings at or above it come back with the outcome; undefined means `high`. */
  readonly scanWarn: ScanThreshold | undefined;
}

/** Looser to stricter, for the sandbox fields (where both entries say, the stricter wins). */
const THRESHOLD_ORDER: readonly ScanThreshold[] = ['none', 'critical', 'high', 'medium', 'low'];
const PROFILE_ORDER: readonly PolicySandboxProfile[] = ['ring1', 'ring2', 'ring3'];

function stricterOf<T>(order: readonly T[]): (a: T | undefined, b: T | undefined) => T | undefined {
  return (a, b) => (a === undefined ? b : b === undefined ? a : order.indexOf(a) >= order.indexOf(b) ? a : b);
}

/** The requirements an entry (or several combined) wrote: a field absent was not written. */
export type WrittenRequirements = { -readonly [K in keyof ToolRequirements]?: ToolRequirements[K] };

/**
 * One line per field: its default (what a tool no entry names requires), how it is read from an
 * entry as written (undefined when not written), and which of two written values is the
 * stricter. Adding a requirement is one line here (and its key in the schema).
 */
const FIELDS: { readonly [K in keyof ToolRequirements]: { readonly none: ToolRequirements[K]; read(spec: ToolRequirementsSpec): ToolRequirements[K] | undefined; stricter(a: ToolRequirements[K], b: ToolRequirements[K]): ToolRequirements[K] } } = {
  verify: { none: 'session', read: (spec) => spec.verify, stricter: (a, b) => (a === 'full' || b === 'full' ? 'full' : 'session') },
  minTrust: { none: 0, read: (spec) => spec.min_trust, stricter: (a, b) => Math.max(a, b) },
  ring: { none: DEFAULT_TOOL_RING, read: (spec) => (spec.ring as ToolRing | undefined) ?? (spec.read_only === true ? READ_ONLY_TOOL_RING : undefined), stricter: (a, b) => (a <= b ? a : b) },
  // Quarantine lets read-only tools through: the stricter answer is "not read-only".
  readOnly: { none: false, read: (spec) => spec.read_only, stricter: (a, b) => a && b },
  sandboxProfile: { none: undefined, read: (spec) => spec.sandbox?.profile, stricter: stricterOf(PROFILE_ORDER) },
  scanDeny: { none: undefined, read: (spec) => spec.sandbox?.scan?.deny, stricter: stricterOf(THRESHOLD_ORDER) },
  scanWarn: { none: undefined, read: (spec) => spec.sandbox?.scan?.warn, stricter: stricterOf(THRESHOLD_ORDER) },
};

const KEYS = Object.keys(FIELDS) as (keyof ToolRequirements)[];

/** A tool that no `tools:` entry names requires nothing beyond the defaults (ring 2, not read-only). */
export const NO_REQUIREMENTS: ToolRequirements = Object.freeze(Object.fromEntries(KEYS.map((key) => [key, FIELDS[key].none])) as unknown as ToolRequirements);

/** What an entry as written requires, field by field (fields it leaves out are absent). */
export function writtenOf(spec: ToolRequirementsSpec): WrittenRequirements {
  const written: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = FIELDS[key].read(spec);
    if (value !== undefined) written[key] = value;
  }
  return written as WrittenRequirements;
}

/** `b` over `a`, field by field: a field only one wrote is kept, one both wrote is the stricter. */
export function strictestWritten(a: WrittenRequirements, b: WrittenRequirements): WrittenRequirements {
  const combined: Record<string, unknown> = {};
  for (const key of KEYS) {
    const x = a[key];
    const y = b[key];
    const value = x === undefined ? y : y === undefined ? x : (FIELDS[key].stricter as (p: unknown, q: unknown) => unknown)(x, y);
    if (value !== undefined) combined[key] = value;
  }
  return combined as WrittenRequirements;
}

/** Written requirements with the defaults for the fields nobody wrote. */
export function resolvedRequirements(written: WrittenRequirements): ToolRequirements {
  const resolved: Record<string, unknown> = {};
  for (const key of KEYS) resolved[key] = written[key] ?? FIELDS[key].none;
  return resolved as unknown as ToolRequirements;
}

/** An entry as written, with the defaults for the fields it leaves out. */
export function requirementsOf(spec: ToolRequirementsSpec): ToolRequirements {
  return resolvedRequirements(writtenOf(spec));
}

/** Two `tools:` maps (an `extends` parent's and its child's) as one, strictest-wins per key. */
export function mergeToolSpecs(parent: PolicyDocumentSpec['tools'], child: PolicyDocumentSpec['tools']): PolicyDocumentSpec['tools'] {
  if (!parent || !child) return parent ?? child;
  const merged: Record<string, ToolRequirementsSpec> = { ...parent };
  for (const [pattern, spec] of Object.entries(child)) {
    const earlier = merged[pattern];
    merged[pattern] = earlier ? specOf(strictestWritten(writtenOf(earlier), writtenOf(spec))) : spec;
  }
  return merged;
}

/** Written requirements back in the form an entry is written in (only the fields written). */
function specOf(written: WrittenRequirements): ToolRequirementsSpec {
  return {
    ...(written.verify !== undefined ? { verify: written.verify } : {}),
    ...(written.minTrust !== undefined ? { min_trust: written.minTrust } : {}),
    ...(written.ring !== undefined ? { ring: written.ring } : {}),
    ...(written.readOnly !== undefined ? { read_only: written.readOnly } : {}),
    ...sandboxSpecOf(written),
  };
}

/** The `sandbox:` part of an entry, written back from combined requirements (absent when nothing is set). */
function sandboxSpecOf(written: WrittenRequirements): Pick<ToolRequirementsSpec, 'sandbox'> {
  const { sandboxProfile: profile, scanDeny: deny, scanWarn: warn } = written;
  if (profile === undefined && deny === undefined && warn === undefined) return {};
  const scan = deny === undefined && warn === undefined ? undefined : { ...(deny === undefined ? {} : { deny }), ...(warn === undefined ? {} : { warn }) };
  return { sandbox: { ...(profile === undefined ? {} : { profile }), ...(scan === undefined ? {} : { scan }) } };
}
