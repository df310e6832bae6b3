export function working() {
  return 1 + 1;
}
