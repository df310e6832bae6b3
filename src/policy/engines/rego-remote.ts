import type { NormalizedRequest } from '../../core/types.js';
import type { RegoEngineSpec } from '../schema.js';
import { engineFailure, type EngineOutcome, type RemoteEngine } from './engine.js';
import type { EngineLoadContext } from './load-context.js';

/** Placeholder until the remote client lands: a remote engine that always fails closed. */
export class RemoteOpaEngine implements RemoteEngine {
  readonly kind = 'rego' as const;
  readonly remote = true as const;
  readonly label = 'rego:remote';
  readonly digest = '';
  static fromSpec(_spec: RegoEngineSpec, _context: EngineLoadContext): RemoteOpaEngine {
    return new RemoteOpaEngine();
  }
  decideAsync(_request: NormalizedRequest): Promise<EngineOutcome> {
    return Promise.resolve(engineFailure('opa_unavailable', 'remote OPA is not implemented yet'));
  }
  close(): void {}
}
