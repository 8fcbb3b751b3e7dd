/**
 * Open connections per client address [L3]. Entries exist only while an address has a connection open,
 * so the map is bounded by open connections.
 */
export class ConnectionCounter {
  readonly #open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts a new connection from `address`: its release function, or undefined when at the cap. */
  open(address: string): (() => void) | undefined {
    const count = this.#open.get(address) ?? 0;
    if (count >= this.max) return undefined;
    this.#open.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(address) ?? 1) - 1;
      if (left > 0) this.#open.set(address, left);
      else this.#open.delete(address);
    };
  }
}
