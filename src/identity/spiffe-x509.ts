import type { X509Certificate } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { parseCertificates, uriSans, type CertificateInput } from './certificates.js';
import { isFailure } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import { checkGrants, grantFor, type SpiffeGrants } from './spiffe-grants.js';
import { identityRevocationProblem, type RevocationCheck } from './revocation-check.js';
import { parseSpiffeId, trustDomainProblem } from './spiffe-id.js';
import type { VerifiedIdentity } from './verified.js';

/**
 * X.509-SVID verification (SPIFFE X509-SVID specification) with node:crypto only. The leaf must
 * not be a CA and must carry exactly one URI SAN, a workload SPIFFE ID in the configured trust
 * domain; each certificate on the path must be within its validity window at the clock's time
 * and be signed by the next (intermediates must be CAs), ending at a certificate of the trust
 * bundle. The same verifier serves mTLS: hand it the peer's chain (`getPeerCertificate(true)`'s
 * `raw` buffers, leaf first).
 */

/** A trust domain's X.509 trust bundle and what its workloads may be. */
export interface X509SvidOptions {
  /** The trust domain, e.g. `example.org`. */
  readonly trustDomain: string;
  /** The trust domain's X.509 authorities (CA certificates), as PEM text or a list. */
  readonly bundle: CertificateInput | readonly CertificateInput[];
  readonly grants?: SpiffeGrants;
  /** Longest chain accepted, leaf included. Default 8. */
  readonly maxChainLength?: number;
  /**
   * Asked on every chain after it verified: a revoked SPIFFE ID, trust domain
   * (`spiffe://<trust domain>`) or leaf certificate (its SHA-256 fingerprint, the identity's
   * `credentialId`) is `identity:revoked`. Give the deployment's `RevocationList` so that
   * `agt identity revoke spiffe://...` in any process sharing its state store refuses the next action.
   */
  readonly revocations?: RevocationCheck;
  readonly clock?: Clock;
}

const REVOCATION_NAMES = { subject: "the SVID's SPIFFE ID", credentialId: 'the SVID certificate', issuer: "the SVID's trust domain" } as const;

/** Verifies X.509-SVIDs of one trust domain. Construction throws a TypeError for a bad configuration. */
export class X509SvidVerifier {
  readonly #trustDomain: string;
  readonly #anchors: readonly X509Certificate[];
  readonly #grants: SpiffeGrants;
  readonly #maxChainLength: number;
  readonly #revocations: RevocationCheck | undefined;
  readonly #clock: Clock;

  constructor(options: X509SvidOptions) {
    const problem = trustDomainProblem(options.trustDomain);
    if (problem !== null) throw new TypeError(`the SPIFFE trust domain ${problem}`);
    const anchors = parseCertificates(options.bundle, 1000);
    if (isFailure(anchors)) throw new TypeError(`the SPIFFE trust bundle is not usable: ${anchors.message}`);
    if (anchors.some((cert) => !cert.ca)) throw new TypeError('every certificate in a SPIFFE trust bundle must be a CA certificate');
    checkGrants(options.grants);
    this.#trustDomain = options.trustDomain;
    this.#anchors = anchors;
    this.#grants = options.grants ?? {};
    this.#maxChainLength = options.maxChainLength ?? 8;
    this.#revocations = options.revocations;
    this.#clock = options.clock ?? systemClock;
  }

  /** The workload `chain` (leaf first) proves, or why not. Never throws. */
  verify(chain: CertificateInput | readonly CertificateInput[]): VerifiedIdentity | IdentityFailure {
    const certs = parseCertificates(chain, this.#maxChainLength);
    if (isFailure(certs)) return certs;
    const [leaf] = certs as [X509Certificate, ...X509Certificate[]];
    if (leaf.ca) return identityFailure('malformed', 'the leaf certificate is a CA certificate; an X.509-SVID leaf must not be');
    const uris = uriSans(leaf);
    if (uris === null) return identityFailure('malformed', "the leaf certificate's subject alternative names cannot be read");
    if (uris.length !== 1) return identityFailure('malformed', `the leaf certificate has ${uris.length} URI SANs; an X.509-SVID has exactly one`);
    const id = parseSpiffeId(uris[0]);
    if (isFailure(id)) return id;
    if (id.trustDomain !== this.#trustDomain) return identityFailure('trust_domain', `the SVID's SPIFFE ID is not in the trust domain ${this.#trustDomain}`);
    const path = this.#pathToBundle(certs);
    if (isFailure(path)) return path;
    const grant = grantFor(id.id, this.#grants);
    const identity: VerifiedIdentity = {
      ok: true,
      subject: id.id,
      proof: 'spiffe-x509',
      issuer: `spiffe://${this.#trustDomain}`,
      credentialId: leaf.fingerprint256.replaceAll(':', '').toLowerCase(),
      ring: grant.ring,
      roles: grant.roles,
      tools: grant.tools,
      trust: grant.trust,
      expiresAt: Math.min(...path.map((cert) => cert.validToDate.getTime())),
      delegationDigest: null,
    };
    return identityRevocationProblem(this.#revocations, identity, REVOCATION_NAMES) ?? identity;
  }

  /** The certificates from the leaf to a bundle anchor, each valid now and signed by the next. */
  #pathToBundle(certs: readonly X509Certificate[]): X509Certificate[] | IdentityFailure {
    const now = this.#clock();
    const path: X509Certificate[] = [];
    for (let i = 0; i < certs.length; i++) {
      const cert = certs[i] as X509Certificate;
      const role = i === 0 ? 'leaf certificate' : `intermediate certificate ${i}`;
      const window = validityFailure(cert, now, role);
      if (window !== null) return window;
      path.push(cert);
      const anchor = this.#anchors.find((candidate) => cert.checkIssued(candidate) && cert.verify(candidate.publicKey));
      if (anchor !== undefined) {
        const anchorWindow = validityFailure(anchor, now, "trust bundle's CA certificate");
        return anchorWindow ?? [...path, anchor];
      }
      const next = certs[i + 1];
      if (next === undefined) break;
      if (!next.ca) return identityFailure('untrusted_issuer', `intermediate certificate ${i + 1} is not a CA certificate, so it cannot issue`);
      if (!cert.checkIssued(next) || !cert.verify(next.publicKey)) return identityFailure('signature', `the ${role} is not signed by the next certificate in the chain`);
    }
    return identityFailure('trust_domain', `the certificate chain does not lead to the trust bundle of ${this.#trustDomain}`);
  }
}

function validityFailure(cert: X509Certificate, now: number, role: string): IdentityFailure | null {
  if (now < cert.validFromDate.getTime()) return identityFailure('not_yet_valid', `the ${role} is not valid yet`);
  if (now > cert.validToDate.getTime()) return identityFailure('expired', `the ${role} has expired`);
  return null;
}
