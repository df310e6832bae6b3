import { argsDigestOf, type ProvenAction } from './action-binding.js';

/**
 * The session handshake: the one action an agent signs to open a session. A signed envelope
 * over exactly this action (tool `agt.session.open`, stage `agent_startup`, arguments `{}`),
 * addressed to the deployment's audience, is verified in full (signature, credential chain,
 * revocation, audience, freshness, nonce) and answered with a session. Nothing else opens one:
 * the envelope's nonce is spent in the same replay cache as every other envelope, and a session
 * MAC or bearer token is refused.
 */
export const SESSION_HANDSHAKE: ProvenAction = Object.freeze({ tool: 'agt.session.open', stage: 'agent_startup', argsDigest: argsDigestOf({}) });
