// TEMPORARY until @mosaik/id lands: the same shape as its MosaikError.
export class MosaikError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
