/** The replicated `Cell` (one optional value, replaced by writes) and `Once` (first write wins). */
import { decodeCbor, encodeCbor } from '@mosaik/id';
import {
  admitted,
  type ByteMachine,
  bytes,
  fail,
  type Guard,
  OPEN_GUARD,
  optionalBytes,
  record,
  snapshotBody,
} from './common.js';
import { sameBytes } from './keys.js';

/** Commands of a Cell (the `t` tag is stable: it is in the log). */
export type CellCommand =
  | { readonly t: 0; readonly v: Uint8Array }
  | { readonly t: 1; readonly c?: Uint8Array | null; readonly n?: Uint8Array | null }
  | { readonly t: 2 };

/** One applied change of a Cell or a Once. */
export type CellChange =
  | { readonly kind: 'set'; readonly value: Uint8Array; readonly previous?: Uint8Array }
  | { readonly kind: 'clear'; readonly previous: Uint8Array };

/** Commands of a Once. */
export type OnceCommand = { readonly t: 0; readonly v: Uint8Array };

abstract class Single<C> implements ByteMachine<C, CellChange> {
  abstract readonly kind: 'cell' | 'once';
  onChange: ((change: CellChange, index: number) => void) | undefined;
  protected readonly guard: Guard;
  protected value: Uint8Array | undefined;

  constructor(guard: Guard = OPEN_GUARD) {
    this.guard = guard;
  }

  abstract apply(command: C, index: number): void;
  abstract valid(command: C): boolean;
  abstract parse(raw: unknown): C;

  size(): number {
    return this.value === undefined ? 0 : 1;
  }

  get(): Uint8Array | undefined {
    return this.value;
  }

  protected write(value: Uint8Array | undefined, index: number): void {
    const previous = this.value;
    this.value = value;
    if (value !== undefined)
      this.onChange?.(
        previous === undefined ? { kind: 'set', value } : { kind: 'set', value, previous },
        index,
      );
    else if (previous !== undefined) this.onChange?.({ kind: 'clear', previous }, index);
  }

  snapshot(): Uint8Array {
    return encodeCbor([this.kind, this.value ?? null]);
  }

  restore(snapshot: Uint8Array): void {
    this.value = optionalBytes(snapshotBody(decodeCbor(snapshot), this.kind), 'value');
  }
}

/** The Cell state machine. */
export class CellMachine extends Single<CellCommand> {
  readonly kind = 'cell' as const;

  valid(cmd: CellCommand): boolean {
    const g = this.guard;
    if (cmd.t === 0) return g.value(cmd.v);
    if (cmd.t === 1) return (cmd.c == null || g.value(cmd.c)) && (cmd.n == null || g.value(cmd.n));
    return true;
  }

  apply(cmd: CellCommand, index: number): void {
    if (!admitted(this, this.guard, cmd)) return;
    switch (cmd.t) {
      case 0:
        this.write(cmd.v, index);
        return;
      case 1: {
        const current = cmd.c ?? undefined;
        const next = cmd.n ?? undefined;
        if (sameBytes(this.value, current)) this.write(next, index);
        return;
      }
      case 2:
        this.write(undefined, index);
        return;
    }
  }

  parse(raw: unknown): CellCommand {
    const r = record(raw);
    switch (r.t) {
      case 0:
        return { t: 0, v: bytes(r.v, 'value') };
      case 1:
        return { t: 1, c: optionalBytes(r.c, 'current'), n: optionalBytes(r.n, 'new') };
      case 2:
        return { t: 2 };
      default:
        return fail(`unknown cell command ${r.t}`);
    }
  }
}

/** The Once state machine: the first write in log order sticks, later ones are no-ops. */
export class OnceMachine extends Single<OnceCommand> {
  readonly kind = 'once' as const;

  valid(cmd: OnceCommand): boolean {
    return this.guard.value(cmd.v);
  }

  apply(cmd: OnceCommand, index: number): void {
    if (!admitted(this, this.guard, cmd)) return;
    if (this.value === undefined) this.write(cmd.v, index);
  }

  parse(raw: unknown): OnceCommand {
    const r = record(raw);
    if (r.t !== 0) fail(`unknown once command ${r.t}`);
    return { t: 0, v: bytes(r.v, 'value') };
  }
}
