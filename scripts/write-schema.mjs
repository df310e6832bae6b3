// Writes schema/policy.schema.json from the zod schema the loader validates with, so editors
// and the loader can never disagree. Runs as part of `npm run build`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { documentSchema } from '../dist/policy/document/schema.js';

const schema = {
  ...z.toJSONSchema(documentSchema, { io: 'input', unrepresentable: 'any' }),
  $id: 'urn:agent-governance-toolkit:policy:v1',
  title: 'Agent governance policy document (governance.toolkit/v1)',
};
mkdirSync(new URL('../schema/', import.meta.url), { recursive: true });
writeFileSync(new URL('../schema/policy.schema.json', import.meta.url), JSON.stringify(schema, null, 2) + '\n');
