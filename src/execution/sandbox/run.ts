import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { randomInt } from 'node:crypto';
import { sandboxAvailability, prlimitPath } from './availability.js';
import { bwrapArguments, FIRST_FILE_FD, SANDBOX_WORKDIR, type WorkdirSource } from './bwrap-args.js';
import { RunCgroup } from './run-cgroup.js';
import { OutputBuffer } from './output-buffer.js';
import { resolveProfile } from './profile-check.js';
import { seccompProgram } from './seccomp.js';
import { checkRequest } from './request-check.js';
import type { CgroupStatus, SandboxOutcome, SandboxRefusal, SandboxRequest, SandboxResult } from './types.js';

/** Options of one run that are not part of what the agent asked for. */
export interface SandboxRunOptions {
  /** Aborting it SIGKILLs the run's whole process group at once (the kill switch's hook). */
  signal?: AbortSignal;
  /** Called with each chunk of standard output as it arrives (the result still holds it, capped). */
  onStdout?: (chunk: Buffer) => void;
}

/**
 * Sandboxed host uids are drawn from this range, one per run, when the host runs as root: the
 * process limit (RLIMIT_NPROC) counts per user and is not enforced for root, so each run gets a
 * user of its own that no other process shares and that owns nothing on the host.
 */
const UID_RANGE = { from: 1_900_000_000, size: 100_000_000 };

/** The environment every sandboxed process starts from; the request's variables are added to it. */
const BASE_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: SANDBOX_WORKDIR, TMPDIR: '/tmp', LANG: 'C.UTF-8' };

/**
 * Runs code or a command in a bubblewrap sandbox and reports how it ended. Never throws for bad
 * input, a missing bubblewrap or a process that misbehaves: those are refusals or results.
 */
export async function runSandboxed(request: SandboxRequest, options: SandboxRunOptions = {}): Promise<SandboxOutcome> {
  const availability = sandboxAvailability();
  if (!availability.available) return refusal('sandbox:unavailable', availability.reason, availability.fix);
  const prlimit = prlimitPath();
  if (!prlimit) return refusal('sandbox:unavailable', 'prlimit (util-linux) is not installed', 'install util-linux: `apt-get install -y util-linux`');
  const resolved = resolveProfile(request.profile);
  if (!resolved.ok) return resolved.refusal;
  const profile = resolved.profile;
  const checked = checkRequest(request, profile);
  if (!checked.ok) return checked.refusal;
  const { argv, env, files, timeoutMs } = checked.request;

  const root = process.getuid?.() === 0;
  let uid = root ? UID_RANGE.from + randomInt(UID_RANGE.size) : undefined;
  let workdir: WorkdirSource = { kind: 'tmpfs', files: files.map(([path]) => path) };
  if (request.workdir !== undefined) {
    if (!existsSync(request.workdir) || !statSync(request.workdir).isDirectory()) return refusal('sandbox:bad_request', `workdir ${request.workdir} is not a directory`, 'pass an existing directory, or none for a fresh private one');
    if (request.code !== undefined || Object.keys(request.files ?? {}).length > 0) {
      return refusal('sandbox:bad_request', '`code` and `files` cannot be written into an operator workdir', 'put them in the directory yourself and pass a `command`, or drop `workdir`');
    }
    // The sandbox runs as the directory's owner, so it can write there; never as root.
    const owner = statSync(request.workdir).uid;
    if (root && owner !== 0) uid = owner;
    workdir = { kind: 'host', path: request.workdir };
  }

  const fileCount = workdir.kind === 'tmpfs' ? files.length : 0;
  const seccomp = seccompProgram();
  const statusFd = FIRST_FILE_FD + fileCount;
  const bwrapArgs = bwrapArguments({ profile, workdir, env: { ...BASE_ENV, ...env }, argv, prlimit, statusFd, ...(seccomp ? { seccompFd: statusFd + 1 } : {}) });
  // As root, drop to the run's own uid before bwrap: bwrap then builds an unprivileged user namespace.
  const [command, commandArgs] = uid === undefined
    ? [availability.bwrap, bwrapArgs]
    : ['/usr/bin/setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', availability.bwrap, ...bwrapArgs]];
  const contents = workdir.kind === 'tmpfs' ? files.map(([, content]) => content) : [];
  const cgroup = RunCgroup.create({ memoryBytes: profile.limits.memoryBytes, pids: profile.limits.processes });
  const [file, args] = cgroup instanceof RunCgroup ? launchedInto(cgroup, command, commandArgs) : [command, commandArgs];
  const placed = cgroup instanceof RunCgroup ? cgroup : { applied: false as const, reason: cgroup.failed };
  return execute(file, args, { request, contents, seccomp, timeoutMs, maxOutputBytes: profile.maxOutputBytes, profile: profile.name, signal: options.signal, onStdout: options.onStdout, cgroup: placed });
}

/**
 * The launch wrapped so the run is born inside its cgroup: a shell writes its own pid into each
 * `cgroup.procs` and only then execs the command, so no process of the run exists outside the
 * limits even for an instant (placing the child after spawn would race its first fork). A write
 * that fails ends the launch with status 125 before anything runs.
 */
function launchedInto(cgroup: RunCgroup, command: string, args: readonly string[]): [string, string[]] {
  const procs = cgroup.procsFiles;
  const writes = procs.map((_, index) => `echo $$ > "$${index + 1}" || exit 125`).join('; ');
  return ['/bin/sh', ['-c', `${writes}; shift ${procs.length}; exec "$@"`, 'agt-sandbox-launch', ...procs, command, ...args]];
}

interface ExecuteOptions {
  request: SandboxRequest;
  /** The request files' contents, one per descriptor from FIRST_FILE_FD on. */
  contents: ReadonlyArray<string | Uint8Array>;
  /** The compiled seccomp filter, written to the descriptor after the status pipe. */
  seccomp: Buffer | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  profile: string;
  signal: AbortSignal | undefined;
  onStdout: ((chunk: Buffer) => void) | undefined;
  /** The run's own cgroup, or why it has none. */
  cgroup: RunCgroup | CgroupStatus;
}

function execute(file: string, args: string[], options: ExecuteOptions): Promise<SandboxOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const stdout = new OutputBuffer(options.maxOutputBytes);
    const stderr = new OutputBuffer(options.maxOutputBytes);
    // detached: the run leads a process group of its own, so one kill reaches bwrap and its
    // PID namespace's init, whose death takes every process in the namespace with it.
    // 0-2 stdio, then one pipe per request file, then bwrap's status pipe, then the seccomp filter.
    const statusFd = FIRST_FILE_FD + options.contents.length;
    const stdio: Array<'pipe'> = Array.from({ length: statusFd + (options.seccomp ? 2 : 1) }, () => 'pipe');
    const child = spawn(file, args, { detached: true, stdio, env: { PATH: '/usr/bin:/bin' } });
    // bwrap copies each descriptor into the work dir's tmpfs before the command starts.
    options.contents.forEach((content, index) => {
      const pipe = child.stdio[FIRST_FILE_FD + index] as Writable | null;
      pipe?.on('error', () => undefined); // bwrap gone before reading it: the run's result says why
      pipe?.end(content);
    });
    let timedOut = false;
    const cgroup = options.cgroup instanceof RunCgroup ? options.cgroup : undefined;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone: nothing left to kill.
      }
      cgroup?.kill();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = (): void => killGroup();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) killGroup();
    if (options.seccomp) {
      const pipe = child.stdio[statusFd + 1] as Writable;
      pipe.on('error', () => undefined);
      pipe.end(options.seccomp);
    }
    // bwrap reports `{"exit-code": N}` when the command it started has ended; a run that ends
    // without it (and was not killed by us) never got past building the sandbox.
    let status = '';
    (child.stdio[statusFd] as Readable).on('data', (chunk: Buffer) => {
      if (status.length < 4096) status += chunk.toString('utf8');
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      options.onStdout?.(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin!.on('error', () => undefined); // a process that exits without reading its input is not an error
    child.stdin!.end(options.request.stdin ?? '');
    child.on('error', (error) => {
      clearTimeout(timer);
      void cgroup?.removeWhenEmpty();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(refusal('sandbox:setup_failed', `${file} could not be started: ${error.message}`, 'run `agt doctor` to check the sandbox'));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      killGroup(); // a straggler that escaped the namespace's teardown has nowhere to hide
      const cgroupStatus = cgroup ? cgroup.status() : (options.cgroup as CgroupStatus);
      void cgroup?.removeWhenEmpty();
      // Killed by the OOM killer before bwrap could report: the run's own memory use ended it.
      const oomKilled = cgroupStatus.applied && cgroupStatus.oomKilled === true;
      if (!status.includes('"exit-code"') && !timedOut && !options.signal?.aborted && !oomKilled) {
        const why = stderr.text().trim() || `${file} exited with ${String(code ?? signal)}`;
        resolve(refusal('sandbox:setup_failed', `the sandbox could not be built: ${why}`, 'run `agt doctor`; check that bubblewrap can create namespaces and that the profile\'s paths exist'));
        return;
      }
      const result: SandboxResult = {
        outcome: 'ran',
        ...exitStatus(code, signal),
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        profile: options.profile,
        cgroup: cgroupStatus,
      };
      resolve(result);
    });
  });
}

/** bwrap reports a command killed by signal N as exit status 128 + N; name the signal. */
function exitStatus(code: number | null, signal: NodeJS.Signals | null): { exitCode: number | null; signal: string | null } {
  if (signal !== null) return { exitCode: null, signal };
  if (code !== null && code > 128 && code <= 128 + 64) {
    const name = Object.entries(osConstants.signals).find(([, number]) => number === code - 128)?.[0];
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode: code, signal: null };
}

function refusal(code: string, reason: string, fix: string): SandboxRefusal {
  return { outcome: 'refused', code, reason, fix };
}
