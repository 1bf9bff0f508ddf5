import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  PAYLOAD_CODEC_OVERHEAD_BYTES,
  payloadKeys,
} from '../../shared/node/temporal/payload-codec';
import { payloadBytes } from '../../shared/node/temporal/start-payload';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const payload = () => defaultPayloadConverter.toPayload({ prompt: 'the secret plan' });

describe('AES-GCM payload codec', () => {
  it('encrypts with the first key, marks the key id, and decrypts', async () => {
    const codec = new AesGcmPayloadCodec(new Map([['a', keyA]]));
    const [encrypted] = await codec.encode([payload()]);
    expect(Buffer.from(encrypted!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encrypted!.metadata!['encryption-key-id']!).toString()).toBe('a');
    expect(Buffer.from(encrypted!.data!).toString()).not.toContain('secret plan');
    const [decrypted] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decrypted!)).toEqual({ prompt: 'the secret plan' });
  });

  it('rotates keys: new payloads use the new key, old ones still decrypt', async () => {
    const [old] = await new AesGcmPayloadCodec(new Map([['a', keyA]])).encode([payload()]);
    const rotated = new AesGcmPayloadCodec(
      new Map([
        ['b', keyB],
        ['a', keyA],
      ]),
    );
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual({
      prompt: 'the secret plan',
    });
    const [fresh] = await rotated.encode([payload()]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('b');
    await expect(new AesGcmPayloadCodec(new Map([['a', keyA]])).decode([fresh!])).rejects.toThrow(
      "no payload key 'b'",
    );
  });

  it('passes unencrypted payloads through and refuses tampered ones', async () => {
    const codec = new AesGcmPayloadCodec(new Map([['a', keyA]]));
    const plain = payload();
    expect(await codec.decode([plain])).toEqual([plain]);
    const [encrypted] = await codec.encode([payload()]);
    encrypted!.data![20]! ^= 1;
    await expect(codec.decode([encrypted!])).rejects.toThrow();
  });

  it('adds less than PAYLOAD_CODEC_OVERHEAD_BYTES to what Temporal measures', async () => {
    const keyId = 'k'.repeat(64);
    const codec = new AesGcmPayloadCodec(new Map([[keyId, keyA]]));
    const value = { plan: 'x'.repeat(100_000), inputs: { topic: 'ü'.repeat(1000) } };
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    const measured = temporal.api.common.v1.Payload.encode(encrypted!).finish().length;
    expect(measured).toBeLessThanOrEqual(payloadBytes(value));
    expect(measured).toBeGreaterThan(payloadBytes(value) - PAYLOAD_CODEC_OVERHEAD_BYTES);
  });

  it('reads KASAL_PAYLOAD_KEYS, or derives a key from the encryption key', () => {
    const keys = payloadKeys(`new:${'ab'.repeat(32)},old:${'cd'.repeat(32)}`, keyA);
    expect([...keys.keys()]).toEqual(['new', 'old']);
    const derived = payloadKeys(undefined, keyA);
    expect(derived.get('k0')).toHaveLength(32);
    expect(derived.get('k0')).not.toEqual(keyA);
  });
});
