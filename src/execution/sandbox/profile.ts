/**
 * Resource limits applied inside the sandbox with `prlimit` (hard and soft alike, so the process
 * cannot raise them again).
 */
export interface ResourceLimits {
  /** RLIMIT_CPU: CPU seconds before SIGXCPU, then SIGKILL. */
  cpuSeconds: number;
  /** RLIMIT_AS: virtual address space in bytes (the memory bound where no cgroup is available). */
  addressSpaceBytes: number;
  /** RLIMIT_NPROC, and the cgroup's pids.max where one is applied: processes and threads (the fork-bomb bound). */
  processes: number;
  /**
   * The cgroup memory limit where one is applied: resident memory, including the pages of the
   * private tmpfs mounts the run writes, before the kernel's OOM killer ends it.
   */
  memoryBytes: number;
  /** RLIMIT_FSIZE: the largest file the process may write. */
  fileSizeBytes: number;
  /** RLIMIT_NOFILE: open file descriptors. */
  openFiles: number;
}

/**
 * What a sandboxed process may see and use. Everything not listed is absent: the root is empty
 * but for the system directories, the work dir and a private /tmp.
 */
export interface SandboxProfile {
  name: string;
  /** Host paths bound read-only at the same place, beyond the base system (/usr and its links). */
  readOnlyPaths: readonly string[];
  /** Share the host's network namespace. False: a namespace of its own with only loopback. */
  network: boolean;
  limits: ResourceLimits;
  /** Size of each private tmpfs (the work dir and /tmp): bounds what the code can store, in memory. */
  tmpfsBytes: number;
  /** Per stream: bytes of stdout and of stderr kept; the rest is discarded and flagged. */
  maxOutputBytes: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
}

const baseLimits: ResourceLimits = {
  cpuSeconds: 10,
  addressSpaceBytes: 1024 * 1024 * 1024,
  processes: 64,
  memoryBytes: 512 * 1024 * 1024,
  fileSizeBytes: 16 * 1024 * 1024,
  openFiles: 256,
};

/**
 * The built-in profiles, one per ring an agent can hold. Ring 3 (untrusted code) sees nothing but
 * the system and its work dir; ring 2 also gets a few harmless read-only system files; ring 1 may
 * use the network. There is no ring 0 profile: agents never hold ring 0.
 */
export const BUILTIN_PROFILES: Readonly<Record<string, SandboxProfile>> = {
  ring3: {
    name: 'ring3',
    readOnlyPaths: [],
    network: false,
    limits: baseLimits,
    tmpfsBytes: 64 * 1024 * 1024,
    maxOutputBytes: 1024 * 1024,
    defaultTimeoutMs: 10_000,
    maxTimeoutMs: 60_000,
  },
  ring2: {
    name: 'ring2',
    readOnlyPaths: ['/etc/ssl/certs', '/etc/localtime', '/usr/share/zoneinfo'],
    network: false,
    limits: { ...baseLimits, cpuSeconds: 60, processes: 128, memoryBytes: 1024 * 1024 * 1024 },
    tmpfsBytes: 256 * 1024 * 1024,
    maxOutputBytes: 4 * 1024 * 1024,
    defaultTimeoutMs: 30_000,
    maxTimeoutMs: 300_000,
  },
  ring1: {
    name: 'ring1',
    readOnlyPaths: ['/etc/ssl/certs', '/etc/localtime', '/usr/share/zoneinfo', '/etc/resolv.conf', '/etc/hosts'],
    network: true,
    limits: { ...baseLimits, cpuSeconds: 300, processes: 256, addressSpaceBytes: 4 * 1024 * 1024 * 1024, memoryBytes: 4 * 1024 * 1024 * 1024 },
    tmpfsBytes: 1024 * 1024 * 1024,
    maxOutputBytes: 16 * 1024 * 1024,
    defaultTimeoutMs: 60_000,
    maxTimeoutMs: 3_600_000,
  },
};

/** The profile a request without one gets: the least privileged. */
export const DEFAULT_PROFILE = 'ring3';
