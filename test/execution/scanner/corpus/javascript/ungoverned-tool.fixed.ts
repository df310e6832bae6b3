import { tool } from 'ai';
import { z } from 'zod';
import { govern } from 'agent-governance-toolkit';
import { AuditLog } from 'agent-governance-toolkit/audit';

const remove = govern(async ({ path }: { path: string }) => `deleted ${path}`, { policy: 'policies/', audit: new AuditLog() });

export const deleteFile = tool({
  description: 'Delete a file',
  inputSchema: z.object({ path: z.string() }),
  execute: remove,
});
