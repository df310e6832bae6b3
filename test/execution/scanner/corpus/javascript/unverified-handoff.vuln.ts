import { Agent } from '@openai/agents';

const billing = new Agent({ name: 'billing', instructions: 'Handle billing.' });
export const triage = new Agent({ name: 'triage', instructions: 'Route the task.', handoffs: [billing] });
