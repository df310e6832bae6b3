import { quoteJson } from '../core/canonical-json.js';
import type { ProvenAction } from './action-binding.js';

/**
 * What a session MAC covers: the canonical JSON (RFC 8785) of
 * `{ argsDigest, aud, counter, did, stage, tool }`, built directly in that sorted key order so
 * neither side runs a generic serializer on the hot path. Shared by the agent (making the MAC)
 * and the verifier (checking it), so both hash the same bytes by construction.
 */
export function sessionMacInput(action: ProvenAction, did: string, counter: number, aud: string): string {
  return sessionMacInputWith(sessionMacParts(did, aud), action, counter);
}

/** The parts of a session's MAC input that never change within the session (its DID and audience), quoted once. */
export interface SessionMacParts {
  /** `,"aud":<aud>,"counter":` */
  readonly beforeCounter: string;
  /** `,"did":<did>,"stage":` */
  readonly beforeStage: string;
}

/** Quotes a session's DID and audience once, for {@link sessionMacInputWith}. */
export function sessionMacParts(did: string, aud: string): SessionMacParts {
  return { beforeCounter: ',"aud":' + quoteJson(aud) + ',"counter":', beforeStage: ',"did":' + quoteJson(did) + ',"stage":' };
}

/** {@link sessionMacInput} with the session's constant parts quoted beforehand: what each action adds. */
export function sessionMacInputWith(parts: SessionMacParts, action: ProvenAction, counter: number): string {
  return '{"argsDigest":' + quoteJson(action.argsDigest) + parts.beforeCounter + String(counter) + parts.beforeStage + quoteJson(action.stage) + ',"tool":' + quoteJson(action.tool) + '}';
}
