import { FastifyReply } from 'fastify';
import type { TilePayload } from '../services/tiles.service';
import { sendPayload } from './payload';

/** sendPayload with the payload's status (304 on revalidation). */
export function sendTilePayload(reply: FastifyReply, payload: TilePayload): Buffer | string {
  if (payload.status) void reply.status(payload.status);
  return sendPayload(reply, payload);
}
