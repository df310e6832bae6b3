import type { UnverifiedAuthority } from '../identity/credential-file.js';
import { writeNewFile } from './identity-files.js';

/**
 * How `credential issue` and `credential delegate` hand back what they signed: the credential
 * file written to `--out` (or printed when there is none), and a summary of what it grants, in
 * words or (`--json`) as one object. The summary is of the tokens just signed, not read back.
 */
export function emitCredential(text: string, granted: UnverifiedAuthority, links: number, options: { out?: string; json?: boolean }): void {
  if (options.out !== undefined) writeNewFile(options.out, text, '--out');
  const summary = {
    ...(options.out !== undefined ? { out: options.out } : { credential: text.trimEnd().split('\n') }),
    subject: granted.subject, issuer: granted.issuer, jti: granted.jti, ring: granted.ring, roles: granted.roles,
    tools: granted.tools, trust: granted.trust, expiresAt: new Date(granted.exp * 1000).toISOString(), delegationLinks: links,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  if (options.out === undefined) process.stdout.write(text);
  const what = links === 0 ? 'credential' : `delegated credential (${links} link${links === 1 ? '' : 's'})`;
  const grants = `ring ${granted.ring}, roles [${granted.roles.join(', ')}], tools [${granted.tools.join(', ')}], trust ${granted.trust}`;
  const line = `${options.out !== undefined ? `wrote ${options.out}: ` : ''}${what} ${granted.jti} for ${granted.subject}\n  grants ${grants}\n  expires ${summary.expiresAt}\n`;
  (options.out !== undefined ? process.stdout : process.stderr).write(line);
}
