import { quoteJson } from '../core/canonical-json.js';
import type { ProvenAction } from './action-binding.js';

/**
 * What a session MAC covers: the canonical JSON (RFC 8785) of
 * `{ argsDigest, aud, counter, did, stage, tool }`, built directly in that sorted key order so
 * neither side runs a generic serializer on the hot path. Shared by the agent (making the MAC)
 * and the verifier (checking it), so both hash the same bytes by construction.
 */
export function sessionMacInput(action: ProvenAction, did: string, counter: number, aud: string): string {
  return (
    '{"argsDigest":' + quoteJson(action.argsDigest) +
    ',"aud":' + quoteJson(aud) +
    ',"counter":' + String(counter) +
    ',"did":' + quoteJson(did) +
    ',"stage":' + quoteJson(action.stage) +
    ',"tool":' + quoteJson(action.tool) +
    '}'
  );
}
