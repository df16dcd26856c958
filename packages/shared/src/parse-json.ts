/**
 * JSON written by someone else (a Redis field, a message, a helper's line): parsed, or
 * `fallback` when it is missing or not JSON, since one bad record must not stop a reader.
 */
export function parseJsonOr<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
