import "@remix-run/node";

declare module "@remix-run/node" {
  interface AppLoadContext {
    cspNonce?: string;
    clientAddress?: string;
    /** Unique to the response (utils/page-cache.server.ts renews it in each cached copy). */
    responseToken?: string;
  }
  interface Future {
    v3_singleFetch: true;
  }
}
