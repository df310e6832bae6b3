import { govern } from 'agent-governance-toolkit';
import { AuditLog } from 'agent-governance-toolkit/audit';

const audit = new AuditLog();
export const search = govern(async (query: string) => query.length, { policy: 'policies/', audit });
