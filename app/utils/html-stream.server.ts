// React 18's streaming renderer encodes HTML into 2,048-byte buffers. When a
// character of several bytes (Cyrillic, Polish, an em dash) does not fit at the
// end of one, it starts the next buffer but still sends the whole first one,
// its last 1–3 unwritten bytes included: NUL characters inside the page's text
// (React issue #24985, fixed in React 19 by PR #26228, not in 18.3). Pages come
// through this stream, which drops those bytes. HTML has no NUL of its own to
// lose: React writes none, and every text a person types refuses control
// characters (utils/validation.ts).
import { Transform } from "node:stream";

/** The size of React 18's encoding buffer (`VIEW_SIZE` in react-dom/server). */
export const REACT_VIEW_SIZE = 2048;

/** The bytes of `chunk` React wrote: a full-size buffer loses its trailing zero bytes (at most 3). */
export function writtenBytesOf(chunk: Buffer): Buffer {
  if (chunk.length !== REACT_VIEW_SIZE) return chunk;
  let end = chunk.length;
  while (end > chunk.length - 3 && chunk[end - 1] === 0) end--;
  return end === chunk.length ? chunk : chunk.subarray(0, end);
}

/** A pass-through for React's HTML stream that leaves out the bytes it never wrote. */
export function reactHtmlStream(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, writtenBytesOf(chunk));
    },
  });
}
