import type { KeyObject } from 'node:crypto';
import { argsDigestOf } from './action-binding.js';
import { AgentKey } from './agent-key.js';
import { isFailure } from './did-key.js';
import { signEnvelope } from './envelope-sign.js';
import type { IdentityFailure } from './failure.js';
import type { IssuedSession, SessionProof } from './session.js';
import { SessionClient } from './session-client.js';
import { SESSION_HANDSHAKE } from './session-handshake.js';

/**
 * The agent side of per-action proofs: proves each call with a session MAC once a session is
 * open (opening it lazily with one signed envelope over the handshake), or with a full signed
 * envelope for the tools that need one (`full(tool)`, e.g. the policy's `verify: full` tools).
 * It is govern()'s and the adapters' `proof` option.
 */

/** A signed-envelope proof as an action carries it. */
export interface EnvelopeProofObject {
  readonly kind: 'envelope';
  readonly envelope: ReturnType<typeof signEnvelope>;
}

/** A session-MAC proof as an action carries it. */
export type SessionProofObject = { readonly kind: 'session' } & SessionProof;

/** How {@link agentProver} proves calls. */
export interface AgentProverOptions {
  /** The agent's key (an AgentKey, or its Ed25519 private KeyObject). */
  readonly key: AgentKey | KeyObject;
  /** What vouches for the key: its credential token, or the chain `[credential, ...delegation links]`. */
  readonly credential: string | readonly string[];
  /** The deployment's `identity.audience`. */
  readonly audience: string;
  /**
   * Opens a session from a handshake envelope (in process: `(proof) => governance.openSession(proof)`;
   * remotely, a call to the server). Without it every call carries a full envelope.
   */
  readonly openSession?: (proof: EnvelopeProofObject) => IssuedSession | IdentityFailure | Promise<IssuedSession | IdentityFailure>;
  /**
   * Tools proven with a full envelope even while a session is open: a predicate, or the policy
   * itself (anything with `requirementsFor(tool)`, e.g. `governance.kernel().evaluator`), whose
   * `tools: { <tool>: { verify: full } }` entries then decide. Default: none.
   */
  readonly full?: ((tool: string) => boolean) | { requirementsFor(tool: string): { readonly verify: string } };
  /** Open a new session this long before the current one ends (default 5,000 ms). */
  readonly renewBeforeMs?: number;
  /** The clock sessions are timed by (default the wall clock). */
  readonly clock?: () => number;
}

/** A proof maker for govern() and the adapters, plus control of its session. */
export interface AgentProver {
  /** The proof for one call of `tool` with `args` (as the kernel will see them). */
  (args: unknown, tool: string): Promise<EnvelopeProofObject | SessionProofObject>;
  /** Forgets the open session (after a revocation or a refusal of it): the next call opens another. */
  endSession(): void;
  /** Whether a session is open now. */
  readonly hasSession: boolean;
}

/** A prover for one agent; see {@link AgentProverOptions}. Concurrent first calls share one handshake. */
export function agentProver(options: AgentProverOptions): AgentProver {
  const privateKey = options.key instanceof AgentKey ? options.key.privateKey : options.key;
  const credential = typeof options.credential === 'string' ? options.credential : [...options.credential];
  const clock = options.clock ?? Date.now;
  const renewBeforeMs = options.renewBeforeMs ?? 5_000;
  let client: SessionClient | null = null;
  let opening: Promise<SessionClient | null> | null = null;
  const full = options.full;
  const needsFull = (tool: string): boolean =>
    full === undefined ? false : typeof full === 'function' ? full(tool) === true : full.requirementsFor(tool).verify === 'full';

  const envelopeFor = (tool: string, stage: string, argsDigest: string): EnvelopeProofObject => ({
    kind: 'envelope',
    envelope: signEnvelope(privateKey, { tool, stage, argsDigest }, { aud: options.audience, credential }),
  });

  const session = async (): Promise<SessionClient | null> => {
    if (client && clock() < client.expiresAt - renewBeforeMs) return client;
    const open = options.openSession;
    if (!open) return null;
    opening ??= (async () => {
      try {
        const issued = await open(envelopeFor(SESSION_HANDSHAKE.tool, SESSION_HANDSHAKE.stage, SESSION_HANDSHAKE.argsDigest));
        client = isFailure(issued) ? null : new SessionClient(issued);
      } catch {
        client = null; // the handshake failed: this call falls back to a full envelope
      } finally {
        opening = null;
      }
      return client;
    })();
    return opening;
  };

  const prove = async (args: unknown, tool: string): Promise<EnvelopeProofObject | SessionProofObject> => {
    const argsDigest = argsDigestOf(args);
    if (!needsFull(tool)) {
      const open = await session();
      if (open) return { kind: 'session', ...open.prove({ tool, stage: 'pre_tool', argsDigest }) };
    }
    return envelopeFor(tool, 'pre_tool', argsDigest);
  };
  return Object.defineProperties(prove, {
    endSession: { value: () => void (client = null) },
    hasSession: { get: () => client !== null && clock() < client.expiresAt },
  }) as AgentProver;
}
