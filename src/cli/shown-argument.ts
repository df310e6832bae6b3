/**
 * How an error message shows a command-line argument that was meant to be a path or a DID. A
 * user who pastes a token or a key where a file name belongs (`--credential eyJ...`, `agt
 * identity show <the JWK's d>`) must not see it echoed to a terminal, a CI log or a support
 * ticket: a value shaped like a compact JWT, an inline JWK, or one long run of base64url (a
 * raw key, secret or signature) is described by its length instead. Anything else (a path with
 * a typo) is shown, since naming it is what lets the user fix it.
 */

/** Compact JWS/JWT: two or more base64url segments joined by dots, the first a JSON header (`eyJ`). */
const COMPACT_TOKEN = /^(?:Bearer\s+)?eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;
/** One unbroken run of base64url this long is key or secret material, not a file name a person typed. */
const LONG_OPAQUE = /^[A-Za-z0-9_+/=-]{32,}$/;

/** `value` (in quotes with `quoted`), or a description of it when it looks like a token, a key or a secret. */
export function shownArgument(value: string, quoted = false): string {
  const trimmed = value.trim();
  if (COMPACT_TOKEN.test(trimmed) || trimmed.startsWith('{') || (LONG_OPAQUE.test(trimmed) && !trimmed.includes('/'))) {
    return `the value given (${value.length} characters that look like a token or key, not shown)`;
  }
  const shown = value.length > 200 ? `${value.slice(0, 200)}...` : value;
  return quoted ? `'${shown}'` : shown;
}

/**
 * `message` with every command-line argument in `argv` that looks like a token or key replaced
 * by its description: the last line of defence for messages built deeper down (a key file's
 * "does not exist", a reader's "cannot read"), which name the path they were given.
 */
export function withoutSecretArguments(message: string, argv: readonly string[]): string {
  let redacted = message;
  for (const argument of argv) {
    const value = argument.startsWith('--') && argument.includes('=') ? argument.slice(argument.indexOf('=') + 1) : argument;
    if (value.length < 16 || !redacted.includes(value)) continue;
    const shown = shownArgument(value);
    if (shown !== value) redacted = redacted.split(value).join(shown);
  }
  return redacted;
}
