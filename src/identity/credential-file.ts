import { identityFailure, type IdentityFailure } from './failure.js';
import { DEFAULT_MAX_TOKEN_BYTES } from './jws.js';
import { DEFAULT_MAX_DELEGATION_DEPTH, type CredentialChain } from './delegation.js';

/**
 * The credential file (`.cred`): a {@link CredentialChain} as text, one compact JWT per line, the
 * issuer-signed credential first and each delegation link after its parent. A direct credential
 * is a one-line file; `agt credential delegate` appends one line. Text, so `head -1`, `wc -l` and
 * a JWT debugger inspect it; no other syntax (no comments, no JSON), so there is one way to read it.
 *
 * Reading checks the shape only (line count, each line a bounded three-part base64url token):
 * signatures, issuers and attenuation are the verifier's job, at every action.
 */

/** Most lines a credential file may hold: the credential plus the deepest chain the verifier accepts. */
export const MAX_CREDENTIAL_FILE_LINES = 1 + DEFAULT_MAX_DELEGATION_DEPTH;

const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A chain as the text of a credential file: one token per line, newline-terminated. */
export function formatCredentialFile(chain: CredentialChain): string {
  return chain.map((token) => `${token}\n`).join('');
}

/**
 * The chain a credential file's text holds, or a `malformed` / `too_large` / `missing` failure
 * naming `where` and the line (never the line's content: a token is not echoed). Blank lines
 * and a trailing newline are ignored; CRLF line ends are accepted.
 */
export function parseCredentialFile(text: string, where: string): CredentialChain | IdentityFailure {
  const lines = text.split(/\r?\n/);
  const chain: string[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (chain.length === MAX_CREDENTIAL_FILE_LINES) {
      return identityFailure('too_large', `${where} holds more than ${MAX_CREDENTIAL_FILE_LINES} tokens (a credential and at most ${DEFAULT_MAX_DELEGATION_DEPTH} delegation links)`);
    }
    if (line.length > DEFAULT_MAX_TOKEN_BYTES) return identityFailure('too_large', `${where}:${i + 1}: the token is longer than ${DEFAULT_MAX_TOKEN_BYTES} characters`);
    if (!COMPACT_JWT.test(line)) {
      return identityFailure('malformed', `${where}:${i + 1}: not a compact JWT; a credential file holds one token per line, as written by 'agt credential issue' or 'agt credential delegate'`);
    }
    chain.push(line);
  }
  if (chain.length === 0) return identityFailure('missing', `${where} holds no credential; write one with 'agt credential issue'`);
  return chain;
}

/**
 * The credential as a signed envelope carries it: the token alone for a direct credential (as
 * `signEnvelope` callers pass it), the whole chain for a delegated one.
 */
export function envelopeCredentialOf(chain: CredentialChain): string | CredentialChain {
  return chain.length === 1 ? (chain[0] as string) : chain;
}

/** The chain an envelope's credential stands for: a token is a one-token chain; anything else is returned as is, for the chain verifier to refuse. */
export function chainOfEnvelopeCredential(credential: unknown): unknown {
  return typeof credential === 'string' ? [credential] : credential;
}

/** What the end of a chain grants, as its tokens say (NOT verified). */
export interface UnverifiedAuthority {
  readonly subject: string;
  readonly issuer: string;
  readonly jti: string;
  readonly ring: number;
  readonly roles: readonly string[];
  readonly tools: readonly string[];
  readonly trust: number;
  /** Seconds since the epoch. */
  readonly exp: number;
}

/**
 * The authority at the end of `chain` as its tokens claim it, decoded WITHOUT verifying
 * anything (a link without `roles` inherits its parent's): for showing what a file holds and
 * for refusing a grant before signing it, never for deciding. Null when a token's claims are
 * not readable as such.
 */
export function unverifiedAuthorityOf(chain: CredentialChain): UnverifiedAuthority | null {
  let roles: readonly string[] = [];
  let last: UnverifiedAuthority | null = null;
  for (const token of chain) {
    const c = unverifiedClaimsOf(token);
    if (c === null) return null;
    if (Array.isArray(c.roles) && c.roles.every((r) => typeof r === 'string')) roles = c.roles as string[];
    const { sub, iss, jti, ring, tools, trust, exp } = c;
    if (typeof sub !== 'string' || typeof iss !== 'string' || typeof jti !== 'string' || !Number.isInteger(ring) || !Number.isInteger(trust) || !Number.isInteger(exp)) return null;
    if (!Array.isArray(tools) || !tools.every((t) => typeof t === 'string')) return null;
    last = { subject: sub, issuer: iss, jti, ring: ring as number, roles, tools: tools as string[], trust: trust as number, exp: exp as number };
  }
  return last;
}

function unverifiedClaimsOf(token: string): Readonly<Record<string, unknown>> | null {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
