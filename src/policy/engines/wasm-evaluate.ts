import type * as OpaWasm from '@open-policy-agent/opa-wasm';

/**
 * One evaluation of a loaded OPA wasm policy, through the ABI 1.2 `opa_eval` fast path, as
 * `LoadedPolicy.evaluate` does it but without its per-call garbage: the input is encoded straight
 * into wasm memory with one long-lived TextEncoder (no intermediate buffer and copy), and the
 * result's end is found with a native `indexOf` instead of a byte-by-byte loop. Same calls into
 * the module, same memory layout (input at the data heap pointer, heap after it), same result
 * set; a test holds the two to the same answers. Policies built for an older ABI use
 * `LoadedPolicy.evaluate` itself.
 */

type EvalExport = (ctx: number, entrypoint: number, dataAddr: number, inputAddr: number, inputLen: number, heapAddr: number, format: number) => number;

const PAGE_BYTES = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Returns an evaluate function for `policy` and one entrypoint. */
export function wasmEvaluator(policy: OpaWasm.LoadedPolicy, entrypoint: number): (input: unknown) => unknown {
  const instance = policy.wasmInstance as unknown as { exports: Record<string, unknown> };
  const opaEval = instance.exports.opa_eval as EvalExport | undefined;
  if (!(Number(policy.minorVersion) >= 2) || typeof opaEval !== 'function') {
    return (input) => policy.evaluate(input, entrypoint) as unknown;
  }
  const memory = policy.mem;
  return (input) => {
    // `setData` moves the data heap pointer, so read it on every call, as evaluate does.
    const inputAddr = policy.dataHeapPtr as number;
    // As evaluate does, a falsy input is no input at all (`input` is undefined in the policy).
    if (!input) return readResult(opaEval(0, entrypoint, policy.dataAddr, 0, 0, inputAddr, 0));
    const json = JSON.stringify(input);
    const room = json.length * 3; // UTF-8 needs at most 3 bytes per UTF-16 code unit
    const shortBy = inputAddr + room - memory.buffer.byteLength;
    if (shortBy > 0) memory.grow(Math.ceil(shortBy / PAGE_BYTES));
    const { written } = encoder.encodeInto(json, new Uint8Array(memory.buffer, inputAddr, room));
    return readResult(opaEval(0, entrypoint, policy.dataAddr, inputAddr, written, inputAddr + written, 0));
  };

  /** The NUL-terminated JSON result set at `address`. */
  function readResult(address: number): unknown {
    const bytes = new Uint8Array(memory.buffer);
    const end = bytes.indexOf(0, address);
    return JSON.parse(decoder.decode(bytes.subarray(address, end === -1 ? bytes.length : end))) as unknown;
  }
}
