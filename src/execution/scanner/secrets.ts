/**
 * Hardcoded secret detection shared by every language: a string literal is a secret when it has
 * a known token shape, or when it is assigned to a name that says "secret" and looks random
 * enough not to be a placeholder.
 */

/** Token shapes issued by well-known providers (prefixes are public; the rest is random). */
const TOKEN_SHAPES: readonly RegExp[] = [
  /^AKIA[0-9A-Z]{16}$/, // AWS access key id
  /^gh[pousr]_[A-Za-z0-9]{36,}$/, // GitHub tokens
  /^github_pat_[A-Za-z0-9_]{40,}$/,
  /^sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}$/, // OpenAI / Anthropic style keys
  /^xox[abposr]-[A-Za-z0-9-]{10,}$/, // Slack
  /^AIza[0-9A-Za-z_-]{35}$/, // Google API key
  /-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----/,
];

/** Names that say the value is a credential. */
const SECRET_NAME = /(?:secret|passw(?:or)?d|passwd|api_?key|apikey|access_?key|private_?key|auth_?token|(?:^|_)token$|^token)/i;

/** Values that are obviously not real secrets. */
const PLACEHOLDER = /^(?:x+|\*+|changeme|change_me|example|your[_-].*|<.*>|\$\{.*\}|test|dummy|placeholder|redacted|none|null|undefined|todo)$/i;

/** True when the literal `value` has the shape of a real provider token. */
export function hasTokenShape(value: string): boolean {
  return value.length >= 16 && value.length <= 10_000 && TOKEN_SHAPES.some((shape) => shape.test(value));
}

/** True when `value`, assigned to `name`, looks like a committed credential. */
export function looksLikeSecret(name: string | undefined, value: string): boolean {
  if (hasTokenShape(value)) return true;
  if (name === undefined || !SECRET_NAME.test(name)) return false;
  if (value.length < 8 || value.length > 512 || PLACEHOLDER.test(value) || /\s/.test(value)) return false;
  // A credential mixes character classes; a label like "password" or a path does not.
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((c) => c.test(value)).length;
  return classes >= 2 && !/^[a-z_.]+$/i.test(value) && !value.startsWith('/') && !value.includes('://');
}
