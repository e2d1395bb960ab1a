/** Object metadata as the API server writes it. */

/**
 * Epoch ms of an object's creationTimestamp (NaN without one): a string on the wire, a Date
 * once client-node has read it.
 */
export const createdAt = (o: { metadata?: { creationTimestamp?: Date | string } }): number =>
  Date.parse(String(o.metadata?.creationTimestamp ?? ''));
