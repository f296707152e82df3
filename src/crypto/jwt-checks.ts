/** How far a token's `exp`, `nbf` and `iat` may be off the verifier's clock: clocks of different machines drift. */
export const CLOCK_TOLERANCE_SECONDS = 60;
