// Ids of strokes and actions: random 16-byte UUIDs (version 4) minted by the client, written as lowercase hex
// wherever they are keys (maps, the pending store, undo history). Pure, so that node --test loads it.

/** A fresh random UUID (RFC 9562 version 4, variant 10). */
export function newId(): Uint8Array {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const v of b) s += v.toString(16).padStart(2, '0');
  return s;
}

export function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The hex key of an id the gateway writes as a UUID string (with dashes, any case): an action id to undo by. */
export function hexOfUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}
