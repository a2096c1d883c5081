// Password hashing: argon2id (@node-rs/argon2 ships prebuilt binaries).
import { hash, verify } from "@node-rs/argon2";

// algorithm 2 = Argon2id (the package exports it as an ambient const enum).
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "~/models/choices";

export function hashPassword(password: string) {
  return hash(password, OPTIONS);
}

// Verified against when the account does not exist, so timing does not reveal it.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null | undefined, password: string) {
  if (!passwordHash) {
    dummyHash ??= hash("not-a-real-password", OPTIONS);
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
