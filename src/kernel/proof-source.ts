/**
 * Where govern() and the adapters get each call's identity proof: a fixed proof (a bearer token,
 * an SVID chain), or a maker called per call with the arguments as the kernel will see them and
 * the tool's name (an `agentProver`, which signs an envelope or a session MAC and may have to
 * open a session first, so it may answer with a promise).
 */
export type ProofSource = { readonly kind: string; readonly [member: string]: unknown } | ((args: unknown, tool: string) => unknown);

/** The proof for one call; a maker that throws or rejects yields none (zero-trust then denies). */
export async function proofFor(source: ProofSource, args: unknown, tool: string): Promise<unknown> {
  if (typeof source !== 'function') return source;
  try {
    return await source(args, tool);
  } catch {
    return undefined;
  }
}
