import { describeError } from '../core/errors.js';
import type { Witness, WitnessStatement } from './witness.js';

/** How an {@link HttpWitness} calls its endpoint. */
export interface HttpWitnessOptions {
  /** Extra request headers (e.g. an authorization token for the witness service). */
  headers?: Record<string, string>;
  /** Give up on a request after this long (default 10,000 ms); a publish that times out fails. */
  timeoutMs?: number;
}

/**
 * A witness reached over HTTP: each statement is POSTed to `url` as a JSON body
 * (`content-type: application/json`), and any 2xx answer means it is held. A verifier GETs the
 * same URL and expects every statement so far, as JSON lines or one JSON array (see
 * docs/audit.md for the protocol, small enough to serve from a few lines of any web framework).
 */
export class HttpWitness implements Witness {
  /** The endpoint URL. */
  readonly location: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(url: string, options: HttpWitnessOptions = {}) {
    const parsed = parseHttpUrl(url);
    if (typeof parsed === 'string') throw new TypeError(parsed);
    this.location = parsed.href;
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** POSTs the statement; rejects on a network error, a timeout, or an answer that is not 2xx. */
  async publish(statement: WitnessStatement): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.location, {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'application/json' },
        body: JSON.stringify(statement),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Error(`witness ${this.location} could not be reached: ${describeError(error)}`, { cause: error });
    }
    await response.body?.cancel();
    if (!response.ok) throw new Error(`witness ${this.location} answered ${response.status} ${response.statusText}`.trimEnd());
  }
}

/** The URL if it is http(s), else what is wrong with it. */
export function parseHttpUrl(url: string): URL | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `witness URL ${JSON.stringify(url)} is not a URL; give an http:// or https:// address`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `witness URL ${JSON.stringify(url)} is not http:// or https://`;
  return parsed;
}
