/** @type {import('@remix-run/dev').AppConfig} */
export default {
  // The custom Express server (server/index.ts) is bundled into the server build,
  // so it shares one module graph (one database client, one rate limiter) with the app.
  server: "./server/index.ts",
  serverBuildPath: "build/index.js",
  serverModuleFormat: "esm",
  serverDependenciesToBundle: [],
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: true,
    v3_singleFetch: true,
  },
};
