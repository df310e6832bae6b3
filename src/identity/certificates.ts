import { X509Certificate } from 'node:crypto';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * Certificates as callers hold them (an mTLS peer's DER `raw` buffers, PEM text, parsed
 * X509Certificate objects) turned into X509Certificate objects under size bounds, and the URI
 * subject alternative names read from Node's rendering of them.
 */

/** One certificate (DER bytes or X509Certificate) or PEM text with one or more certificates. */
export type CertificateInput = X509Certificate | Uint8Array | string;

/** Bound on one certificate's DER size; real SVIDs are 1-2 KiB. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/**
 * `inputs` as certificates, in order, at most `maxCount` of them, or a failure: `missing` for
 * none, `too_large` past a bound, `malformed` for anything that does not parse. Never throws.
 */
export function parseCertificates(inputs: CertificateInput | readonly CertificateInput[], maxCount: number): X509Certificate[] | IdentityFailure {
  const list: readonly unknown[] = Array.isArray(inputs) ? inputs : [inputs];
  const out: X509Certificate[] = [];
  for (const input of list) {
    if (input instanceof X509Certificate) {
      out.push(input);
    } else if (input instanceof Uint8Array) {
      if (input.byteLength > MAX_CERTIFICATE_BYTES) return identityFailure('too_large', `a certificate is larger than ${MAX_CERTIFICATE_BYTES} bytes`);
      const parsed = parseOne(input);
      if (parsed === null) return identityFailure('malformed', 'a certificate is not valid DER');
      out.push(parsed);
    } else if (typeof input === 'string') {
      if (input.length > MAX_CERTIFICATE_BYTES * 2 * maxCount) return identityFailure('too_large', `the PEM text is larger than ${maxCount} certificates can be`);
      const before = out.length;
      // The body's character class excludes '-', so each match attempt stops at the next dash: linear.
      for (const block of input.matchAll(PEM_BLOCK)) {
        const der = Buffer.from((block[1] ?? '').replace(/\s+/g, ''), 'base64');
        if (der.byteLength > MAX_CERTIFICATE_BYTES) return identityFailure('too_large', `a certificate is larger than ${MAX_CERTIFICATE_BYTES} bytes`);
        const parsed = parseOne(der);
        if (parsed === null) return identityFailure('malformed', 'a PEM certificate block is not a valid certificate');
        out.push(parsed);
        if (out.length > maxCount) break;
      }
      if (out.length === before) return identityFailure('malformed', "the PEM text holds no '-----BEGIN CERTIFICATE-----' block");
    } else {
      return identityFailure('malformed', 'a certificate is not DER bytes, PEM text or an X509Certificate');
    }
    if (out.length > maxCount) return identityFailure('too_large', `the certificate chain is longer than ${maxCount} certificates`);
  }
  if (out.length === 0) return identityFailure('missing', 'no certificate was presented');
  return out;
}

function parseOne(der: Uint8Array): X509Certificate | null {
  try {
    return new X509Certificate(der);
  } catch {
    return null;
  }
}

/**
 * The URI SANs of `cert`, or null when Node's rendering cannot be read unambiguously. Node
 * renders `URI:a, DNS:b`, quoting (as a JSON string) any value holding a separator, so a value
 * cannot smuggle a second entry in.
 */
export function uriSans(cert: X509Certificate): string[] | null {
  const text = cert.subjectAltName;
  if (text === undefined || text.length === 0) return [];
  const uris: string[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon === -1) return null;
    const type = text.slice(at, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      const close = closingQuote(text, colon + 2);
      if (close === -1) return null;
      try {
        value = JSON.parse(text.slice(colon + 1, close + 1)) as string;
      } catch {
        return null;
      }
      end = close + 1;
    } else {
      const comma = text.indexOf(', ', colon + 1);
      end = comma === -1 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    if (type === 'URI') uris.push(value);
    if (end === text.length) break;
    if (text.slice(end, end + 2) !== ', ') return null;
    at = end + 2;
  }
  return uris;
}

function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** The part of a TLS peer certificate (`socket.getPeerCertificate(true)`) this module reads. */
export interface PeerCertificateLink {
  readonly raw: Buffer;
  readonly issuerCertificate?: PeerCertificateLink;
}

/**
 * The DER chain a TLS peer presented, leaf first, from `tlsSocket.getPeerCertificate(true)`:
 * Node links each certificate to its issuer and a self-signed root to itself. At most
 * `maxCount` links are followed; an empty certificate (no client certificate) gives `[]`.
 */
export function peerCertificateChain(peer: PeerCertificateLink | Record<string, never> | null | undefined, maxCount = 8): Buffer[] {
  const chain: Buffer[] = [];
  let link = peer !== null && peer !== undefined && 'raw' in peer ? (peer as PeerCertificateLink) : undefined;
  while (link !== undefined && chain.length < maxCount + 1) {
    chain.push(link.raw);
    const next = link.issuerCertificate;
    if (next === undefined || next === link || next.raw.equals(link.raw)) break;
    link = next;
  }
  return chain;
}
