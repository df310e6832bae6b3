import { isAbsolute, normalize } from 'node:path';
import { BUILTIN_PROFILES, DEFAULT_PROFILE, type SandboxProfile } from './profile.js';
import type { SandboxRefusal } from './types.js';

/**
 * Host paths no profile may expose, even read-only: credentials, other users' homes and the host's
 * view of processes and devices. A profile naming one of them, or a parent of one, is refused.
 */
const NEVER_EXPOSED = ['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/ssh', '/root', '/home', '/proc', '/sys', '/dev', '/run', '/var/run'];

/** A resolved profile, or why it cannot be used. */
export type ProfileResolution = { ok: true; profile: SandboxProfile } | { ok: false; refusal: SandboxRefusal };

/** Looks up a built-in profile by name, or checks a caller's profile object field by field. */
export function resolveProfile(profile: string | SandboxProfile | undefined): ProfileResolution {
  if (profile === undefined || typeof profile === 'string') {
    const name = profile ?? DEFAULT_PROFILE;
    const found = BUILTIN_PROFILES[name];
    if (found) return { ok: true, profile: found };
    return refuse(`unknown sandbox profile '${name}'`, `use one of ${Object.keys(BUILTIN_PROFILES).join(', ')}, or pass a profile object`);
  }
  for (const path of profile.readOnlyPaths) {
    if (typeof path !== 'string' || !isAbsolute(path) || normalize(path) !== path) {
      return refuse(`profile '${profile.name}': readOnlyPaths entry ${JSON.stringify(path)} is not a normalized absolute path`, 'write it as an absolute path without "..", "." or a trailing slash');
    }
    const secret = NEVER_EXPOSED.find((p) => path === '/' || path === p || p.startsWith(path + '/') || path.startsWith(p + '/'));
    if (secret) return refuse(`profile '${profile.name}': readOnlyPaths entry '${path}' would expose ${secret === path ? path : secret}`, 'bind a narrower path that holds no credentials and no host state');
  }
  const numbers: Array<[string, number]> = [
    ['maxOutputBytes', profile.maxOutputBytes],
    ['tmpfsBytes', profile.tmpfsBytes],
    ['defaultTimeoutMs', profile.defaultTimeoutMs],
    ['maxTimeoutMs', profile.maxTimeoutMs],
    ...Object.entries(profile.limits).map(([k, v]): [string, number] => [`limits.${k}`, v]),
  ];
  for (const [field, value] of numbers) {
    if (!Number.isSafeInteger(value) || value <= 0) return refuse(`profile '${profile.name}': ${field} is ${String(value)}`, `set ${field} to a positive integer`);
  }
  return { ok: true, profile };
}

function refuse(reason: string, fix: string): ProfileResolution {
  return { ok: false, refusal: { outcome: 'refused', code: 'sandbox:bad_profile', reason, fix } };
}
