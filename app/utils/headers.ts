import type { HeadersFunction } from "@remix-run/node";

/** Pass an action's headers (e.g. Retry-After on 429) on to the document response. */
export const passActionHeaders: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const headers = new Headers(loaderHeaders);
  const retryAfter = actionHeaders.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};
