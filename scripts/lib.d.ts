export const root: string;
export const DEFAULT_DATABASE_URL: string;
export function buildIsStale(): boolean;
export function build(): void;
export function buildIfNeeded(): void;
export function ensureDatabaseFolder(url: string): void;
export function migrate(url: string): void;
export function findChromium(): string | null;
export const CHROMIUM_FLAGS: string[];
/** The Node flags `npm start` runs with (package.json "start"). */
export function startNodeFlags(): string[];
/** The environment `npm start` sets before Node starts (MALLOC_ARENA_MAX=2 unless set). */
export function startNodeEnv(): Record<string, string>;
