import { id, jsonCodec } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { defineStream } from './def.js';
import { StreamsConfigError } from './errors.js';

describe('defineStream', () => {
  it('derives the id from the name, or decodes a 64-hex name', () => {
    expect(defineStream('prices').id.equals(id('prices'))).toBe(true);
    const hex = 'ab'.repeat(32);
    expect(defineStream(hex).id.toString()).toBe(hex);
    expect(defineStream('x', { id: 'my-stream1' }).id.equals(id('my-stream1'))).toBe(true);
  });

  it('folds shared options into both sides with the reference defaults', () => {
    const always = () => true;
    const def = defineStream<string>('s', { require: always, producer: { maxConsumers: 3 } });
    expect(def.producer.require).toEqual([always]);
    expect(def.consumer.require).toEqual([always]);
    expect(def.producer.bufferSize).toBe(1024);
    expect(def.producer.disconnectLagging).toBe(true);
    expect(def.producer.maxConsumers).toBe(3);
    expect(def.consumer.prefer).toBe('all');
    expect(Object.isFrozen(def)).toBe(true);
  });

  it('validates received datums with a Standard Schema', () => {
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (v: unknown) =>
          typeof v === 'number' ? { value: v } : { issues: [{ message: 'not a number' }] },
      },
    };
    const def = defineStream<number>('n', { codec: jsonCodec(), schema });
    expect(def.decoder.decode(def.codec.encode(5))).toBe(5);
    expect(() => def.decoder.decode(new TextEncoder().encode('"five"'))).toThrow(/schema/);
  });

  it('rejects invalid options', () => {
    expect(() => defineStream('')).toThrow(StreamsConfigError);
    expect(() => defineStream('x', { producer: { bufferSize: 0 } })).toThrow(StreamsConfigError);
    expect(() => defineStream('x', { consumer: { prefer: { best: 0 } } })).toThrow(StreamsConfigError);
  });
});
