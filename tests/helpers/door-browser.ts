// The browser the door scanner's module (app/utils/door-client.ts) runs in, stood in for
// in Node: a Map-backed localStorage, fake-indexeddb, the URL and history it reads and
// writes, and a switchable `navigator.onLine`.
import { IDBFactory } from "fake-indexeddb";

/** The Web Storage interface over a Map (what a phone's localStorage holds). */
export class MemoryStorage {
  readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(key: string) {
    return this.map.get(String(key)) ?? null;
  }
  key(index: number) {
    return [...this.map.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.map.delete(String(key));
  }
  setItem(key: string, value: string) {
    this.map.set(String(key), String(value));
  }
}

/** A fresh phone: empty storage, the scanner's URL, online. */
export function phoneStandIn() {
  return {
    browser: {
      localStorage: new MemoryStorage(),
      indexedDB: new IDBFactory(),
      location: { hash: "", pathname: "/door", search: "" },
      history: {
        state: null as unknown,
        replaced: [] as string[],
        replaceState(state: unknown, _title: string, url: string) {
          this.state = state;
          this.replaced.push(url);
        },
      },
    },
    nav: { onLine: true },
  };
}
