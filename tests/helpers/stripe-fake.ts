// A local Stripe-compatible HTTP server for tests, spoken to by the real
// `stripe` SDK through its `host`/`port`/`protocol` options.
//
// It implements the slice of the Stripe REST API (v1, form-encoded bodies as
// stripe-node sends them) that the festival app uses for Stripe Checkout:
//
//   POST /v1/checkout/sessions                    create (mode=payment, price_data line items)
//   GET  /v1/checkout/sessions/:id                retrieve (expand: line_items, payment_intent)
//   GET  /v1/checkout/sessions/:id/line_items     list line items
//   POST /v1/checkout/sessions/:id/expire         expire an open session
//   GET  /v1/payment_intents/:id                  retrieve the PaymentIntent of a completed session
//   POST /v1/refunds                              refund (payment_intent or charge, amount?, reason?, metadata?)
//   GET  /v1/refunds/:id                          retrieve a refund (expand: balance_transaction)
//   GET  /v1/refunds                              list refunds (charge?, payment_intent?, expand: data.balance_transaction)
//   GET  /v1/charges/:id                          retrieve a charge (expand: balance_transaction)
//   GET  /v1/events/:id                           retrieve an event built with `fake.event()`
//   GET  /pay/:id, POST /pay/:id                  a stand-in for the hosted payment page (browser tests)
//
// Behaviour copied from Stripe: Bearer (or Basic) auth with the configured
// secret key, errors as `{ error: { type, message, code?, param?, doc_url? } }`
// with Stripe's statuses, "Received unknown parameter" for parameters Stripe
// does not know, `Idempotency-Key` replay and conflict detection, `expires_at`
// limited to 30 minutes .. 24 hours after creation, minimum charge amounts,
// metadata limits (50 keys, 40-char keys, 500-char values).
//
// Things tests drive directly (plain methods, not HTTP): `completeSession`,
// `expireSession`, `setDown` (or `failRequests` for one kind of request), `setSettlement` (the currency and rate Stripe
// settles charges in), `dashboardRefund`, `openDispute`/`closeDispute`, the
// event builders `chargeRefundedEvent`/`disputeEvent`, and the `requests` log
// plus the stores. Every charge, refund and dispute has its balance
// transaction (amount and fee in the settlement currency, exchange_rate).
//
// --- How the app must configure the SDK (see `stripeConfigFromApiUrl`) ---
// STRIPE_API_URL (e.g. `http://127.0.0.1:12111`, no path) maps to the SDK's
// `{ host: url.hostname, port: url.port || (https ? 443 : 80), protocol: "http" | "https" }`;
// without STRIPE_API_URL pass none of the three (the SDK then talks to api.stripe.com).
// The fake's routes live at the root (`/v1/...`), like Stripe's and stripe-mock's.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

// ---------------------------------------------------------------------------
// Public types

/** A value parsed from a Stripe form body: nested keys become objects, `[0]`-style keys arrays. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export type DownMode = false | "503" | "refuse" | "hang";

/**
 * A fault for some requests only (`failRequests`): the outage modes of `setDown`,
 * plus "429" (Stripe's rate limit) and "lost" (the request is carried out — a
 * session opened, a refund made — but its answer never arrives: a timeout after
 * Stripe acted).
 */
export type RequestFault = {
  method?: string;
  /** The path (`/v1/refunds`) or a pattern for it. */
  path: string | RegExp;
  mode: Exclude<DownMode, false> | "429" | "lost";
  /** How many matching requests fail (default: every one until `clearFaults`). */
  times?: number;
};

export type LoggedRequest = {
  method: string;
  /** Path without the query string. */
  path: string;
  query: FormObject;
  /** The parsed form body (`line_items[0][price_data][unit_amount]` → `body.line_items[0].price_data.unit_amount`); values are strings. */
  body: FormObject;
  /** The body exactly as received, for "this text never reached Stripe" assertions. */
  rawBody: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The status sent back; null while pending, or when the connection was reset or left hanging. */
  status: number | null;
  /** Milliseconds since the epoch (the fake's clock). */
  at: number;
};

export type FakePrice = {
  id: string;
  object: "price";
  active: boolean;
  created: number;
  currency: string;
  livemode: false;
  metadata: Record<string, string>;
  product: string;
  type: "one_time";
  unit_amount: number;
};

export type FakeLineItem = {
  id: string;
  object: "item";
  amount_discount: number;
  amount_subtotal: number;
  amount_tax: number;
  amount_total: number;
  currency: string;
  description: string;
  price: FakePrice;
  quantity: number;
};

export type FakeCustomerDetails = {
  address: null;
  business_name: null;
  email: string | null;
  individual_name: null;
  name: string | null;
  phone: null;
  tax_exempt: "none";
  tax_ids: never[];
};

export type FakeCheckoutSession = {
  id: string;
  object: "checkout.session";
  after_expiration: null;
  allow_promotion_codes: null;
  amount_subtotal: number;
  amount_total: number;
  automatic_tax: { enabled: false; liability: null; provider: null; status: null };
  billing_address_collection: null;
  cancel_url: string | null;
  client_reference_id: string | null;
  client_secret: null;
  consent: null;
  consent_collection: null;
  created: number;
  currency: string;
  custom_fields: never[];
  custom_text: {
    after_submit: null;
    shipping_address: null;
    submit: null;
    terms_of_service_acceptance: null;
  };
  customer: null;
  customer_creation: string | null;
  customer_details: FakeCustomerDetails | null;
  customer_email: string | null;
  discounts: never[];
  expires_at: number;
  invoice: null;
  invoice_creation: null;
  livemode: false;
  locale: string | null;
  metadata: Record<string, string>;
  mode: "payment";
  payment_intent: string | null;
  payment_link: null;
  payment_method_collection: "if_required";
  payment_method_options: Record<string, never>;
  payment_method_types: string[];
  payment_status: "paid" | "unpaid";
  recovered_from: null;
  setup_intent: null;
  shipping_address_collection: null;
  shipping_cost: null;
  shipping_options: never[];
  status: "open" | "complete" | "expired";
  submit_type: string | null;
  subscription: null;
  success_url: string | null;
  total_details: { amount_discount: number; amount_shipping: number; amount_tax: number };
  ui_mode: string;
  url: string | null;
};

export type FakePaymentIntent = {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_received: number;
  created: number;
  currency: string;
  description: string | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  payment_method_types: string[];
  status: "succeeded" | "processing";
};

export type FakeRefund = {
  id: string;
  object: "refund";
  amount: number;
  balance_transaction: string;
  charge: string;
  created: number;
  currency: string;
  customer: null;
  metadata: Record<string, string>;
  payment_intent: string;
  payment_method: null;
  reason: string | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: "succeeded";
  transfer_reversal: null;
};

/** How Stripe moved the festival's balance for a charge, refund or dispute (settlement currency). */
export type FakeBalanceTransaction = {
  id: string;
  object: "balance_transaction";
  amount: number;
  available_on: number;
  created: number;
  currency: string;
  description: string | null;
  /** Charge currency → settlement currency; null when they are the same. */
  exchange_rate: number | null;
  fee: number;
  fee_details: { amount: number; currency: string; description: string; type: string }[];
  net: number;
  reporting_category: "charge" | "refund" | "dispute" | "dispute_reversal";
  source: string;
  status: "available";
  type: "charge" | "refund" | "adjustment";
};

export type FakeCharge = {
  id: string;
  object: "charge";
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  balance_transaction: string;
  captured: true;
  created: number;
  currency: string;
  disputed: boolean;
  livemode: false;
  metadata: Record<string, string>;
  paid: true;
  payment_intent: string;
  refunded: boolean;
  status: "succeeded";
};

export type FakeDispute = {
  id: string;
  object: "dispute";
  amount: number;
  /** Full objects, as Stripe sends them: the withdrawal (with the dispute fee) and, if won, the reinstatement. */
  balance_transactions: FakeBalanceTransaction[];
  charge: string;
  created: number;
  currency: string;
  is_charge_refundable: false;
  livemode: false;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string;
  status: "warning_needs_response" | "needs_response" | "under_review" | "won" | "lost";
};

/** The currency and rate Stripe settles new charges in (default: the charge's own currency, no conversion). */
export type Settlement = {
  /** Lower-case ISO code, e.g. "usd". */
  currency: string;
  /** Charge currency → settlement currency (required when the currencies differ). */
  exchangeRate?: number;
  /** The fee in settlement minor units (default: 1.5% of the settled amount + 25). */
  fee?: number;
};

export type FakeEvent<T = unknown> = {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: T; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
};

export type SignedWebhook = { payload: string; header: string };
export type WebhookDelivery = { status: number; body: string };

export type StripeFakeOptions = {
  /** The API key the fake accepts (default `sk_test_fake_…`, random). */
  secretKey?: string;
  /** The fake's clock in milliseconds (default `Date.now`); drives `created`, `expires_at` checks and automatic expiry. */
  now?: () => number;
  /** When set, a payment on the `/pay/:id` page delivers `checkout.session.completed` here before redirecting. */
  webhook?: { url: string; secret: string };
};

export type CompleteOptions = {
  /** "paid" (default: card payment succeeded) or "unpaid" (delayed payment method still processing). */
  paymentStatus?: "paid" | "unpaid";
  /** The payer's email in `customer_details` (default: `customer_email`, else `buyer@example.test`). */
  email?: string;
  /** Complete even an expired session (Stripe would not; for "paid anyway" edge cases). */
  force?: boolean;
};

export type StripeFake = {
  /** `http://127.0.0.1:PORT`: the value for `STRIPE_API_URL`. */
  url: string;
  port: number;
  secretKey: string;
  /** Every request received, oldest first (including rejected ones). */
  requests: LoggedRequest[];
  sessions: Map<string, FakeCheckoutSession>;
  lineItems: Map<string, FakeLineItem[]>;
  paymentIntents: Map<string, FakePaymentIntent>;
  refunds: Map<string, FakeRefund>;
  events: Map<string, FakeEvent>;
  charges: Map<string, FakeCharge>;
  balanceTransactions: Map<string, FakeBalanceTransaction>;
  disputes: Map<string, FakeDispute>;
  /** Settle the charges made from now on in this currency and rate (null: in the charge's currency). */
  setSettlement: (settlement: Settlement | null) => void;
  /** A refund made in Stripe's dashboard (all that is left, or `amount`). Returns a copy. */
  dashboardRefund: (paymentIntentId: string, amount?: number) => FakeRefund;
  /** The charge of a PaymentIntent (a copy), as `charge.*` events carry it. */
  chargeOf: (paymentIntentId: string) => FakeCharge;
  /** The card holder's bank disputes the charge: Stripe withdraws the amount and its dispute fee (default 1500). */
  openDispute: (paymentIntentId: string, opts?: { fee?: number }) => FakeDispute;
  /** The dispute is decided: won reinstates the amount (not the fee), lost keeps it withdrawn. */
  closeDispute: (disputeId: string, status: "won" | "lost") => FakeDispute;
  /** `charge.refunded` for a PaymentIntent's charge as it is now. */
  chargeRefundedEvent: (paymentIntentId: string) => FakeEvent<FakeCharge>;
  /** A `charge.dispute.*` event for a dispute as it is now. */
  disputeEvent: (type: string, disputeId: string) => FakeEvent<FakeDispute>;
  /** Mark a session complete as if the customer paid; creates its PaymentIntent. Returns a copy of the session. */
  completeSession: (id: string, opts?: CompleteOptions) => FakeCheckoutSession;
  /** Expire an open session as Stripe does at `expires_at`. Returns a copy of the session. */
  expireSession: (id: string) => FakeCheckoutSession;
  /** Simulate an outage of `/v1/*`: 503 JSON errors, connection resets, or requests that are never answered. */
  setDown: (mode: DownMode) => void;
  readonly down: DownMode;
  /** Fail only the requests matching `fault` (its method and path), `times` of them. */
  failRequests: (fault: RequestFault) => void;
  /** Forget every `failRequests` fault. */
  clearFaults: () => void;
  /** Build a Stripe event envelope (a deep copy of `object`) and make it retrievable at `GET /v1/events/:id`. */
  event: <T>(type: string, object: T, opts?: EventOptions<T>) => FakeEvent<T>;
  signedWebhook: (event: FakeEvent, secret: string, opts?: { timestamp?: number }) => SignedWebhook;
  deliverWebhook: (
    url: string,
    event: FakeEvent,
    secret: string,
    opts?: DeliverOptions,
  ) => Promise<WebhookDelivery>;
  close: () => Promise<void>;
};

export type EventOptions<T> = { created?: number; previousAttributes?: Partial<T> };
export type DeliverOptions = {
  /** Signature timestamp in seconds (default now); an old one tests the tolerance check. */
  timestamp?: number;
  /** Send this body instead of the signed one (a tampered payload). */
  payload?: string;
  /** Send this `Stripe-Signature` header instead of the computed one. */
  header?: string;
};

// ---------------------------------------------------------------------------
// SDK configuration

/** The SDK options that point it at a Stripe-compatible server given as a URL (what the app does with STRIPE_API_URL). */
/** The app's Stripe settings pointing at this fake (for startTestApp or freshTestEnv). */
export function stripeTestEnv(fake: Pick<StripeFake, "secretKey" | "url">, webhookSecret: string) {
  return {
    STRIPE_SECRET_KEY: fake.secretKey,
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_API_URL: fake.url,
  };
}

export function stripeConfigFromApiUrl(apiUrl: string): {
  host: string;
  port: number;
  protocol: "http" | "https";
} {
  const u = new URL(apiUrl);
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new Error(`STRIPE_API_URL must be http(s): ${apiUrl}`);
  const protocol = u.protocol === "https:" ? "https" : "http";
  const port = u.port ? Number(u.port) : protocol === "https" ? 443 : 80;
  return { host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port, protocol };
}

/** The real SDK client pointed at the fake: no retries, a short timeout. */
export function stripeClientFor(
  fake: Pick<StripeFake, "url" | "secretKey">,
  overrides: Stripe.StripeConfig = {},
): Stripe {
  return new Stripe(fake.secretKey, {
    ...stripeConfigFromApiUrl(fake.url),
    maxNetworkRetries: 0,
    timeout: 2000,
    telemetry: false,
    ...overrides,
  });
}

// ---------------------------------------------------------------------------
// Webhooks

export function buildEvent<T>(
  type: string,
  object: T,
  opts: EventOptions<T> & { nowMs?: number } = {},
): FakeEvent<T> {
  const data: FakeEvent<T>["data"] = { object: structuredClone(object) };
  if (opts.previousAttributes)
    data.previous_attributes = structuredClone(opts.previousAttributes) as Record<string, unknown>;
  return {
    id: randomId("evt_test_"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: opts.created ?? Math.floor((opts.nowMs ?? Date.now()) / 1000),
    data,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** The body Stripe would POST and its `Stripe-Signature` header, signed by the SDK's own test helper. */
export function signedWebhook(
  event: FakeEvent,
  secret: string,
  opts: { timestamp?: number } = {},
): SignedWebhook {
  const payload = JSON.stringify(event, null, 2);
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    timestamp: opts.timestamp,
  });
  return { payload, header };
}

/** POST a signed event to an app's webhook endpoint as Stripe does. */
export async function deliverWebhook(
  url: string,
  event: FakeEvent,
  secret: string,
  opts: DeliverOptions = {},
): Promise<WebhookDelivery> {
  const signed = signedWebhook(event, secret, { timestamp: opts.timestamp });
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Stripe-Signature": opts.header ?? signed.header,
      "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      Accept: "*/*; q=0.5, application/xml",
    },
    body: opts.payload ?? signed.payload,
    redirect: "manual",
  });
  return { status: res.status, body: await res.text() };
}

// ---------------------------------------------------------------------------
// Form bodies

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Parse a Stripe form body (or query string) into nested objects and arrays. Throws `StripeFakeError` on malformed input. */
export function parseStripeForm(raw: string): FormObject {
  const root: FormObject = {};
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = decodeFormComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decodeFormComponent(part.slice(eq + 1));
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) throw invalid(`Invalid parameter name: ${key}`);
    const segments = [
      m[1] ?? "",
      ...[...(m[2] ?? "").matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] ?? ""),
    ];
    for (const s of segments)
      if (FORBIDDEN_KEYS.has(s)) throw invalid(`Invalid parameter name: ${key}`);
    let node: FormObject = root;
    for (let i = 0; i < segments.length; i++) {
      let seg = segments[i] ?? "";
      if (seg === "") seg = String(Object.keys(node).length); // `a[]=x` appends
      if (i === segments.length - 1) {
        if (node[seg] !== undefined && typeof node[seg] !== "string")
          throw invalid(`Invalid value for ${key}: a value cannot also be a hash`, key);
        node[seg] = value;
      } else {
        const next = node[seg];
        if (typeof next === "string")
          throw invalid(
            `Invalid hash for ${key}: ${segments.slice(0, i + 1).join(".")} is already a value`,
            key,
          );
        if (next === undefined) node[seg] = {};
        node = node[seg] as FormObject;
      }
    }
  }
  return normalizeArrays(root) as FormObject;
}

function decodeFormComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    throw invalid("Invalid request body: malformed percent-encoding");
  }
}

function normalizeArrays(v: FormValue): FormValue {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(normalizeArrays);
  const keys = Object.keys(v);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => normalizeArrays(v[String(k)] as FormValue));
  }
  const out: FormObject = {};
  for (const k of keys) out[k] = normalizeArrays(v[k] as FormValue);
  return out;
}

// ---------------------------------------------------------------------------
// Errors

export class StripeFakeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
  body() {
    const error: Record<string, string> = { type: this.type, message: this.message };
    if (this.code) {
      error.code = this.code;
      error.doc_url = `https://docs.stripe.com/error-codes/${this.code.replace(/_/g, "-")}`;
    }
    if (this.param) error.param = this.param;
    return { error };
  }
}

function invalid(message: string, param?: string, code?: string) {
  return new StripeFakeError(400, "invalid_request_error", message, code, param);
}
function missing(param: string) {
  return invalid(`Missing required param: ${param}.`, param, "parameter_missing");
}
function unknownParam(param: string) {
  return invalid(`Received unknown parameter: ${param}`, param, "parameter_unknown");
}
function unsupported(param: string) {
  return invalid(
    `The Stripe test fake does not implement the parameter ${param} (Stripe itself accepts it): add it to tests/helpers/stripe-fake.ts.`,
    param,
  );
}
function noSuch(kind: string, id: string, param: string, status: 400 | 404) {
  return new StripeFakeError(
    status,
    "invalid_request_error",
    `No such ${kind}: '${id}'`,
    "resource_missing",
    param,
  );
}

// ---------------------------------------------------------------------------
// Parameter helpers (values arrive as strings, like on Stripe's side)

function checkKeys(
  o: FormObject,
  known: readonly string[],
  implemented: readonly string[],
  prefix = "",
) {
  for (const k of Object.keys(o)) {
    const name = prefix ? `${prefix}[${k}]` : k;
    if (!known.includes(k)) throw unknownParam(name);
    if (!implemented.includes(k)) throw unsupported(name);
  }
}

function asString(v: FormValue | undefined, param: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string")
    throw invalid(`Invalid string: ${param} must be a string, not a hash or array`, param);
  return v;
}

function nonEmptyString(v: FormValue | undefined, param: string, max = 5000): string | undefined {
  const s = asString(v, param);
  if (s === undefined) return undefined;
  if (s === "")
    throw invalid(
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      param,
      "parameter_invalid_empty",
    );
  if (s.length > max)
    throw invalid(
      `Invalid string: ${s.slice(0, 20)}...; must be at most ${max} characters`,
      param,
      "string_length_exceeds_maximum",
    );
  return s;
}

function integer(
  v: FormValue | undefined,
  param: string,
  min: number,
  max: number,
): number | undefined {
  const s = asString(v, param);
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s))
    throw invalid(`Invalid integer: ${s}`, param, "parameter_invalid_integer");
  const n = Number(s);
  if (n < min) throw invalid(`This value must be greater than or equal to ${min}.`, param);
  if (n > max) throw invalid(`This value must be less than or equal to ${max}.`, param);
  return n;
}

function hash(v: FormValue | undefined, param: string): FormObject | undefined {
  if (v === undefined) return undefined;
  if (v === "") return {}; // Emptyable: "" unsets
  if (typeof v === "string" || Array.isArray(v)) throw invalid(`Invalid object`, param);
  return v;
}

function list(v: FormValue | undefined, param: string): FormValue[] | undefined {
  if (v === undefined) return undefined;
  if (v === "") return [];
  if (!Array.isArray(v)) throw invalid(`Invalid array`, param);
  return v;
}

function stringList(v: FormValue | undefined, param: string): string[] | undefined {
  return list(v, param)?.map((x, i) => asString(x, `${param}[${i}]`) ?? "");
}

function oneOf<T extends string>(
  v: FormValue | undefined,
  param: string,
  values: readonly T[],
): T | undefined {
  const s = asString(v, param);
  if (s === undefined) return undefined;
  if (!(values as readonly string[]).includes(s))
    throw invalid(`Invalid ${param}: must be one of ${values.join(", ")}`, param);
  return s as T;
}

function metadata(v: FormValue | undefined, param: string): Record<string, string> {
  const o = hash(v, param) ?? {};
  const out: Record<string, string> = {};
  const keys = Object.keys(o);
  if (keys.length > 50) throw invalid(`Invalid ${param}: metadata can have at most 50 keys`, param);
  for (const k of keys) {
    const value = o[k];
    if (typeof value !== "string")
      throw invalid(
        `Invalid value for ${param}[${k}]: metadata values must be strings`,
        `${param}[${k}]`,
      );
    if (k.length > 40)
      throw invalid(
        `Metadata keys can have up to 40 characters; '${k}' has ${k.length}`,
        `${param}[${k}]`,
      );
    if (value.length > 500)
      throw invalid(
        `Metadata values can have up to 500 characters, but you passed in a value that is ${value.length} characters. Invalid value: ${value.slice(0, 20)}...`,
        `${param}[${k}]`,
      );
    if (value !== "") out[k] = value;
  }
  return out;
}

function url(v: FormValue | undefined, param: string): string | undefined {
  const s = nonEmptyString(v, param, 5000);
  if (s === undefined) return undefined;
  let ok = false;
  try {
    const u = new URL(s);
    ok = u.protocol === "http:" || u.protocol === "https:";
  } catch {
    ok = false;
  }
  if (!ok) throw invalid("Not a valid URL", param, "url_invalid");
  return s;
}

// Smallest amounts Stripe charges per currency (minor units); others default to 50.
const MINIMUM_AMOUNT: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  cad: 50,
  aud: 50,
  brl: 50,
  chf: 50,
  nzd: 50,
  sgd: 50,
  dkk: 250,
  nok: 300,
  sek: 300,
  pln: 200,
  czk: 1500,
  huf: 17500,
  ron: 200,
  bgn: 100,
  hkd: 400,
  mxn: 1000,
  jpy: 50,
};
const ZERO_DECIMAL = new Set([
  "bif",
  "clp",
  "djf",
  "gnf",
  "jpy",
  "kmf",
  "krw",
  "mga",
  "pyg",
  "rwf",
  "ugx",
  "vnd",
  "vuv",
  "xaf",
  "xof",
  "xpf",
]);

function formatAmount(amount: number, currency: string): string {
  if (ZERO_DECIMAL.has(currency)) return `${amount} ${currency}`;
  return `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, "0")} ${currency}`;
}

// ---------------------------------------------------------------------------
// Known parameters (Stripe's full lists, so a typo is "unknown" and a real-but-missing feature is "not implemented")

const SESSION_CREATE_KNOWN = [
  "adaptive_pricing",
  "after_expiration",
  "allow_promotion_codes",
  "allowed_payment_method_types",
  "automatic_tax",
  "billing_address_collection",
  "branding_settings",
  "cancel_url",
  "client_reference_id",
  "consent_collection",
  "currency",
  "custom_fields",
  "custom_text",
  "customer",
  "customer_account",
  "customer_creation",
  "customer_email",
  "customer_update",
  "discounts",
  "excluded_payment_method_types",
  "expand",
  "expires_at",
  "integration_identifier",
  "invoice_creation",
  "line_items",
  "locale",
  "managed_payments",
  "metadata",
  "mode",
  "name_collection",
  "optional_items",
  "origin_context",
  "payment_intent_data",
  "payment_method_collection",
  "payment_method_configuration",
  "payment_method_data",
  "payment_method_options",
  "payment_method_types",
  "permissions",
  "phone_number_collection",
  "redirect_on_completion",
  "return_url",
  "saved_payment_method_options",
  "setup_intent_data",
  "shipping_address_collection",
  "shipping_options",
  "submit_type",
  "subscription_data",
  "success_url",
  "tax_id_collection",
  "ui_mode",
  "wallet_options",
] as const;
const SESSION_CREATE_IMPLEMENTED = [
  "cancel_url",
  "client_reference_id",
  "customer_creation",
  "customer_email",
  "expand",
  "expires_at",
  "line_items",
  "locale",
  "metadata",
  "mode",
  "payment_intent_data",
  "payment_method_types",
  "submit_type",
  "success_url",
  "ui_mode",
] as const;
const LINE_ITEM_KNOWN = [
  "adjustable_quantity",
  "dynamic_tax_rates",
  "metadata",
  "price",
  "price_data",
  "quantity",
  "tax_rates",
] as const;
const LINE_ITEM_IMPLEMENTED = ["metadata", "price", "price_data", "quantity"] as const;
const PRICE_DATA_KNOWN = [
  "currency",
  "product",
  "product_data",
  "recurring",
  "tax_behavior",
  "unit_amount",
  "unit_amount_decimal",
] as const;
const PRICE_DATA_IMPLEMENTED = [
  "currency",
  "product",
  "product_data",
  "tax_behavior",
  "unit_amount",
] as const;
const PRODUCT_DATA_KNOWN = [
  "description",
  "images",
  "metadata",
  "name",
  "tax_code",
  "unit_label",
] as const;
const PRODUCT_DATA_IMPLEMENTED = [
  "description",
  "images",
  "metadata",
  "name",
  "tax_code",
  "unit_label",
] as const;
const PI_DATA_KNOWN = [
  "application_fee_amount",
  "capture_method",
  "description",
  "metadata",
  "on_behalf_of",
  "receipt_email",
  "setup_future_usage",
  "shipping",
  "statement_descriptor",
  "statement_descriptor_suffix",
  "transfer_data",
  "transfer_group",
] as const;
const PI_DATA_IMPLEMENTED = ["description", "metadata", "statement_descriptor_suffix"] as const;
const REFUND_CREATE_KNOWN = [
  "amount",
  "charge",
  "currency",
  "customer",
  "expand",
  "instructions_email",
  "metadata",
  "origin",
  "payment_intent",
  "reason",
  "refund_application_fee",
  "reverse_transfer",
] as const;
const REFUND_CREATE_IMPLEMENTED = [
  "amount",
  "charge",
  "expand",
  "instructions_email",
  "metadata",
  "payment_intent",
  "reason",
] as const;

// ---------------------------------------------------------------------------
// The server

type Reply = { status: number; body: unknown };
type Ctx = { method: string; parts: string[]; params: FormObject };

export async function startStripeFake(options: StripeFakeOptions = {}): Promise<StripeFake> {
  const secretKey = options.secretKey ?? randomId("sk_test_fake_");
  const now = options.now ?? Date.now;
  const nowSec = () => Math.floor(now() / 1000);

  const requests: LoggedRequest[] = [];
  const sessions = new Map<string, FakeCheckoutSession>();
  const lineItems = new Map<string, FakeLineItem[]>();
  const paymentIntents = new Map<string, FakePaymentIntent>();
  const refunds = new Map<string, FakeRefund>();
  const events = new Map<string, FakeEvent>();
  const piDataBySession = new Map<
    string,
    { metadata: Record<string, string>; description: string | null }
  >();
  const intentByCharge = new Map<string, string>();
  const charges = new Map<string, FakeCharge>();
  const balanceTransactions = new Map<string, FakeBalanceTransaction>();
  const disputes = new Map<string, FakeDispute>();
  let settlement: Settlement | null = null;

  /** A balance transaction in the settlement currency of a charge (`rate` null: no conversion). */
  function balanceTransaction(
    source: string,
    type: FakeBalanceTransaction["type"],
    category: FakeBalanceTransaction["reporting_category"],
    amount: number,
    currency: string,
    rate: number | null,
    fee: number,
  ): FakeBalanceTransaction {
    const bt: FakeBalanceTransaction = {
      id: randomId("txn_test_"),
      object: "balance_transaction",
      amount,
      available_on: nowSec() + 2 * 86_400,
      created: nowSec(),
      currency,
      description: null,
      exchange_rate: rate,
      fee,
      fee_details: fee
        ? [{ amount: fee, currency, description: "Stripe processing fees", type: "stripe_fee" }]
        : [],
      net: amount - fee,
      reporting_category: category,
      source,
      status: "available",
      type,
    };
    balanceTransactions.set(bt.id, bt);
    return bt;
  }
  /** The charge's settlement: its balance transaction's currency and rate. */
  function settlementOf(charge: FakeCharge) {
    const bt = balanceTransactions.get(charge.balance_transaction)!;
    return { currency: bt.currency, rate: bt.exchange_rate };
  }
  function converted(amount: number, rate: number | null) {
    return rate === null ? amount : Math.round(amount * rate);
  }
  /** The charge of a PaymentIntent that just succeeded, settled as `setSettlement` says. */
  function makeCharge(pi: FakePaymentIntent, id: string) {
    const currency = settlement?.currency.toLowerCase() ?? pi.currency;
    const rate = currency === pi.currency ? null : (settlement?.exchangeRate ?? null);
    if (currency !== pi.currency && rate === null)
      throw new Error("stripe-fake: setSettlement needs an exchangeRate for another currency");
    const settled = converted(pi.amount, rate);
    const fee = settlement?.fee ?? Math.round(settled * 0.015) + 25;
    const bt = balanceTransaction(id, "charge", "charge", settled, currency, rate, fee);
    charges.set(id, {
      id,
      object: "charge",
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      balance_transaction: bt.id,
      captured: true,
      created: nowSec(),
      currency: pi.currency,
      disputed: false,
      livemode: false,
      metadata: { ...pi.metadata },
      paid: true,
      payment_intent: pi.id,
      refunded: false,
      status: "succeeded",
    });
    intentByCharge.set(id, pi.id);
  }
  function chargeOfIntent(paymentIntentId: string): FakeCharge {
    const pi = paymentIntents.get(paymentIntentId);
    const charge = pi?.latest_charge ? charges.get(pi.latest_charge) : undefined;
    if (!charge) throw new Error(`stripe-fake: no charge for ${paymentIntentId}`);
    return charge;
  }
  function renderRefund(r: FakeRefund, expand: string[]) {
    const body: Record<string, unknown> = structuredClone(r);
    if (expand.includes("balance_transaction"))
      body.balance_transaction = structuredClone(balanceTransactions.get(r.balance_transaction));
    return body;
  }
  const idempotency = new Map<
    string,
    { method: string; path: string; fingerprint: string; reply: Reply }
  >();
  let down: DownMode = false;
  let baseUrl = "";

  /** Stripe expires open sessions at `expires_at`; the fake does it lazily whenever it looks at one. */
  function current(id: string): FakeCheckoutSession | undefined {
    const s = sessions.get(id);
    if (s && s.status === "open" && nowSec() >= s.expires_at) markExpired(s);
    return s;
  }
  function markExpired(s: FakeCheckoutSession) {
    s.status = "expired";
    s.url = null;
  }

  function render(s: FakeCheckoutSession, expand: string[]): unknown {
    const out: Record<string, unknown> = structuredClone(s);
    for (const e of expand) {
      if (e === "line_items") out.line_items = lineItemList(s.id);
      else if (e === "payment_intent")
        out.payment_intent = s.payment_intent
          ? structuredClone(paymentIntents.get(s.payment_intent))
          : null;
      else throw invalid(`This property cannot be expanded (${e}).`, "expand");
    }
    return out;
  }
  function lineItemList(id: string) {
    return {
      object: "list",
      data: structuredClone(lineItems.get(id) ?? []),
      has_more: false,
      url: `/v1/checkout/sessions/${id}/line_items`,
    };
  }

  // --- handlers -----------------------------------------------------------

  function createSession(params: FormObject): Reply {
    checkKeys(params, SESSION_CREATE_KNOWN, SESSION_CREATE_IMPLEMENTED);
    const mode =
      params.mode === undefined
        ? undefined
        : oneOf(params.mode, "mode", ["payment", "setup", "subscription"] as const);
    if (!mode) throw missing("mode");
    if (mode !== "payment")
      throw invalid(`The Stripe test fake implements only mode=payment, not ${mode}.`, "mode");
    const uiMode = asString(params.ui_mode, "ui_mode") ?? "hosted_page";
    if (uiMode !== "hosted_page" && uiMode !== "hosted")
      throw invalid(
        `The Stripe test fake implements only hosted Checkout, not ui_mode=${uiMode}.`,
        "ui_mode",
      );
    const successUrl = url(params.success_url, "success_url") ?? null;
    const cancelUrl = url(params.cancel_url, "cancel_url") ?? null;
    const customerEmail = nonEmptyString(params.customer_email, "customer_email", 800) ?? null;
    if (customerEmail !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(customerEmail))
      throw invalid(`Invalid email address: ${customerEmail}`, "customer_email", "email_invalid");
    const clientReferenceId =
      nonEmptyString(params.client_reference_id, "client_reference_id", 200) ?? null;
    const md = metadata(params.metadata, "metadata");
    const locale = asString(params.locale, "locale") ?? null;
    if (locale !== null && !/^(auto|[a-z]{2}(-[A-Z]{2})?)$/.test(locale))
      throw invalid(`Invalid locale: ${locale}`, "locale");
    const submitType =
      oneOf(params.submit_type, "submit_type", [
        "auto",
        "book",
        "donate",
        "pay",
        "subscribe",
      ] as const) ?? null;
    const customerCreation =
      oneOf(params.customer_creation, "customer_creation", ["always", "if_required"] as const) ??
      "if_required";
    const paymentMethodTypes = stringList(params.payment_method_types, "payment_method_types") ?? [
      "card",
    ];
    const expand = stringList(params.expand, "expand") ?? [];

    const piParams = hash(params.payment_intent_data, "payment_intent_data") ?? {};
    checkKeys(piParams, PI_DATA_KNOWN, PI_DATA_IMPLEMENTED, "payment_intent_data");
    const piData = {
      metadata: metadata(piParams.metadata, "payment_intent_data[metadata]"),
      description:
        nonEmptyString(piParams.description, "payment_intent_data[description]", 1000) ?? null,
    };
    nonEmptyString(
      piParams.statement_descriptor_suffix,
      "payment_intent_data[statement_descriptor_suffix]",
      22,
    );

    const created = nowSec();
    const expiresAt =
      integer(params.expires_at, "expires_at", 0, Number.MAX_SAFE_INTEGER) ?? created + 86_400;
    // A few seconds of slack on the lower bound: an app that asks for exactly
    // `now + 30 min` must not fail because a second ticked over in transit.
    if (expiresAt < created + 1800 - 5)
      throw invalid(
        "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
        "expires_at",
      );
    if (expiresAt > created + 86_400)
      throw invalid(
        "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        "expires_at",
      );

    const rawItems =
      params.line_items === undefined ? undefined : list(params.line_items, "line_items");
    if (!rawItems || rawItems.length === 0) throw missing("line_items");
    if (rawItems.length > 100)
      throw invalid("You may only specify up to 100 line items.", "line_items");
    const items: FakeLineItem[] = rawItems.map((raw, i) =>
      lineItem(raw, `line_items[${i}]`, created),
    );
    const currency = items[0]?.currency ?? "";
    if (items.some((it) => it.currency !== currency))
      throw invalid(
        "All line items must use the same currency: Checkout does not support multiple currencies in one session.",
        "line_items",
      );
    const total = items.reduce((sum, it) => sum + it.amount_total, 0);
    const min = MINIMUM_AMOUNT[currency] ?? 50;
    if (total < min)
      throw invalid(
        `The Checkout Session's total amount due must add up to at least ${formatAmount(min, currency)}`,
        "line_items",
        "amount_too_small",
      );
    if (total > 99_999_999)
      throw invalid(
        `The Checkout Session's total amount due must be no more than ${formatAmount(99_999_999, currency)}`,
        "line_items",
        "amount_too_large",
      );

    const id = randomId("cs_test_", 58);
    const session: FakeCheckoutSession = {
      id,
      object: "checkout.session",
      after_expiration: null,
      allow_promotion_codes: null,
      amount_subtotal: total,
      amount_total: total,
      automatic_tax: { enabled: false, liability: null, provider: null, status: null },
      billing_address_collection: null,
      cancel_url: cancelUrl,
      client_reference_id: clientReferenceId,
      client_secret: null,
      consent: null,
      consent_collection: null,
      created,
      currency,
      custom_fields: [],
      custom_text: {
        after_submit: null,
        shipping_address: null,
        submit: null,
        terms_of_service_acceptance: null,
      },
      customer: null,
      customer_creation: customerCreation,
      customer_details: null,
      customer_email: customerEmail,
      discounts: [],
      expires_at: expiresAt,
      invoice: null,
      invoice_creation: null,
      livemode: false,
      locale,
      metadata: md,
      mode: "payment",
      payment_intent: null, // created when the customer pays (API versions since 2022-08-01)
      payment_link: null,
      payment_method_collection: "if_required",
      payment_method_options: {},
      payment_method_types: paymentMethodTypes,
      payment_status: "unpaid",
      recovered_from: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_options: [],
      status: "open",
      submit_type: submitType,
      subscription: null,
      success_url: successUrl,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: uiMode,
      url: `${baseUrl}/pay/${id}`,
    };
    const rendered = render(session, expand); // validates `expand` before storing anything
    sessions.set(id, session);
    lineItems.set(id, items);
    piDataBySession.set(id, piData);
    return { status: 200, body: rendered };
  }

  function lineItem(raw: FormValue, p: string, created: number): FakeLineItem {
    const o = hash(raw, p);
    if (!o) throw missing(p);
    checkKeys(o, LINE_ITEM_KNOWN, LINE_ITEM_IMPLEMENTED, p);
    const price = nonEmptyString(o.price, `${p}[price]`);
    if (price !== undefined) throw noSuch("price", price, `${p}[price]`, 400);
    const pd = hash(o.price_data, `${p}[price_data]`);
    if (!pd) throw missing(`${p}[price_data]`);
    checkKeys(pd, PRICE_DATA_KNOWN, PRICE_DATA_IMPLEMENTED, `${p}[price_data]`);
    const currencyRaw = nonEmptyString(pd.currency, `${p}[price_data][currency]`);
    if (currencyRaw === undefined) throw missing(`${p}[price_data][currency]`);
    const currency = currencyRaw.toLowerCase();
    if (!/^[a-z]{3}$/.test(currency))
      throw invalid(`Invalid currency: ${currencyRaw}`, `${p}[price_data][currency]`);
    const product = nonEmptyString(pd.product, `${p}[price_data][product]`);
    if (product !== undefined) throw noSuch("product", product, `${p}[price_data][product]`, 400);
    const prod = hash(pd.product_data, `${p}[price_data][product_data]`);
    if (!prod) throw missing(`${p}[price_data][product_data]`);
    checkKeys(prod, PRODUCT_DATA_KNOWN, PRODUCT_DATA_IMPLEMENTED, `${p}[price_data][product_data]`);
    const name = nonEmptyString(prod.name, `${p}[price_data][product_data][name]`, 250);
    if (name === undefined) throw missing(`${p}[price_data][product_data][name]`);
    metadata(prod.metadata, `${p}[price_data][product_data][metadata]`);
    const unitAmount = integer(pd.unit_amount, `${p}[price_data][unit_amount]`, 0, 99_999_999);
    if (unitAmount === undefined) throw missing(`${p}[price_data][unit_amount]`);
    oneOf(pd.tax_behavior, `${p}[price_data][tax_behavior]`, [
      "exclusive",
      "inclusive",
      "unspecified",
    ] as const);
    const quantity = integer(o.quantity, `${p}[quantity]`, 1, 999_999);
    if (quantity === undefined) throw missing(`${p}[quantity]`);
    metadata(o.metadata, `${p}[metadata]`);
    const amount = unitAmount * quantity;
    return {
      id: randomId("li_test_"),
      object: "item",
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency,
      description: name,
      price: {
        id: randomId("price_test_"),
        object: "price",
        active: false,
        created,
        currency,
        livemode: false,
        metadata: {},
        product: randomId("prod_test_"),
        type: "one_time",
        unit_amount: unitAmount,
      },
      quantity,
    };
  }

  function retrieveSession(id: string, params: FormObject): Reply {
    checkKeys(params, ["expand"], ["expand"]);
    const s = current(id);
    if (!s) throw noSuch("checkout.session", id, "session", 404);
    return { status: 200, body: render(s, stringList(params.expand, "expand") ?? []) };
  }

  function listLineItems(id: string, params: FormObject): Reply {
    checkKeys(params, ["ending_before", "expand", "limit", "starting_after"], ["expand", "limit"]);
    if (!current(id)) throw noSuch("checkout.session", id, "session", 404);
    integer(params.limit, "limit", 1, 100);
    return { status: 200, body: lineItemList(id) };
  }

  function expireSessionHttp(id: string, params: FormObject): Reply {
    checkKeys(params, ["expand"], ["expand"]);
    const s = current(id);
    if (!s) throw noSuch("checkout.session", id, "session", 404);
    if (s.status !== "open")
      throw invalid(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of \`${s.status}\`.`,
        undefined,
        "checkout_session_not_open",
      );
    markExpired(s);
    return { status: 200, body: render(s, stringList(params.expand, "expand") ?? []) };
  }

  function retrievePaymentIntent(id: string, params: FormObject): Reply {
    checkKeys(params, ["client_secret", "expand"], ["expand"]);
    const pi = paymentIntents.get(id);
    if (!pi) throw noSuch("payment_intent", id, "intent", 404);
    const expand = stringList(params.expand, "expand") ?? [];
    for (const e of expand) {
      if (e !== "latest_charge" && e !== "latest_charge.balance_transaction")
        throw invalid(`This property cannot be expanded (${e}).`, "expand");
    }
    const body: Record<string, unknown> = structuredClone(pi);
    const charge = pi.latest_charge ? charges.get(pi.latest_charge) : undefined;
    if (expand.length && charge) {
      const out: Record<string, unknown> = structuredClone(charge);
      if (expand.includes("latest_charge.balance_transaction"))
        out.balance_transaction = structuredClone(
          balanceTransactions.get(charge.balance_transaction),
        );
      body.latest_charge = out;
    }
    return { status: 200, body };
  }

  function createRefund(params: FormObject): Reply {
    checkKeys(params, REFUND_CREATE_KNOWN, REFUND_CREATE_IMPLEMENTED);
    const piId = nonEmptyString(params.payment_intent, "payment_intent");
    const chargeId = nonEmptyString(params.charge, "charge");
    if (!piId && !chargeId)
      throw invalid(
        "One of the following params should be provided for this request: payment_intent or charge.",
        undefined,
        "parameter_missing",
      );
    let pi: FakePaymentIntent | undefined;
    if (piId) {
      pi = paymentIntents.get(piId);
      if (!pi) throw noSuch("payment_intent", piId, "payment_intent", 400);
      if (chargeId && pi.latest_charge !== chargeId)
        throw invalid(`Charge ${chargeId} does not belong to PaymentIntent ${piId}.`, "charge");
    } else if (chargeId) {
      const viaCharge = intentByCharge.get(chargeId);
      pi = viaCharge ? paymentIntents.get(viaCharge) : undefined;
      if (!pi) throw noSuch("charge", chargeId, "charge", 400);
    }
    if (!pi) throw missing("payment_intent");
    if (pi.status !== "succeeded" || !pi.latest_charge)
      throw invalid(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        "payment_intent",
      );
    const refunded = [...refunds.values()]
      .filter((r) => r.payment_intent === pi.id)
      .reduce((sum, r) => sum + r.amount, 0);
    const remaining = pi.amount - refunded;
    if (remaining <= 0)
      throw invalid(
        `Charge ${pi.latest_charge} has already been refunded.`,
        undefined,
        "charge_already_refunded",
      );
    const amount = integer(params.amount, "amount", 1, 99_999_999) ?? remaining;
    if (amount > remaining)
      throw invalid(
        `Refund amount (${formatAmount(amount, pi.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, pi.currency)})`,
        "amount",
        "amount_too_large",
      );
    const reason =
      oneOf(params.reason, "reason", [
        "duplicate",
        "fraudulent",
        "requested_by_customer",
      ] as const) ?? null;
    const md = metadata(params.metadata, "metadata");
    nonEmptyString(params.instructions_email, "instructions_email");
    const expand = stringList(params.expand, "expand") ?? [];
    for (const e of expand)
      if (e !== "payment_intent" && e !== "balance_transaction")
        throw invalid(`This property cannot be expanded (${e}).`, "expand");
    const refundId = randomId("re_test_");
    const charge = charges.get(pi.latest_charge);
    let btId = randomId("txn_test_");
    if (charge) {
      // Stripe takes the refund from the balance in the settlement currency; its fee stays.
      const { currency, rate } = settlementOf(charge);
      btId = balanceTransaction(
        refundId,
        "refund",
        "refund",
        -converted(amount, rate),
        currency,
        rate,
        0,
      ).id;
      charge.amount_refunded += amount;
      charge.refunded = charge.amount_refunded >= charge.amount;
    }
    const refund: FakeRefund = {
      id: refundId,
      object: "refund",
      amount,
      balance_transaction: btId,
      charge: pi.latest_charge,
      created: nowSec(),
      currency: pi.currency,
      customer: null,
      metadata: md,
      payment_intent: pi.id,
      payment_method: null,
      reason,
      receipt_number: null,
      source_transfer_reversal: null,
      status: "succeeded",
      transfer_reversal: null,
    };
    refunds.set(refund.id, refund);
    const body = renderRefund(refund, expand);
    if (expand.includes("payment_intent")) body.payment_intent = structuredClone(pi);
    return { status: 200, body };
  }

  function retrieveRefund(id: string, params: FormObject): Reply {
    checkKeys(params, ["expand"], ["expand"]);
    const r = refunds.get(id);
    if (!r) throw noSuch("refund", id, "refund", 404);
    const expand = stringList(params.expand, "expand") ?? [];
    for (const e of expand)
      if (e !== "balance_transaction")
        throw invalid(`This property cannot be expanded (${e}).`, "expand");
    return { status: 200, body: renderRefund(r, expand) };
  }

  function listRefunds(params: FormObject): Reply {
    checkKeys(
      params,
      ["charge", "created", "ending_before", "expand", "limit", "payment_intent", "starting_after"],
      ["charge", "expand", "limit", "payment_intent"],
    );
    const chargeId = nonEmptyString(params.charge, "charge");
    const piId = nonEmptyString(params.payment_intent, "payment_intent");
    const limit = integer(params.limit, "limit", 1, 100) ?? 10;
    const expand = stringList(params.expand, "expand") ?? [];
    for (const e of expand)
      if (e !== "data.balance_transaction")
        throw invalid(`This property cannot be expanded (${e}).`, "expand");
    const found = [...refunds.values()]
      .filter((r) => (!chargeId || r.charge === chargeId) && (!piId || r.payment_intent === piId))
      .reverse(); // newest first, like Stripe
    return {
      status: 200,
      body: {
        object: "list",
        data: found
          .slice(0, limit)
          .map((r) => renderRefund(r, expand.length ? ["balance_transaction"] : [])),
        has_more: found.length > limit,
        url: "/v1/refunds",
      },
    };
  }

  function retrieveCharge(id: string, params: FormObject): Reply {
    checkKeys(params, ["expand"], ["expand"]);
    const charge = charges.get(id);
    if (!charge) throw noSuch("charge", id, "charge", 404);
    const expand = stringList(params.expand, "expand") ?? [];
    const body: Record<string, unknown> = structuredClone(charge);
    for (const e of expand) {
      if (e !== "balance_transaction")
        throw invalid(`This property cannot be expanded (${e}).`, "expand");
      body.balance_transaction = structuredClone(
        balanceTransactions.get(charge.balance_transaction),
      );
    }
    return { status: 200, body };
  }

  function retrieveEvent(id: string, params: FormObject): Reply {
    checkKeys(params, ["expand"], []);
    const e = events.get(id);
    if (!e) throw noSuch("event", id, "id", 404);
    return { status: 200, body: structuredClone(e) };
  }

  function route({ method, parts, params }: Ctx): Reply {
    const [v1, a, b, c, d, ...rest] = parts;
    if (v1 === "v1" && rest.length === 0) {
      if (a === "checkout" && b === "sessions") {
        if (c === undefined && method === "POST") return createSession(params);
        if (c !== undefined && d === undefined && method === "GET")
          return retrieveSession(c, params);
        if (c !== undefined && d === "line_items" && method === "GET")
          return listLineItems(c, params);
        if (c !== undefined && d === "expire" && method === "POST")
          return expireSessionHttp(c, params);
      }
      if (a === "payment_intents" && b !== undefined && c === undefined && method === "GET")
        return retrievePaymentIntent(b, params);
      if (a === "refunds" && b === undefined && method === "POST") return createRefund(params);
      if (a === "refunds" && b === undefined && method === "GET") return listRefunds(params);
      if (a === "charges" && b !== undefined && c === undefined && method === "GET")
        return retrieveCharge(b, params);
      if (a === "refunds" && b !== undefined && c === undefined && method === "GET")
        return retrieveRefund(b, params);
      if (a === "events" && b !== undefined && c === undefined && method === "GET")
        return retrieveEvent(b, params);
    }
    throw new StripeFakeError(
      404,
      "invalid_request_error",
      `Unrecognized request URL (${method}: /${parts.join("/")}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    );
  }

  // --- authentication and idempotency ---------------------------------------

  function authenticate(headers: http.IncomingHttpHeaders) {
    const auth = headers.authorization ?? "";
    let key = "";
    if (/^Bearer /i.test(auth)) key = auth.slice(7).trim();
    else if (/^Basic /i.test(auth))
      key = Buffer.from(auth.slice(6).trim(), "base64").toString("utf8").replace(/:.*$/, "");
    if (!key)
      throw new StripeFakeError(
        401,
        "invalid_request_error",
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      );
    if (key !== secretKey)
      throw new StripeFakeError(
        401,
        "invalid_request_error",
        `Invalid API Key provided: ${redact(key)}`,
        "api_key_invalid",
      );
  }

  function fingerprint(raw: string): string {
    const pairs = raw
      .split("&")
      .filter(Boolean)
      .map((p) => {
        const eq = p.indexOf("=");
        return eq < 0
          ? [decodeFormComponent(p), ""]
          : [decodeFormComponent(p.slice(0, eq)), decodeFormComponent(p.slice(eq + 1))];
      })
      .map(([k, v]) => `${k}=${v}`);
    return JSON.stringify(pairs.sort());
  }

  function handleApi(
    method: string,
    path: string,
    parts: string[],
    query: string,
    rawBody: string,
    headers: http.IncomingHttpHeaders,
  ): Reply & { replayed?: boolean } {
    authenticate(headers);
    const params =
      method === "GET" || method === "DELETE" ? parseStripeForm(query) : parseStripeForm(rawBody);
    const key = method === "POST" ? headerValue(headers["idempotency-key"]) : undefined;
    if (key !== undefined) {
      if (key.length > 255)
        throw invalid(
          "Idempotency keys can be at most 255 characters long.",
          undefined,
          "idempotency_key_in_use",
        );
      const fp = fingerprint(rawBody);
      const seen = idempotency.get(key);
      if (seen) {
        if (seen.method !== method || seen.path !== path)
          throw new StripeFakeError(
            400,
            "idempotency_error",
            `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${seen.method} ${seen.path}' vs '${method} ${path}'). Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        if (seen.fingerprint !== fp)
          throw new StripeFakeError(
            400,
            "idempotency_error",
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        return { ...seen.reply, replayed: true };
      }
      const reply = route({ method, parts, params });
      // Like Stripe, a request that failed validation saves no result; successes are replayed.
      if (reply.status < 300) idempotency.set(key, { method, path, fingerprint: fp, reply });
      return reply;
    }
    return route({ method, parts, params });
  }

  // --- the stand-in hosted payment page --------------------------------------

  async function payPage(method: string, id: string, res: http.ServerResponse): Promise<number> {
    const s = current(id);
    if (!s) return sendHtml(res, 404, "<h1>Checkout Session not found</h1>");
    if (s.status !== "open")
      return sendHtml(
        res,
        410,
        `<h1>This Checkout Session is no longer available</h1><p>Status: ${escapeHtml(s.status)}</p>`,
      );
    if (method === "POST") {
      const done = completeSession(id, { paymentStatus: "paid" });
      if (options.webhook)
        await deliverWebhook(
          options.webhook.url,
          event("checkout.session.completed", done),
          options.webhook.secret,
        );
      if (done.success_url) {
        res.writeHead(303, {
          Location: done.success_url.replace("{CHECKOUT_SESSION_ID}", encodeURIComponent(done.id)),
        });
        res.end();
        return 303;
      }
      return sendHtml(res, 200, "<h1>Payment complete</h1>");
    }
    const items = (lineItems.get(id) ?? [])
      .map(
        (it) =>
          `<li>${escapeHtml(it.description)} × ${it.quantity}: ${escapeHtml(formatAmount(it.amount_total, it.currency))}</li>`,
      )
      .join("");
    const cancel = s.cancel_url ? `<p><a href="${escapeHtml(s.cancel_url)}">Cancel</a></p>` : "";
    return sendHtml(
      res,
      200,
      `<h1>Test checkout</h1><ul>${items}</ul><p>Total: <strong id="total">${escapeHtml(formatAmount(s.amount_total, s.currency))}</strong></p>` +
        `<form method="post"><button type="submit" id="pay">Pay</button></form>${cancel}`,
    );
  }

  // --- control API ------------------------------------------------------------

  function completeSession(id: string, opts: CompleteOptions = {}): FakeCheckoutSession {
    const s = opts.force ? sessions.get(id) : current(id);
    if (!s) throw new Error(`stripe-fake: no Checkout Session ${id}`);
    const paid = (opts.paymentStatus ?? "paid") === "paid";
    if (s.status === "complete") {
      const pi = s.payment_intent ? paymentIntents.get(s.payment_intent) : undefined;
      if (s.payment_status === "unpaid" && paid && pi) {
        // A delayed payment method (e.g. SEPA debit) succeeded later.
        s.payment_status = "paid";
        pi.status = "succeeded";
        pi.amount_received = pi.amount;
        pi.latest_charge = randomId("ch_test_");
        makeCharge(pi, pi.latest_charge);
        return structuredClone(s);
      }
      throw new Error(
        `stripe-fake: Checkout Session ${id} is already complete (${s.payment_status})`,
      );
    }
    if (s.status === "expired" && !opts.force)
      throw new Error(
        `stripe-fake: Checkout Session ${id} has expired; pass { force: true } to complete it anyway`,
      );
    const piData = piDataBySession.get(id) ?? { metadata: {}, description: null };
    const charge = paid ? randomId("ch_test_") : null;
    const pi: FakePaymentIntent = {
      id: randomId("pi_test_"),
      object: "payment_intent",
      amount: s.amount_total,
      amount_received: paid ? s.amount_total : 0,
      created: nowSec(),
      currency: s.currency,
      description: piData.description,
      latest_charge: charge,
      livemode: false,
      metadata: { ...piData.metadata },
      payment_method_types: [...s.payment_method_types],
      status: paid ? "succeeded" : "processing",
    };
    paymentIntents.set(pi.id, pi);
    if (charge) makeCharge(pi, charge);
    s.status = "complete";
    s.payment_status = paid ? "paid" : "unpaid";
    s.payment_intent = pi.id;
    s.url = null;
    s.customer_details = {
      address: null,
      business_name: null,
      email: opts.email ?? s.customer_email ?? "buyer@example.test",
      individual_name: null,
      name: null,
      phone: null,
      tax_exempt: "none",
      tax_ids: [],
    };
    return structuredClone(s);
  }

  function expireSession(id: string): FakeCheckoutSession {
    const s = current(id);
    if (!s) throw new Error(`stripe-fake: no Checkout Session ${id}`);
    if (s.status === "complete")
      throw new Error(`stripe-fake: Checkout Session ${id} is complete and cannot expire`);
    markExpired(s);
    return structuredClone(s);
  }

  function dashboardRefund(paymentIntentId: string, amount?: number): FakeRefund {
    const params: FormObject = { payment_intent: paymentIntentId };
    if (amount !== undefined) params.amount = String(amount);
    const reply = createRefund(params);
    return structuredClone(refunds.get((reply.body as { id: string }).id)!);
  }

  function openDispute(paymentIntentId: string, opts: { fee?: number } = {}): FakeDispute {
    const charge = chargeOfIntent(paymentIntentId);
    if (charge.disputed) throw new Error(`stripe-fake: ${charge.id} is already disputed`);
    const { currency, rate } = settlementOf(charge);
    const id = randomId("dp_test_");
    const amount = charge.amount - charge.amount_refunded;
    const withdrawn = balanceTransaction(
      id,
      "adjustment",
      "dispute",
      -converted(amount, rate),
      currency,
      rate,
      opts.fee ?? 1500,
    );
    charge.disputed = true;
    const dispute: FakeDispute = {
      id,
      object: "dispute",
      amount,
      balance_transactions: [withdrawn],
      charge: charge.id,
      created: nowSec(),
      currency: charge.currency,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: paymentIntentId,
      reason: "fraudulent",
      status: "needs_response",
    };
    disputes.set(id, dispute);
    return structuredClone(dispute);
  }

  function closeDispute(disputeId: string, status: "won" | "lost"): FakeDispute {
    const dispute = disputes.get(disputeId);
    if (!dispute) throw new Error(`stripe-fake: no dispute ${disputeId}`);
    if (dispute.status === "won" || dispute.status === "lost")
      throw new Error(`stripe-fake: dispute ${disputeId} is already ${dispute.status}`);
    dispute.status = status;
    if (status === "won") {
      const withdrawn = dispute.balance_transactions[0]!;
      dispute.balance_transactions.push(
        balanceTransaction(
          disputeId,
          "adjustment",
          "dispute_reversal",
          -withdrawn.amount,
          withdrawn.currency,
          withdrawn.exchange_rate,
          0,
        ),
      );
    }
    return structuredClone(dispute);
  }

  function event<T>(type: string, object: T, opts: EventOptions<T> = {}): FakeEvent<T> {
    const e = buildEvent(type, object, { ...opts, nowMs: now() });
    events.set(e.id, e as FakeEvent);
    return e;
  }

  // --- HTTP plumbing ------------------------------------------------------------

  const hanging = new Set<http.ServerResponse>();
  let faults: RequestFault[] = [];
  const matchFault = (method: string, path: string): RequestFault["mode"] | null => {
    const i = faults.findIndex(
      (f) =>
        (!f.method || f.method === method) &&
        (typeof f.path === "string" ? f.path === path : f.path.test(path)),
    );
    const fault = faults[i];
    if (!fault) return null;
    if (fault.times !== undefined && --fault.times <= 0) faults.splice(i, 1);
    return fault.mode;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= 1_048_576) chunks.push(c);
    });
    req.on("end", () => {
      const method = req.method ?? "GET";
      const full = req.url ?? "/";
      const q = full.indexOf("?");
      const path = q < 0 ? full : full.slice(0, q);
      const query = q < 0 ? "" : full.slice(q + 1);
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const entry: LoggedRequest = {
        method,
        path,
        query: {},
        body: {},
        rawBody,
        headers: flatHeaders(req.headers),
        status: null,
        at: now(),
      };
      requests.push(entry);
      try {
        entry.query = parseStripeForm(query);
        if (method !== "GET") entry.body = parseStripeForm(rawBody);
      } catch {
        // logged raw; the handler reports the error
      }
      const parts = path.split("/").filter(Boolean).map(safeDecode);
      if (parts[0] === "pay" && parts.length === 2 && (method === "GET" || method === "POST")) {
        payPage(method, parts[1] ?? "", res).then(
          (status) => (entry.status = status),
          (err: unknown) =>
            (entry.status = sendJson(res, 500, {
              error: { type: "api_error", message: String(err) },
            })),
        );
        return;
      }
      const fault = matchFault(method, path);
      const mode = fault ?? down;
      if (mode === "refuse") {
        req.socket.resetAndDestroy();
        return;
      }
      if (mode === "hang" || mode === "lost") {
        // "lost": Stripe acts on the request; only the answer goes missing.
        if (mode === "lost") {
          try {
            handleApi(method, path, parts, query, rawBody, req.headers);
          } catch {
            // refused by Stripe: nothing happened, and nobody hears of it either
          }
        }
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      if (mode === "429") {
        entry.status = sendJson(res, 429, {
          error: {
            type: "invalid_request_error",
            code: "rate_limit",
            message: "Too many requests hit the API too quickly (simulated in the test fake).",
          },
        });
        return;
      }
      if (mode === "503") {
        entry.status = sendJson(res, 503, {
          error: {
            type: "api_error",
            message: "Stripe is temporarily unavailable (simulated outage in the test fake).",
          },
        });
        return;
      }
      try {
        if (size > 1_048_576) throw invalid("Request body too large.");
        const reply = handleApi(method, path, parts, query, rawBody, req.headers);
        entry.status = sendJson(
          res,
          reply.status,
          reply.body,
          reply.replayed ? { "Idempotent-Replayed": "true" } : {},
        );
      } catch (err) {
        if (err instanceof StripeFakeError) entry.status = sendJson(res, err.status, err.body());
        else
          entry.status = sendJson(res, 500, {
            error: {
              type: "api_error",
              message: `stripe-fake crashed: ${err instanceof Error ? err.stack : String(err)}`,
            },
          });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  const fake: StripeFake = {
    url: baseUrl,
    port,
    secretKey,
    requests,
    sessions,
    lineItems,
    paymentIntents,
    refunds,
    events,
    charges,
    balanceTransactions,
    disputes,
    setSettlement(s) {
      settlement = s;
    },
    dashboardRefund,
    chargeOf: (pi) => structuredClone(chargeOfIntent(pi)),
    openDispute,
    closeDispute,
    chargeRefundedEvent: (pi) => event("charge.refunded", structuredClone(chargeOfIntent(pi))),
    disputeEvent(type, disputeId) {
      const dispute = disputes.get(disputeId);
      if (!dispute) throw new Error(`stripe-fake: no dispute ${disputeId}`);
      return event(type, structuredClone(dispute));
    },
    completeSession,
    expireSession,
    setDown(mode) {
      down = mode;
    },
    get down() {
      return down;
    },
    failRequests(fault) {
      faults.push({ ...fault });
    },
    clearFaults() {
      faults = [];
    },
    event,
    signedWebhook,
    deliverWebhook,
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

// ---------------------------------------------------------------------------
// Small utilities

function randomId(prefix: string, length = 24): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let out = prefix;
  for (const b of randomBytes(length)) out += alphabet.charAt(b % alphabet.length);
  return out;
}

function redact(key: string): string {
  return key.length > 12
    ? `${key.slice(0, 8)}${"*".repeat(Math.min(key.length - 12, 20))}${key.slice(-4)}`
    : "****";
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(", ") : v;
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): number {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Request-Id": randomId("req_test_", 14),
    "Stripe-Version": Stripe.API_VERSION,
    ...extra,
  });
  res.end(text);
  return status;
}

function sendHtml(res: http.ServerResponse, status: number, body: string): number {
  const text = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stripe test fake</title></head><body>${body}</body></html>`;
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
  return status;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
