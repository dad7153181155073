import { dateGroup, groupId, parseTime, type DateGroup } from '../dates';

/** What the sidebar's grouping needs of a chat. */
export interface Groupable {
  id: string;
  updated_at: string;
  pinned?: boolean;
}

/** A header is `pinned` or a date group. */
export type HeaderGroup = DateGroup | { kind: 'pinned' };

/** One row of the sidebar's list: a group header or a chat. */
export type Row<T> = { type: 'header'; id: string; group: HeaderGroup } | { type: 'item'; id: string; item: T };

/**
 * The sidebar's rows: pinned chats first under their own header, then the
 * others under date headers, in the order given (newest activity first, as
 * the server pages them). A group's header appears once even if a stray
 * chat out of order would reopen it.
 */
export function groupRows<T extends Groupable>(items: readonly T[], now: Date): Row<T>[] {
  const rows: Row<T>[] = [];
  const pinned = items.filter((s) => s.pinned);
  if (pinned.length) {
    rows.push({ type: 'header', id: 'h:pinned', group: { kind: 'pinned' } });
    for (const s of pinned) rows.push({ type: 'item', id: s.id, item: s });
  }
  const seen = new Set<string>();
  let current = '';
  for (const s of items) {
    if (s.pinned) continue;
    const g = dateGroup(parseTime(s.updated_at), now);
    const id = groupId(g);
    if (id !== current && !seen.has(id)) {
      seen.add(id);
      rows.push({ type: 'header', id: `h:${id}`, group: g });
    }
    current = id;
    rows.push({ type: 'item', id: s.id, item: s });
  }
  return rows;
}
