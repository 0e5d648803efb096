/** A client message id: random, so retries from any tab or after a reload reuse it and never collide. */
export function newClientId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Names this device in `hello`, so the server's logs can tell a user's phones apart. */
export function deviceId(): string {
  const key = "unibox.device";
  try {
    const known = localStorage.getItem(key);
    if (known) return known;
    const id = `web-${newClientId().slice(0, 8)}`;
    localStorage.setItem(key, id);
    return id;
  } catch {
    return "web";
  }
}
