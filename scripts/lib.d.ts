export const root: string;
export const DEFAULT_DATABASE_URL: string;
export function buildIsStale(): boolean;
export function build(): void;
export function buildIfNeeded(): void;
export function ensureDatabaseFolder(url: string): void;
export function migrate(url: string): void;
export function findChromium(): string | null;
export const CHROMIUM_FLAGS: string[];
