export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

/** Short-lived notices in the corner; errors stay longer than info. */
export class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  show(text: string, kind: Toast['kind'] = 'info'): number {
    // The same text twice in a row (e.g. a retry failing again) is shown once.
    const same = this.items.find((t) => t.text === text && t.kind === kind);
    if (same) return same.id;
    const id = this.#next++;
    this.items = [...this.items.slice(-4), { id, kind, text }];
    this.#timers.set(id, setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 4000));
    return id;
  }

  error(text: string): number {
    return this.show(text, 'error');
  }

  dismiss(id: number): void {
    const t = this.#timers.get(id);
    if (t) clearTimeout(t);
    this.#timers.delete(id);
    this.items = this.items.filter((x) => x.id !== id);
  }
}
