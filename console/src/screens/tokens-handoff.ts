/**
 * A token the sign screen hands to the token check ("Check this token"): in this module's memory, never in the URL
 * (which lands in history) or in storage. Taken once.
 */
let handedToken: string | undefined;

export function handOverToken(token: string): void {
  handedToken = token;
}

export function takeHandedToken(): string | undefined {
  const token = handedToken;
  handedToken = undefined;
  return token;
}
