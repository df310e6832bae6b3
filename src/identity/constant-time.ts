/**
 * Compares two strings in time that depends only on their length, never on where they first
 * differ, so a MAC check leaks nothing about the expected value. For the session MAC both sides
 * are 43 base64url characters (the length is public), and comparing the encoded strings spares
 * decoding the presented MAC into a buffer on the hot path (what `crypto.timingSafeEqual` needs).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
