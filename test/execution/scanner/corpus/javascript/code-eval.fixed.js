export function run(expression) {
  return JSON.parse(expression);
}
