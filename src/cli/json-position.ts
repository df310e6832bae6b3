/** Where JSON.parse stopped, as `, column N`, when V8 says; never its message, which quotes the input (reasons are audited). */
export function jsonErrorColumn(error: unknown): string {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '');
  return position ? `, column ${Number(position[1]) + 1}` : '';
}
