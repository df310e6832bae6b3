import { hash } from 'node:crypto';
import { canonicalJson, quoteJson } from './canonical-json.js';
import type { Stage } from './types.js';

/** What an action identity is computed over: the stage, who, which tool and action, and the stage's subject. */
export interface IdentityParts {
  stage: Stage;
  tool: string | null;
  action: string | null;
  agent: string;
  /** The stage's subject: the arguments at pre_tool, the output at post_tool, the content elsewhere. */
  subject: unknown;
}

/**
 * The action identity: SHA-256 (hex) of the RFC 8785 canonical JSON of
 * `{ action, agent, stage, subject, tool }`. Two requests have the same identity exactly when they
 * ask the same thing of the same tool for the same agent at the same point, so an approval given
 * for one identity cannot be spent on anything else. `subject` must be JSON data (the kernel's
 * snapshot is). `subjectJson`, when the caller already has the subject's canonical JSON, saves
 * serializing it again.
 */
export function actionIdentity(parts: IdentityParts, subjectJson?: string): string {
  const text =
    '{"action":' +
    (parts.action === null ? 'null' : quoteJson(parts.action)) +
    ',"agent":' +
    quoteJson(parts.agent) +
    ',"stage":"' +
    parts.stage +
    '","subject":' +
    (subjectJson ?? canonicalJson(parts.subject ?? null)) +
    ',"tool":' +
    (parts.tool === null ? 'null' : quoteJson(parts.tool)) +
    '}';
  return hash('sha256', text, 'hex');
}
