// A real node:http JWKS endpoint for the JWT tests, whose behaviour each test sets: serve a key
// set, hang, answer garbage, answer too much. It counts requests so tests can assert the
// refresh and cooldown rules.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type JwksBehaviour = { kind: 'serve'; body: unknown } | { kind: 'hang' } | { kind: 'raw'; body: string; status?: number } | { kind: 'huge'; bytes: number } | { kind: 'redirect'; location: string };

export interface JwksServer {
  url: string;
  behaviour: JwksBehaviour;
  requests: number;
  close(): Promise<void>;
}

export async function startJwksServer(initial: JwksBehaviour): Promise<JwksServer> {
  const hanging = new Set<ServerResponse>();
  const state: JwksServer = { url: '', behaviour: initial, requests: 0, close: () => Promise.resolve() };
  const server: Server = createServer((_request, response) => {
    state.requests++;
    const b = state.behaviour;
    if (b.kind === 'hang') {
      hanging.add(response);
      return;
    }
    if (b.kind === 'redirect') {
      response.writeHead(302, { location: b.location });
      response.end();
      return;
    }
    if (b.kind === 'huge') {
      // Chunked, with no content-length, so the client must count as it reads.
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < b.bytes) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      response.on('error', () => undefined);
      pump();
      return;
    }
    const body = b.kind === 'serve' ? JSON.stringify(b.body) : b.body;
    response.writeHead(b.kind === 'raw' ? (b.status ?? 200) : 200, { 'content-type': 'application/json' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/jwks`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
