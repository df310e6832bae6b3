import type { AuditEntry } from '../../audit/entry.js';

/** A saga the audit log shows begun and never ended: what a recovery job or an operator must look at. */
export interface UnfinishedSaga {
  saga: string;
  id: string;
  agent: string;
  /** Steps that ended `done` and were not compensated, in the order they ran: undo these in reverse. */
  done: string[];
  /** Steps started with no end recorded: the process stopped while they ran; they may or may not have taken effect. */
  running: string[];
  /** Sequence number of the saga's last entry. */
  lastSeq: number;
}

/** The reason every saga entry starts with; names are ASCII only, so this reads back exactly. */
const SAGA_REASON = /^saga '([A-Za-z0-9][A-Za-z0-9_-]{0,63})' \(([0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12})\)/;

/**
 * The sagas in an audit log that never wrote their end entry: a process killed (`kill -9`, a
 * crash, a power cut) while a saga ran, so no compensation ran. Reads only entries a saga wrote
 * (verdict `log`, no rule or policy, the saga reason prefix, a `saga.<name>.` tool): an agent's
 * tool call named like a saga entry is a policy decision, with a rule or a policy reason, and is
 * not mistaken for one. Verify the chain first: this trusts what it reads.
 */
export function unfinishedSagas(entries: Iterable<AuditEntry>): UnfinishedSaga[] {
  const open = new Map<string, UnfinishedSaga>();
  for (const entry of entries) {
    if (entry.verdict !== 'log' || entry.rule !== null || entry.policy !== null || entry.tool === null) continue;
    const head = SAGA_REASON.exec(entry.reason);
    if (!head) continue;
    const [, saga = '', id = ''] = head;
    const prefix = `saga.${saga}.`;
    if (!entry.tool.startsWith(prefix)) continue;
    const part = entry.tool.slice(prefix.length);
    let state = open.get(id);
    if (!state) open.set(id, (state = { saga, id, agent: entry.agent, done: [], running: [], lastSeq: entry.seq }));
    state.lastSeq = entry.seq;
    if (part === 'end') {
      open.delete(id);
      continue;
    }
    const step = part.startsWith('step.') ? part.slice(5) : part.startsWith('compensate.') ? part.slice(11) : null;
    if (step === null) continue;
    switch (entry.actionType) {
      case 'saga.step.started':
        state.running.push(step);
        break;
      case 'saga.step.done':
        state.running = state.running.filter((s) => s !== step);
        if (!state.done.includes(step)) state.done.push(step);
        break;
      case 'saga.step.failed':
      case 'saga.step.denied':
        state.running = state.running.filter((s) => s !== step);
        break;
      case 'saga.compensation.done':
        state.done = state.done.filter((s) => s !== step);
        break;
    }
  }
  return [...open.values()];
}
