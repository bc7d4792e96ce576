import { createPublicKey, verify } from 'node:crypto';

export interface RoomTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  room: string;
  role: string;
  name: string;
  /** Session that asked for the token. */
  sid: string;
  /** Share link the access came through, if any. */
  lnk?: string;
  /** Access versions read with the role: scope → version. */
  acc: Record<string, number>;
  /** When the access itself ends (session or link expiry), unix seconds. */
  axp?: number;
  iat: number;
  exp: number;
  jti: string;
}

/** The claims of a room token, unverified (to read what the gateway put in it). */
export function claimsOf(token: string): RoomTokenClaims {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as RoomTokenClaims;
}

/** Verifies a compact EdDSA JWS against a JWK Set the way realtime-go does; throws when it does not. */
export function verifyWithJwks(
  token: string,
  jwks: { keys: { kid: string; kty: string; crv: string; x: string }[] },
): { header: { alg: string; kid: string; typ: string }; claims: RoomTokenClaims } {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string; typ: string };
  if (header.alg !== 'EdDSA') throw new Error(`alg ${header.alg}`);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`unknown kid ${header.kid}`);
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) throw new Error('bad signature');
  return { header, claims: JSON.parse(Buffer.from(p, 'base64url').toString()) as RoomTokenClaims };
}
