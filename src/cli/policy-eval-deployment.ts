import { Governance } from '../config/governance.js';
import type { DeploymentConfig } from '../config/resolve-config.js';
import type { Decision } from '../core/types.js';
import type { Kernel } from '../kernel/kernel.js';
import { WhatIfTrustScoreStore } from '../state/trust-score-store.js';
import { UsageError } from './errors.js';
import { formatDecisionLine } from './output.js';
import { jsonErrorColumn } from './json-position.js';

/**
 * `agt policy eval` in a deployment (`--config`, or ./agt.config.yaml): one kernel built from
 * the deployment's governance decides every request in order, so identity proofs are verified
 * as in production — against the trusted issuers, the revocation list and the shared replay
 * cache of the state store — and a line that replays an earlier one is denied identity:replayed.
 * Each line's `proof` is taken out of the request and handed to the identity step, as an
 * adapter hands a call's proof; conditions never see it.
 *
 * Decisions are not appended to the deployment's audit log: eval is a what-if, and a batch of
 * test requests has no place in the production record. Nonces it verifies are spent in the
 * state store all the same (that is what makes a replay across runs a replay).
 */
export class DeploymentDecider {
  readonly #governance: Governance;
  readonly #kernel: Kernel;

  constructor(deployment: DeploymentConfig, policyFlag: string | undefined) {
    if (policyFlag === undefined && deployment.policy === null) {
      throw new UsageError(`no policy to decide with: pass --policy, or add \`policy: policies/\` to ${deployment.label}`);
    }
    this.#governance = new Governance(deployment);
    // A what-if: nonces are spent (a replayed line must be caught), but the agents' trust scores
    // are read, not moved: deciding a file of requests leaves the deployment's trust as it was.
    const identity = this.#governance.identity;
    const whatIf = identity ? { identity: { ...identity, trustScores: new WhatIfTrustScoreStore(this.#governance.trustScores) } } : {};
    this.#kernel = this.#governance.kernel({ audit: false, ...whatIf, ...(policyFlag !== undefined ? { policy: policyFlag } : {}) });
  }

  /** The policy's load warnings, to print once. */
  get warnings() {
    return this.#kernel.evaluator.warnings;
  }

  /** Decides the request on line `line` (its JSON text); a line that is not JSON is denied with its line number. */
  async decide(text: string, line: number): Promise<Decision> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return this.#kernel.evaluator.rejectInvalid(`not valid JSON (line ${line}${jsonErrorColumn(error)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.#kernel.evaluator.rejectInvalid(`line ${line} is not a request object`);
    }
    const { proof, ...request } = value as Record<string, unknown>;
    return this.#kernel.decideAsync(request, proof === undefined ? {} : { proof });
  }

  /** Closes the state store. */
  close(): void {
    this.#governance.close();
  }
}

/** A decision as a JSON line, with the input line it answers. */
export function decisionJson(decision: Decision, line: number): string {
  return JSON.stringify({ line, ...decision });
}

/** A decision as readable text: its line, the verdict line, and who was proven (or `-`). */
export function decisionText(decision: Decision, line: number, color: boolean): string {
  const who = decision.identity ? `agent=${decision.identity.subject} proof=${decision.identity.proof}${decision.identity.delegationDigest ? ' delegated' : ''}` : 'agent=-';
  return `${String(line).padStart(4)}  ${formatDecisionLine(decision, color)}  ${who}`;
}
