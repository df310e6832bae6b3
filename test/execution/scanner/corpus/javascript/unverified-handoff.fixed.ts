import { Agent } from '@openai/agents';
import { openHandoff } from 'agent-governance-toolkit/identity';

const billing = new Agent({ name: 'billing', instructions: 'Handle billing.' });
export const triage = new Agent({ name: 'triage', instructions: 'Route the task.', handoffs: [billing] });
export const receive = openHandoff;
