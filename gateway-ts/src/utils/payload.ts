import { encode as encodeMsgpack } from '@msgpack/msgpack';

/** The wire formats of the binary API, each with the media types that name it (the first is the one sent). */
export const WIRE_MEDIA_TYPES = {
  protobuf: ['application/x-protobuf', 'application/protobuf', 'application/vnd.google.protobuf'],
  msgpack: ['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack'],
  json: ['application/json'],
} as const;
export type WireFormat = keyof typeof WIRE_MEDIA_TYPES;

/** Which wire format a Content-Type (or Accept entry) names, if any. */
export function wireFormatOf(contentType: string | undefined): WireFormat | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (!type) return undefined;
  for (const [format, types] of Object.entries(WIRE_MEDIA_TYPES) as [WireFormat, readonly string[]][]) {
    if (types.includes(type)) return format;
  }
  return undefined;
}

export type Body = Buffer | string;

/**
 * An HTTP answer a service builds and the representation interceptor writes: its status (the route's when
 * absent), type, headers, caching and body. API answers are about live data, so they are not stored
 * (`no-store`) unless the payload says otherwise. With an ETag the answer is conditional: 304 without a body
 * when If-None-Match names it, and a body given as a function is then never read. A body function may find that
 * the answer is another one (a redirect to where the bytes are): it then returns that Payload, written instead.
 */
export class Payload {
  readonly status?: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly cacheControl: string;
  readonly etag?: string;
  readonly body: Body | (() => Promise<Body | Payload>);

  constructor(init: {
    status?: number;
    contentType: string;
    headers?: Record<string, string>;
    cacheControl?: string;
    etag?: string;
    body: Body | (() => Promise<Body | Payload>);
  }) {
    this.status = init.status;
    this.contentType = init.contentType;
    this.headers = init.headers ?? {};
    this.cacheControl = init.cacheControl ?? 'no-store';
    this.etag = init.etag;
    this.body = init.body;
  }

  /** A 302 to `location`, cached by the browser as `cacheControl` says. */
  static redirect(location: string, cacheControl: string): Payload {
    return new Payload({ status: 302, contentType: 'text/plain; charset=utf-8', headers: { location }, cacheControl, body: '' });
  }
}

/** A message the API answers with: its protobuf encoding, and the plain object JSON and msgpack are made of. */
export interface Encodable {
  protobuf(): Uint8Array;
  plain(): unknown;
}

const CONTENT_TYPES: Record<WireFormat, string> = {
  protobuf: WIRE_MEDIA_TYPES.protobuf[0],
  msgpack: WIRE_MEDIA_TYPES.msgpack[0],
  json: 'application/json; charset=utf-8',
};

/** A message encoded in the negotiated format, with the content type that says so. */
export function encode(format: WireFormat, message: Encodable): { contentType: string; body: Body } {
  const body = format === 'json' ? JSON.stringify(message.plain()) : toBuffer(format === 'protobuf' ? message.protobuf() : encodeMsgpack(message.plain()));
  return { contentType: CONTENT_TYPES[format], body };
}

/** The encoders' bytes as a Buffer without copying them: nothing else holds the arrays they return. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
