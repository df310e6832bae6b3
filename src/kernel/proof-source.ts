/**
 * Where govern() and the adapters get each call's identity proof: a fixed proof (a bearer token,
 * an SVID chain), or a maker called per call with the arguments as the kernel will see them and
 * the tool's name (an `agentProver`, which signs an envelope or a session MAC and may have to
 * open a session first, so it may answer with a promise).
 */
export type ProofSource = { readonly kind: string; readonly [member: string]: unknown } | ((args: unknown, tool: string) => unknown);

/**
 * The proof for one call; a maker that throws or rejects yields none (zero-trust then denies).
 * A fixed proof or a synchronous maker answers synchronously, so the caller can hand the action
 * to the kernel in the same tick (before the caller could change the arguments it passed).
 */
export function proofFor(source: ProofSource, args: unknown, tool: string): unknown {
  if (typeof source !== 'function') return source;
  let made: unknown;
  try {
    made = source(args, tool);
  } catch {
    return undefined;
  }
  return made instanceof Promise ? made.catch(() => undefined) : made;
}
