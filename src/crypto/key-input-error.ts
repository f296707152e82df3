/** Key material a caller gave that cannot be used, said per field so that the caller can fix it (a 400 at the edge). */
export class KeyInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
