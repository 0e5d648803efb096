/** Compares a secret without leaking, through timing, how much of it matched. */
export function constantTimeEqual(expected: string, got: string): boolean {
  const a = new TextEncoder().encode(expected);
  const b = new TextEncoder().encode(got);
  // Compare against the expected length always, so a wrong length costs the same time.
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}
