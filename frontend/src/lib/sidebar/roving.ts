/**
 * Roving focus for a list: one Tab stop for the whole list, arrow keys
 * within it. Rows are addressed by index; some (group headers) are not
 * focusable and are skipped.
 */

/** The keys that move the focus within the list. */
export const rovingKeys = new Set(['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp']);

/**
 * The row the focus moves to when `key` is pressed on row `current`
 * (-1: none yet), or null when the key does not move it. At either end
 * the focus stays where it is. `page` is how many focusable rows PageUp
 * and PageDown skip.
 */
export function moveFocus(key: string, current: number, count: number, focusable: (i: number) => boolean, page = 10): number | null {
  if (!rovingKeys.has(key)) return null;
  const first = scan(0, 1, count, focusable);
  if (first < 0) return null;
  if (current < 0 || current >= count) return key === 'End' || key === 'ArrowUp' ? scan(count - 1, -1, count, focusable) : first;
  switch (key) {
    case 'Home':
      return first;
    case 'End':
      return scan(count - 1, -1, count, focusable);
    case 'ArrowDown':
      return step(current, 1, 1, count, focusable);
    case 'ArrowUp':
      return step(current, -1, 1, count, focusable);
    case 'PageDown':
      return step(current, 1, page, count, focusable);
    default: // PageUp
      return step(current, -1, page, count, focusable);
  }
}

/** The first focusable row from `i` going in `dir`; -1 when there is none. */
function scan(i: number, dir: 1 | -1, count: number, focusable: (i: number) => boolean): number {
  for (; i >= 0 && i < count; i += dir) if (focusable(i)) return i;
  return -1;
}

/** `n` focusable rows from `from` in `dir`, stopping at the last one there is. */
function step(from: number, dir: 1 | -1, n: number, count: number, focusable: (i: number) => boolean): number {
  let at = from;
  for (let moved = 0; moved < n; moved++) {
    const next = scan(at + dir, dir, count, focusable);
    if (next < 0) break;
    at = next;
  }
  return at;
}

/**
 * The row that holds the list's one Tab stop: the remembered row when it is
 * still in the list and on screen, else the first focusable row on screen,
 * else the first focusable row of the list. -1 for an empty list.
 */
export function tabStop(count: number, focusable: (i: number) => boolean, active: number, shown: { start: number; end: number }): number {
  const inShown = (i: number) => i >= shown.start && i < shown.end;
  if (active >= 0 && active < count && focusable(active) && inShown(active)) return active;
  const onScreen = scan(shown.start, 1, Math.min(count, shown.end), focusable);
  if (onScreen >= 0) return onScreen;
  return scan(0, 1, count, focusable);
}
