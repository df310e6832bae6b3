// X.509 fixtures for the SPIFFE tests, generated with the `openssl` command into a temp dir once
// per test process (no private key is ever committed;
// the directory is removed as soon as the PEM text is read). EC P-256 keys keep generation fast.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SpiffeFixtures {
  /** PEM text of each certificate, by name. */
  readonly pem: Readonly<Record<CertName, string>>;
  /** PEM of each private key, by name (for signing JWT-SVIDs in tests). */
  readonly key: (name: CertName) => string;
  /** When the fixtures were made: every certificate is valid from about then. */
  readonly madeAt: number;
}

export type CertName =
  | 'root' | 'intermediate' | 'leaf' | 'directLeaf' | 'shortLeaf' | 'otherRoot' | 'otherLeaf' | 'forgedLeaf'
  | 'twoUris' | 'nonSpiffe' | 'caLeaf' | 'noSan' | 'notCaIntermediate' | 'underNotCa' | 'badPath';

type Extensions = readonly string[];

const LEAF: Extensions = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'];
const CA: Extensions = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'];
const uris = (...values: string[]): string[] => ['subjectAltName=@alt', '[alt]', ...values.map((v, i) => `URI.${i + 1}=${v}`)];

let cached: SpiffeFixtures | null = null;

/** The fixtures, made on first use in this process. */
export function spiffeFixtures(): SpiffeFixtures {
  if (cached !== null) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'agt-spiffe-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const newKey = (name: string): void => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  const root = (name: string, td: string): void => {
    newKey(name);
    const config = ['[req]', 'distinguished_name=dn', '[dn]', '[v3]', ...CA.filter((e) => !e.startsWith('authority')), ...uris(`spiffe://${td}`)];
    writeFileSync(join(dir, `${name}.cnf`), config.join('\n'));
    openssl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/O=${td}/CN=${name}`, '-days', '3650', '-out', `${name}.pem`, '-config', `${name}.cnf`, '-extensions', 'v3');
  };
  const issue = (name: string, issuer: string, extensions: Extensions, days = 365): void => {
    newKey(name);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), extensions.join('\n'));
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-days', String(days), '-out', `${name}.pem`, '-extfile', `${name}.ext`);
  };

  root('root', 'example.org');
  issue('intermediate', 'root', [...CA, ...uris('spiffe://example.org')]);
  issue('leaf', 'intermediate', [...LEAF, ...uris('spiffe://example.org/ns/prod/sa/billing')]);
  issue('directLeaf', 'root', [...LEAF, ...uris('spiffe://example.org/direct')]);
  issue('shortLeaf', 'intermediate', [...LEAF, ...uris('spiffe://example.org/short')], 1);
  root('otherRoot', 'other.org');
  issue('otherLeaf', 'otherRoot', [...LEAF, ...uris('spiffe://other.org/api')]);
  issue('forgedLeaf', 'otherRoot', [...LEAF, ...uris('spiffe://example.org/ns/prod/sa/billing')]);
  issue('twoUris', 'intermediate', [...LEAF, ...uris('spiffe://example.org/a', 'spiffe://example.org/b')]);
  issue('nonSpiffe', 'intermediate', [...LEAF, ...uris('https://example.org/a')]);
  issue('caLeaf', 'intermediate', [...CA, ...uris('spiffe://example.org/ca-leaf')]);
  issue('noSan', 'intermediate', LEAF);
  issue('notCaIntermediate', 'root', [...LEAF, ...uris('spiffe://example.org/not-ca')]);
  issue('underNotCa', 'notCaIntermediate', [...LEAF, ...uris('spiffe://example.org/under')]);
  issue('badPath', 'intermediate', [...LEAF, ...uris('spiffe://example.org/a/../b')]);

  const names: CertName[] = ['root', 'intermediate', 'leaf', 'directLeaf', 'shortLeaf', 'otherRoot', 'otherLeaf', 'forgedLeaf', 'twoUris', 'nonSpiffe', 'caLeaf', 'noSan', 'notCaIntermediate', 'underNotCa', 'badPath'];
  const pem = Object.fromEntries(names.map((n) => [n, readFileSync(join(dir, `${n}.pem`), 'utf8')])) as Record<CertName, string>;
  const keys = Object.fromEntries(names.map((n) => [n, readFileSync(join(dir, `${n}.key`), 'utf8')])) as Record<CertName, string>;
  rmSync(dir, { recursive: true, force: true });
  cached = { pem, key: (name) => keys[name], madeAt: Date.now() };
  return cached;
}
