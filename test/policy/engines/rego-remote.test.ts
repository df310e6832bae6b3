import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolCallGovernor } from '../../../src/adapters/tool-call.js';
import { govern } from '../../../src/kernel/govern.js';
import { GovernanceDenied } from '../../../src/core/errors.js';
import { loadPoliciesSync } from '../../../src/policy/loader.js';
import type { PolicyEvaluator } from '../../../src/policy/evaluator.js';
import { freePort, startOpa } from './opa-server.js';
import { policyWith, tree } from './tree.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/engines');

function remotePolicy(url: string, query = 'agt/support/decision', extra = '', verdict = 'object'): PolicyEvaluator {
  const root = tree({ 'p.yaml': policyWith(`  rego:\n    remote: { url: "${url}"${extra} }\n    query: ${query}\n    verdict: ${verdict}\n`) });
  return loadPoliciesSync(join(root, 'p.yaml'));
}

/** A tiny HTTP server that answers every request with `handler` (or never, when it does nothing). */
async function fakeOpa(handler: (respond: (status: number, body: string) => void) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    handler((status, body) => response.writeHead(status, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

describe('Rego engine on a remote OPA server', () => {
  let opa: { url: string; stop: () => Promise<void> };
  const servers: Server[] = [];
  const evaluators: PolicyEvaluator[] = [];
  const track = (evaluator: PolicyEvaluator) => {
    evaluators.push(evaluator);
    return evaluator;
  };

  beforeAll(async () => {
    opa = await startOpa([join(FIXTURES, 'support.rego')]);
  });
  afterAll(async () => {
    for (const evaluator of evaluators) evaluator.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await opa.stop();
  });

  it('decides through the REST Data API, like the in-process scenario', async () => {
    const evaluator = track(remotePolicy(opa.url));
    expect(evaluator.needsAsync).toBe(true);
    expect(await evaluator.evaluateAsync({ tool_name: 'db', action: 'read' })).toMatchObject({ verdict: 'allow', rule: 'rego:allow-db-read' });
    expect(await evaluator.evaluateAsync({ tool_name: 'db', action: 'drop' })).toMatchObject({ verdict: 'deny', rule: 'rego:block-destructive' });
    expect(await evaluator.evaluateAsync({ tool_name: 'send_email' })).toMatchObject({ verdict: 'require_approval', approvers: ['security-team'] });
  });

  it('the synchronous evaluate denies, saying to use evaluateAsync', () => {
    const decision = track(remotePolicy(opa.url)).evaluate({ tool_name: 'db', action: 'read' });
    expect(decision.verdict).toBe('deny');
    expect(decision.reason).toMatch(/^runtime_error:remote_engine: .*evaluateAsync/);
  });

  it('govern() waits for the remote engine', async () => {
    const evaluator = track(remotePolicy(opa.url));
    const db = govern((_args: { action: string }) => 'ran', { name: 'db', policy: evaluator, audit: false });
    await expect(db({ action: 'read' })).resolves.toBe('ran');
    await expect(db({ action: 'drop' })).rejects.toBeInstanceOf(GovernanceDenied);
  });

  it("the adapters' core waits for the remote engine too", async () => {
    const governor = new ToolCallGovernor({ policy: track(remotePolicy(opa.url)), audit: false });
    expect(await governor.beforeTool({ tool: 'db', args: { action: 'read' } })).toMatchObject({ kind: 'run', decision: { verdict: 'allow', rule: 'rego:allow-db-read' } });
    expect(await governor.beforeTool({ tool: 'db', args: { action: 'drop' } })).toMatchObject({ kind: 'refuse' });
  });

  describe('fails closed under each fault', () => {
    it('a server that never answers: timeout', async () => {
      const hanging = await fakeOpa(() => undefined);
      servers.push(hanging.server);
      const evaluator = track(remotePolicy(hanging.url, 'agt/support/decision', ', timeout_ms: 100'));
      const started = Date.now();
      const decision = await evaluator.evaluateAsync({ tool_name: 'db', action: 'read' });
      expect(decision.verdict).toBe('deny');
      expect(decision.reason).toMatch(/^runtime_error:opa_timeout: .*100 ms/);
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('a status other than 2xx', async () => {
      const failing = await fakeOpa((respond) => respond(500, '{"code":"internal_error","message":"boom"}'));
      servers.push(failing.server);
      const decision = await track(remotePolicy(failing.url)).evaluateAsync({ tool_name: 'db', action: 'read' });
      expect(decision).toMatchObject({ verdict: 'deny', reason: expect.stringMatching(/^runtime_error:opa_status: .*HTTP 500: boom/) as string });
    });

    it('an undefined result', async () => {
      const decision = await track(remotePolicy(opa.url, 'agt/support/nothing_here')).evaluateAsync({ tool_name: 'db', action: 'read' });
      expect(decision.verdict).toBe('deny');
      expect(decision.reason).toMatch(/^runtime_error:rego_undefined: /);
    });

    it('a malformed body, or a result of the wrong shape', async () => {
      const garbage = await fakeOpa((respond) => respond(200, 'not json at all'));
      const wrongShape = await fakeOpa((respond) => respond(200, '{"result": "yes"}'));
      servers.push(garbage.server, wrongShape.server);
      expect((await track(remotePolicy(garbage.url)).evaluateAsync({ tool_name: 'db' })).reason).toMatch(/^runtime_error:opa_malformed: /);
      expect((await track(remotePolicy(wrongShape.url, 'a/allow', '', 'allow')).evaluateAsync({ tool_name: 'db' })).reason).toMatch(/^runtime_error:policy_output_invalid: /);
    });

    it('connection refused', async () => {
      const port = await freePort();
      const decision = await track(remotePolicy(`http://127.0.0.1:${port}`)).evaluateAsync({ tool_name: 'db', action: 'read' });
      expect(decision.verdict).toBe('deny');
      expect(decision.reason).toMatch(/^runtime_error:opa_unreachable: .*ECONNREFUSED/);
    });

    it('an engine fault denies even where a YAML rule allows', async () => {
      const port = await freePort();
      const root = tree({
        'p.yaml': policyWith(`  rego: { remote: { url: "http://127.0.0.1:${port}" }, query: a/allow }\n`, 'rules:\n  - { name: ok, action: allow }\n'),
      });
      const decision = await track(loadPoliciesSync(join(root, 'p.yaml'))).evaluateAsync({ tool_name: 'db' });
      expect(decision.verdict).toBe('deny');
    });
  });
});
