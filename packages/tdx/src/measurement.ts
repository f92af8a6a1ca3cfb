import { constantTimeEqual as bytesEqual, type Digest, id, toHex } from '@mosaik/id';
import { fromHex } from './bytes.js';
import { TdxConfigError } from './errors.js';
import type { TdReport } from './quote.js';

/** Anything a 48-byte measurement can be given as: bytes, 96 hex chars, or a {@link Measurement}. */
export type MeasurementInput = Uint8Array | string | Measurement;

/** One 48-byte (SHA-384 sized) TDX measurement register value: MRTD or an RTMR. */
export class Measurement {
  /** Bytes in a measurement. */
  static readonly LENGTH = 48;
  /** A private copy of the 48 bytes. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    Object.freeze(this);
  }

  /**
   * A measurement from 48 bytes, 96 hex characters (case-insensitive, optional `0x`), or
   * another measurement.
   *
   * @throws TdxConfigError on a wrong length or bad hex.
   */
  static from(input: MeasurementInput): Measurement {
    if (input instanceof Measurement) return input;
    let bytes: Uint8Array | undefined;
    if (typeof input === 'string') {
      bytes = fromHex(input.startsWith('0x') ? input.slice(2) : input);
      if (bytes === undefined) throw new TdxConfigError('measurement hex is not valid hex');
    } else if (input instanceof Uint8Array) {
      bytes = new Uint8Array(input);
    } else {
      throw new TdxConfigError('measurement must be bytes, hex or a Measurement');
    }
    if (bytes.length !== Measurement.LENGTH) {
      throw new TdxConfigError(`measurement must be ${Measurement.LENGTH} bytes, got ${bytes.length}`);
    }
    return new Measurement(bytes);
  }

  /** Whether this equals `other` byte for byte. */
  equals(other: MeasurementInput): boolean {
    return bytesEqual(this.bytes, other instanceof Measurement ? other.bytes : Measurement.from(other).bytes);
  }

  /** Lowercase hex. */
  toString(): string {
    return toHex(this.bytes);
  }

  toJSON(): string {
    return this.toString();
  }
}

/** The five registers that identify a TD's software: MRTD and RTMR0–3. */
export class Measurements {
  /** Build-time measurement of the initial TD image (TDVF/OVMF firmware and its config). */
  readonly mrtd: Measurement;
  /** RTMR0: firmware configuration; RTMR1: OS loader and kernel; RTMR2: kernel command line
   * and initrd (OS/application level); RTMR3: runtime, extended by the TD itself. */
  readonly rtmr: readonly [Measurement, Measurement, Measurement, Measurement];

  constructor(
    mrtd: MeasurementInput,
    rtmr: readonly [MeasurementInput, MeasurementInput, MeasurementInput, MeasurementInput],
  ) {
    this.mrtd = Measurement.from(mrtd);
    this.rtmr = [
      Measurement.from(rtmr[0]),
      Measurement.from(rtmr[1]),
      Measurement.from(rtmr[2]),
      Measurement.from(rtmr[3]),
    ];
    Object.freeze(this);
  }

  /** The measurements in a TD report. */
  static fromReport(report: TdReport): Measurements {
    return new Measurements(report.mrTd, report.rtmr);
  }

  get rtmr0(): Measurement {
    return this.rtmr[0];
  }
  get rtmr1(): Measurement {
    return this.rtmr[1];
  }
  get rtmr2(): Measurement {
    return this.rtmr[2];
  }
  get rtmr3(): Measurement {
    return this.rtmr[3];
  }
}

/** The four runtime measurement registers RTMR0..RTMR3; `undefined` where a criterion leaves one open. */
export type Rtmrs = readonly [
  Measurement | undefined,
  Measurement | undefined,
  Measurement | undefined,
  Measurement | undefined,
];

/** Partial measurements, as accepted by {@link MeasurementsCriteria.of}. */
export interface CriteriaInput {
  readonly mrtd?: MeasurementInput;
  readonly rtmr0?: MeasurementInput;
  readonly rtmr1?: MeasurementInput;
  readonly rtmr2?: MeasurementInput;
  readonly rtmr3?: MeasurementInput;
}

/**
 * Required values for some of the five registers; unset registers match anything. Immutable:
 * the `with*` methods return a new criteria set.
 */
export class MeasurementsCriteria {
  /** Domain of {@link MeasurementsCriteria.signature}. */
  static readonly SIGNATURE_DOMAIN = 'mosaik.tee.tdx.measurements-criteria.v1';
  private static readonly EMPTY = new MeasurementsCriteria(undefined, [
    undefined,
    undefined,
    undefined,
    undefined,
  ]);

  readonly mrtd: Measurement | undefined;
  readonly rtmr: Rtmrs;

  private constructor(mrtd: Measurement | undefined, rtmr: Rtmrs) {
    this.mrtd = mrtd;
    this.rtmr = rtmr;
    Object.freeze(this);
  }

  /** Criteria that match every quote. */
  static empty(): MeasurementsCriteria {
    return MeasurementsCriteria.EMPTY;
  }

  /** Criteria requiring the given registers. */
  static of(input: CriteriaInput): MeasurementsCriteria {
    const m = (v: MeasurementInput | undefined) => (v === undefined ? undefined : Measurement.from(v));
    return new MeasurementsCriteria(m(input.mrtd), [
      m(input.rtmr0),
      m(input.rtmr1),
      m(input.rtmr2),
      m(input.rtmr3),
    ]);
  }

  /** Criteria requiring all five registers to equal `measurements`. */
  static exactly(measurements: Measurements): MeasurementsCriteria {
    return new MeasurementsCriteria(measurements.mrtd, [...measurements.rtmr]);
  }

  /** A copy that also requires MRTD = `m`. */
  withMrtd(m: MeasurementInput): MeasurementsCriteria {
    return new MeasurementsCriteria(Measurement.from(m), this.rtmr);
  }

  /** A copy that also requires RTMR`index` = `m`. */
  withRtmr(index: 0 | 1 | 2 | 3, m: MeasurementInput): MeasurementsCriteria {
    if (![0, 1, 2, 3].includes(index)) throw new TdxConfigError(`RTMR index must be 0..3, got ${index}`);
    const rtmr = [...this.rtmr] as [
      Measurement | undefined,
      Measurement | undefined,
      Measurement | undefined,
      Measurement | undefined,
    ];
    rtmr[index] = Measurement.from(m);
    return new MeasurementsCriteria(this.mrtd, rtmr);
  }

  /** Whether no register is constrained. */
  get isEmpty(): boolean {
    return this.mrtd === undefined && this.rtmr.every((r) => r === undefined);
  }

  /** The first register that does not match (`'mrtd'`, `'rtmr0'`...), or `undefined` if all do. */
  mismatch(measurements: Measurements): string | undefined {
    if (this.mrtd && !this.mrtd.equals(measurements.mrtd)) return 'mrtd';
    for (let i = 0; i < 4; i++) {
      const want = this.rtmr[i];
      if (want && !want.equals(measurements.rtmr[i]!)) return `rtmr${i}`;
    }
    return undefined;
  }

  /** Whether every constrained register equals the one in `measurements`. */
  matches(measurements: Measurements): boolean {
    return this.mismatch(measurements) === undefined;
  }

  /**
   * A deterministic id of these criteria: the domain id derived in turn with each register,
   * or a fixed 48-byte filler (`0x09` for MRTD, `0x01`..`0x04` for RTMR0–3) when unset.
   */
  signature(): Digest {
    let s = id(MeasurementsCriteria.SIGNATURE_DOMAIN);
    s = s.derive(this.mrtd?.bytes ?? new Uint8Array(48).fill(0x09));
    for (let i = 0; i < 4; i++) s = s.derive(this.rtmr[i]?.bytes ?? new Uint8Array(48).fill(i + 1));
    return s;
  }
}
