/** A parsed `epoch:seq` event id. */
export interface EventId {
  epoch: string;
  seq: number;
}

/** Parses `epoch:seq`; returns null for anything else. The epoch may not contain ':'. */
export function parseEventId(id: string | null | undefined): EventId | null {
  if (!id) return null;
  const i = id.lastIndexOf(':');
  if (i <= 0) return null;
  const seqText = id.slice(i + 1);
  if (!/^\d+$/.test(seqText)) return null;
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq)) return null;
  return { epoch: id.slice(0, i), seq };
}

/**
 * The earlier of two heads. Resuming from the earlier one replays a little
 * more, which is harmless because applying events is idempotent; resuming
 * from the later one could skip something. Heads of different epochs cannot
 * be ordered; the first is kept and the server answers with `reset` if stale.
 */
export function earlierHead(a: string | null, b: string | null): string | null {
  const pa = parseEventId(a);
  const pb = parseEventId(b);
  if (!pa) return pb ? b : null;
  if (!pb || pa.epoch !== pb.epoch) return a;
  return pb.seq < pa.seq ? b : a;
}
