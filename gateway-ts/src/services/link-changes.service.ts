import { Injectable } from '@nestjs/common';

/**
 * Tells this process's listeners (the open embeds) that a share link was revoked or its embedding origins changed,
 * so that they check it again at once. Other gateway processes notice within GATEWAY_EMBED_RECHECK_MS.
 */
@Injectable()
export class LinkChangesService {
  private readonly listeners = new Set<(linkId: string) => void>();

  changed(linkId: string): void {
    for (const l of this.listeners) l(linkId);
  }

  /** Calls `listener` with every changed link; returns what stops it. */
  listen(listener: (linkId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
