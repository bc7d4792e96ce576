import { FastifyReply } from 'fastify';
import type { Payload } from '../services/room-data.service';

/** Writes a Payload's type and headers on the reply and returns its body for Nest to send. */
export function sendPayload(reply: FastifyReply, payload: Payload): Buffer | string {
  void reply.header('content-type', payload.contentType);
  for (const [name, value] of Object.entries(payload.headers)) void reply.header(name, value);
  return payload.body;
}
