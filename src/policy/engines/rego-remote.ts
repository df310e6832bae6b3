import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { NormalizedRequest } from '../../core/types.js';
import { DEFAULT_REMOTE_TIMEOUT_MS, type RegoEngineSpec } from '../document/schema.js';
import { engineFailure, type EngineOutcome, type RemoteEngine } from '../compile/engine.js';
import type { EngineLoadContext } from './load-context.js';
import { normalizeQuery, readRegoVerdict, type RegoVerdictForm } from './rego-verdict.js';

/**
 * Rego on a remote OPA server, through its REST Data API: `POST /v1/data/<query>` with
 * `{ "input": <request> }`, answer `{ "result": <value> }`. Connections are kept alive (one
 * round trip per decision, no handshake), and every call has a deadline covering connect,
 * response and body. Fail closed on each fault: a timeout (`opa_timeout`), a connection that
 * fails (`opa_unreachable`), a status other than 2xx (`opa_status`), a body that is not the Data
 * API's JSON (`opa_malformed`), an undefined result (`rego_undefined`) or a value of the wrong
 * shape (`policy_output_invalid`) each make the decision a deny that says so.
 */

/** Largest answer read from the server; more is a malformed answer. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export class RemoteOpaEngine implements RemoteEngine {
  readonly kind = 'rego' as const;
  readonly remote = true as const;
  readonly label: string;
  /** The address and query, folded into the policy revision (the server's policy is its own). */
  readonly digest: string;
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  private readonly headers: Record<string, string>;

  constructor(
    readonly url: URL,
    private readonly query: string,
    private readonly form: RegoVerdictForm,
    readonly timeoutMs: number,
    headers: Record<string, string> = {},
  ) {
    this.label = `rego:${query}`;
    this.client = url.protocol === 'https:' ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: 64 });
    this.headers = { ...headers, 'content-type': 'application/json' };
    this.digest = createHash('sha256').update(`${url.href}\u0000${query}\u0000${this.form}`).digest('hex');
  }

  /** Builds the engine from `engines.rego` with `remote`; reports and returns null when the query or URL is unusable. */
  static fromSpec(spec: RegoEngineSpec, context: EngineLoadContext): RemoteOpaEngine | null {
    const remote = spec.remote;
    if (!remote) return null;
    const query = normalizeQuery(spec.query);
    if (query === null) {
      context.atKey(['engines', 'rego', 'query'], 'invalid-engine', `'${spec.query}' is not a rule path`, "write it as 'package/path/rule', e.g. 'agt/authz/allow'");
      return null;
    }
    let base: URL;
    try {
      base = new URL(remote.url);
    } catch {
      context.atKey(['engines', 'rego', 'remote', 'url'], 'invalid-engine', `'${remote.url}' is not a URL`);
      return null;
    }
    const url = new URL(`v1/data/${query}`, base.href.endsWith('/') ? base : new URL(`${base.href}/`));
    return new RemoteOpaEngine(url, query, spec.verdict ?? 'allow', remote.timeout_ms ?? DEFAULT_REMOTE_TIMEOUT_MS, remote.headers);
  }

  decideAsync(request: NormalizedRequest): Promise<EngineOutcome> {
    return new Promise<EngineOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: EngineOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const body = JSON.stringify({ input: request });
      const headers = { ...this.headers, 'content-length': Buffer.byteLength(body) };
      const call = this.client.request(this.url, { method: 'POST', agent: this.agent, headers }, (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            settle(engineFailure('opa_malformed', `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => settle(engineFailure('opa_unreachable', `the answer was cut off: ${error.message}`)));
        response.on('end', () => {
          if (status < 200 || status > 299) {
            settle(engineFailure('opa_status', `OPA answered HTTP ${status}${statusDetail(chunks)}`));
            return;
          }
          settle(this.read(Buffer.concat(chunks)));
        });
      });
      // Sockets are not unref'd: a pending call keeps the process alive until it settles.
      const timer = setTimeout(() => {
        settle(engineFailure('opa_timeout', `OPA did not answer within ${this.timeoutMs} ms`));
        call.destroy();
      }, this.timeoutMs);
      call.on('error', (error: NodeJS.ErrnoException) => settle(engineFailure('opa_unreachable', `${this.url.host}: ${error.code ?? error.message}`)));
      call.end(body);
    });
  }

  /** The Data API's body → a verdict: `{ "result": value }`, or `{}` when the rule is undefined. */
  private read(body: Buffer): EngineOutcome {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return engineFailure('opa_malformed', `the answer is not JSON (${body.length} bytes)`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return engineFailure('opa_malformed', 'the answer is not a JSON object');
    return readRegoVerdict((parsed as { result?: unknown }).result, this.form, this.query);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** OPA's own error message from a non-2xx body, when it has one. */
function statusDetail(chunks: readonly Buffer[]): string {
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: unknown };
    return typeof parsed.message === 'string' ? `: ${parsed.message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}
