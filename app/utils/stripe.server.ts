// The Stripe client. Card payment is offered only when both STRIPE_SECRET_KEY and
// STRIPE_WEBHOOK_SECRET are set. STRIPE_API_URL points the SDK at a
// Stripe-compatible server (stripe-mock, the tests' fake).
import Stripe from "stripe";
import { getEnv } from "./env.server";

export function stripeAvailable(): boolean {
  const env = getEnv();
  return Boolean(env.STRIPE_SECRET_KEY && env.STRIPE_WEBHOOK_SECRET);
}

let client: Stripe | undefined;

export function stripe(): Stripe {
  if (client) return client;
  const env = getEnv();
  if (!env.STRIPE_SECRET_KEY) throw new Error("Stripe is not configured");
  const config: Stripe.StripeConfig = {
    maxNetworkRetries: 1,
    timeout: env.STRIPE_TIMEOUT_MS,
    appInfo: { name: "solidarity-festivals" },
  };
  if (env.STRIPE_API_URL) {
    const url = new URL(env.STRIPE_API_URL);
    config.host = url.hostname;
    config.port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    config.protocol = url.protocol === "http:" ? "http" : "https";
  }
  client = new Stripe(env.STRIPE_SECRET_KEY, config);
  return client;
}

/** Forget the client (tests change the configuration). */
export function resetStripeClient() {
  client = undefined;
}

/** Verify a webhook's signature on the raw body; throws on a bad or stale one. */
export function verifyWebhook(rawBody: string, signature: string | null): Stripe.Event {
  const secret = getEnv().STRIPE_WEBHOOK_SECRET;
  if (!secret || !signature) throw new Error("missing signature");
  return stripe().webhooks.constructEvent(rawBody, signature, secret);
}
