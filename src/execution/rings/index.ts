export { agentRingOf, DEFAULT_AGENT_RING, LEAST_PRIVILEGED_RING, MOST_PRIVILEGED_AGENT_RING, type AgentRing } from './agent-ring.js';
export { DEFAULT_ELEVATION_MS, ELEVATE_TOOL, elevationProblem, MAX_ELEVATION_MS, MAX_ELEVATION_REASON, MAX_ELEVATION_STEPS, readElevationAsk, type ElevationAsk } from './elevation-rules.js';
export { delegatorRings, delegatorsOf, effectiveRing, type DelegatorRing } from './effective-ring.js';
