/**
 * When this controller first saw each Block, on its own clock. A Block's creationTimestamp is
 * the API server's clock: a wait counted from it alone is longer by as much as this
 * controller's clock is behind (a secondary waiting for its workers: reconcile.ts).
 */
export class FirstSeen {
  private readonly at = new Map<string, number>();

  /** By Block name, for the Blocks given (each by its UID): now for one not seen before. */
  of(blocks: readonly { metadata: { name?: string; uid?: string } }[], now: number): Map<string, number> {
    const seen = new Map<string, number>();
    for (const b of blocks) {
      const uid = b.metadata.uid!;
      if (!this.at.has(uid)) this.at.set(uid, now);
      seen.set(b.metadata.name!, this.at.get(uid)!);
    }
    return seen;
  }

  forgetBlock(uid: string): void {
    this.at.delete(uid);
  }
}
