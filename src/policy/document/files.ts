/**
 * Which file names hold what: policy documents (`*.yaml`, `*.yml`, `*.json`) and policy tests
 * (`*.test.yaml` and the like), which directory loads of policies skip. Names only: no I/O.
 */

/** Names of policy files: YAML or JSON. */
export const POLICY_FILE = /\.(ya?ml|json)$/i;

/** Names of policy test files. Directory loads of policies skip them. */
export const POLICY_TEST_FILE = /\.test\.(ya?ml|json)$/i;

/** True for a file name the loader reads from a directory: `*.yaml`, `*.yml`, `*.json`, not `*.test.*`. */
export function isPolicyFileName(name: string): boolean {
  return POLICY_FILE.test(name) && !POLICY_TEST_FILE.test(name);
}
