import { govern } from 'agent-governance-toolkit';

export const search = govern(async (query: string) => query.length, { policy: 'policies/', audit: false });
export const lookup = govern(async (id: string) => id, { policy: 'policies/' });
