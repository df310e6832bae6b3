export { runSandboxed, type SandboxRunOptions } from './run.js';
export { probeSandbox, sandboxAvailability, type SandboxAvailability } from './availability.js';
export { cgroupSupport } from './cgroups.js';
export { seccompSupport, type SeccompSupport } from './seccomp.js';
export { BUILTIN_PROFILES, DEFAULT_PROFILE, type ResourceLimits, type SandboxProfile } from './profile.js';
export { resolveProfile, type ProfileResolution } from './profile-check.js';
export type { CgroupStatus, SandboxLanguage, SandboxOutcome, SandboxRefusal, SandboxRequest, SandboxResult } from './types.js';

import { runSandboxed } from './run.js';
/** The sandbox as one object: `sandbox.run({ language: 'python', code: 'print(1)' })`. */
export const sandbox = { run: runSandboxed } as const;
