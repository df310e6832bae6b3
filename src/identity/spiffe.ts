/**
 * SPIFFE workload identity: X.509-SVIDs (also for mTLS peers) and JWT-SVIDs, each verified
 * against one trust domain's bundle. One module per concern; this file is their public face.
 */
export { parseSpiffeId, trustDomainProblem, type SpiffeId } from './spiffe-id.js';
export { X509SvidVerifier, type X509SvidOptions } from './spiffe-x509.js';
export { JwtSvidVerifier, JWT_SVID_ALGORITHMS, type JwtSvidOptions } from './spiffe-jwt.js';
export { grantFor, type SpiffeGrants, type WorkloadGrant } from './spiffe-grants.js';
export { parseCertificates, peerCertificateChain, uriSans, type CertificateInput, type PeerCertificateLink } from './certificates.js';
