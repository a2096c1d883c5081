// What may not appear in a log line, in one place: the logger scrubs every line
// it writes with redactLogText (app/utils/logger.server.ts), and the test suite
// scans every captured log with findLogLeaks (tests/setup/global.ts), which also
// sees what did not go through the logger (a spawned process's own output).
// Decision 0043. Pure functions: no Node APIs, so both sides share them.

/** An address as written by people and libraries (not an escaped or quoted one). */
const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/**
 * A dotted IPv4 address. Two are allowed: the host of a URL (`http://127.0.0.1:3000`,
 * the server's own address in its start line) and a /24 network (a truncated
 * client address). Anything else is a full address.
 */
const IPV4 = /(?<![\w./])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.]|\/\d)/g;
const IPV4_IN_URL = /:\/\/$/;
/**
 * An IPv6 address: eight groups, or a compressed form with "::" and at least
 * two groups. A network written as `2001:db8:1::/48` is allowed. Times such as
 * 19:04:16 have neither eight groups nor "::".
 */
const IPV6 =
  /(?<![\w:])((?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:)+:(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){2,}:)(?![\w:]|\/\d)/g;
/** An IPv4-mapped IPv6 address, as Node reports IPv4 clients of a dual-stack server. */
const IPV4_MAPPED = /(?<![\w:])::ffff:(\d{1,3}(?:\.\d{1,3}){3})(?![\w.]|\/\d)/gi;
/** Short compressed forms such as the loopback "::1". */
const IPV6_SHORT = /(?<![\w:])::(?:ffff:)?[0-9A-Fa-f]{1,4}(?![\w:.]|\/\d)/g;
/** Credentials by shape: Stripe keys and webhook secrets, bearer values, cookies. */
const PREFIXED_SECRET = /\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]{8,}|\bwhsec_[A-Za-z0-9_]{8,}/g;
const BEARER = /\bBearer\s+(?!\[)[^\s"',;]+/gi;
const COOKIE_VALUE = /\b(__session|__Host-[\w-]+|session|lang)=(?!\[)[^\s";,]+/g;
/**
 * A long unbroken run of URL-safe characters: session ids, access tokens, reset
 * and invitation tokens, signed ticket tokens, key material (the app's own are
 * 32+ random bytes, 43+ characters). Request ids (a UUID, 36) and record ids
 * (cuid, 25) are shorter; a path segment that long is a token in a URL.
 */
const LONG_TOKEN = /(?<![A-Za-z0-9_+=-])[A-Za-z0-9_+=-]{40,}(?![A-Za-z0-9_+=-])/g;

type Shapes = { email: boolean; ipv4: boolean; ipv6: boolean; token: boolean; secret: boolean };

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isUrlSafe = (c: number) =>
  isDigit(c) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 95 || // _
  c === 45 || // -
  c === 43 || // +
  c === 61; // =

/**
 * One pass over the text that says which patterns can match at all, so that an
 * ordinary line (an access line: no "@", no "::", no long run) is not searched
 * by every regular expression: a run of 40 URL-safe characters, a run of digits
 * and dots with three dots, a run of hex digits and colons with "::" or seven
 * colons, an "@", a secret's prefix.
 */
function shapesIn(t: string): Shapes {
  const found: Shapes = { email: false, ipv4: false, ipv6: false, token: false, secret: false };
  let safeRun = 0;
  let dots = -1; // -1: not in a run of digits and dots
  let colons = -1; // -1: not in a run of hex digits and colons
  let prev = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 64) found.email = true; // @
    safeRun = isUrlSafe(c) ? safeRun + 1 : 0;
    if (safeRun >= 40) found.token = true;
    if (isDigit(c)) dots = dots < 0 ? 0 : dots;
    else if (c === 46 && dots >= 0 && isDigit(prev)) dots++;
    else dots = -1;
    if (dots >= 3 && isDigit(c)) found.ipv4 = true;
    if (isHex(c)) colons = colons < 0 ? 0 : colons;
    else if (c === 58) {
      colons = colons < 0 ? 1 : colons + 1;
      if (prev === 58 || colons >= 7) found.ipv6 = true;
    } else colons = -1;
    prev = c;
  }
  found.secret =
    t.includes("sk_") || t.includes("rk_") || t.includes("pk_") || t.includes("whsec_");
  return found;
}

/**
 * The client's address as logs keep it: an IPv4 address as its /24 network, an
 * IPv6 address as its /48; an IPv4-mapped IPv6 address as the IPv4 one.
 */
export function truncateIp(address: string | undefined | null): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(":")) {
    const [head = ""] = ip.split("::");
    const groups = head.split(":").filter(Boolean);
    const full = ip.includes("::") ? groups : ip.split(":");
    const first = [...full.slice(0, 3)];
    while (first.length < 3) first.push("0");
    return `${first.map((g) => g.toLowerCase()).join(":")}::/48`;
  }
  return "unknown";
}

/** Replace everything findLogLeaks looks for with a marker (IP addresses: with their network). */
export function redactLogText(text: string): string {
  const shapes = shapesIn(text);
  let out = text;
  if (shapes.email) out = out.replace(EMAIL, "[email]");
  if (shapes.secret) out = out.replace(PREFIXED_SECRET, "[secret]");
  out = out.replace(BEARER, "Bearer [redacted]").replace(COOKIE_VALUE, "$1=[redacted]");
  if (shapes.token) out = out.replace(LONG_TOKEN, "[token]");
  if (shapes.ipv6)
    out = out
      .replace(IPV4_MAPPED, (_all: string, ip: string) => truncateIp(ip))
      .replace(IPV6, (_all: string, ip: string) => truncateIp(ip))
      .replace(IPV6_SHORT, "[ip]");
  if (shapes.ipv4)
    out = out.replace(IPV4, (all: string, ip: string, offset: number, whole: string) =>
      IPV4_IN_URL.test(whole.slice(Math.max(0, offset - 3), offset)) ? all : truncateIp(ip),
    );
  return out;
}

export type LogLeak = { kind: "email" | "ip" | "secret" | "token"; line: number; excerpt: string };

/**
 * Every email address, full IP address, credential or token-like value in
 * `text`, with its line number and a masked excerpt (the report must not repeat
 * the leak in full).
 */
export function findLogLeaks(text: string): LogLeak[] {
  const leaks: LogLeak[] = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const add = (kind: LogLeak["kind"], value: string) =>
      leaks.push({ kind, line: index + 1, excerpt: mask(value) });
    for (const m of line.matchAll(EMAIL)) add("email", m[0]);
    for (const m of line.matchAll(IPV4_MAPPED)) add("ip", m[0]);
    for (const m of line.matchAll(IPV4))
      if (!IPV4_IN_URL.test(line.slice(Math.max(0, m.index - 3), m.index))) add("ip", m[0]);
    for (const m of line.matchAll(IPV6)) add("ip", m[0]);
    for (const m of line.matchAll(IPV6_SHORT)) add("ip", m[0]);
    for (const m of line.matchAll(PREFIXED_SECRET)) add("secret", m[0]);
    for (const m of line.matchAll(BEARER)) add("secret", m[0]);
    for (const m of line.matchAll(COOKIE_VALUE)) add("secret", m[0]);
    for (const m of line.matchAll(LONG_TOKEN)) add("token", m[0]);
  });
  return leaks;
}

function mask(value: string) {
  return value.length <= 6 ? "***" : `${value.slice(0, 3)}…(${value.length} chars)`;
}
