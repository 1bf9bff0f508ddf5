/**
 * Encrypts every payload the API and the workers send to Temporal (AES-256-GCM), so history at
 * rest holds no prompts or answers in clear. The key id travels in the payload's metadata, so
 * keys can rotate: the first key encrypts, every key decrypts. Payloads that are not encrypted
 * (older histories) pass through unchanged.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'AES-256-GCM';

/**
 * An upper bound of what encryption adds to a payload's data: the IV and tag, the metadata (key
 * ids included) and the protobuf framing of the payload it seals. Sizes checked against
 * Temporal's blob limit add it.
 */
export const PAYLOAD_CODEC_OVERHEAD_BYTES = 1024;

const text = (value: string) => new TextEncoder().encode(value);
const fromBytes = (value: Uint8Array | null | undefined) =>
  value ? new TextDecoder().decode(value) : undefined;

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly active: string;

  constructor(private readonly keys: ReadonlyMap<string, Buffer>) {
    const first = keys.keys().next();
    if (first.done) throw new Error('the payload codec needs at least one key');
    for (const [id, key] of keys) {
      if (key.length !== 32) throw new Error(`payload key '${id}' must be 32 bytes`);
    }
    this.active = first.value;
  }

  // async, so a failure is a rejected promise, as the SDK expects
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((payload) => {
        const key = this.keys.get(this.active) as Buffer;
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        const plain = temporal.api.common.v1.Payload.encode(payload).finish();
        const sealed = Buffer.concat([
          iv,
          cipher.update(plain),
          cipher.final(),
          cipher.getAuthTag(),
        ]);
        return {
          metadata: {
            encoding: text(ENCRYPTED_ENCODING),
            [KEY_ID]: text(this.active),
            'encryption-cipher': text(CIPHER),
          },
          data: new Uint8Array(sealed),
        };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((payload) => {
        if (fromBytes(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
        const keyId = fromBytes(payload.metadata?.[KEY_ID]) ?? '';
        const key = this.keys.get(keyId);
        if (!key) throw new Error(`no payload key '${keyId}' to decrypt with`);
        const data = Buffer.from(payload.data ?? new Uint8Array());
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
        decipher.setAuthTag(data.subarray(data.length - 16));
        const plain = Buffer.concat([
          decipher.update(data.subarray(12, data.length - 16)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain);
      }),
    );
  }
}

/**
 * The payload keys: KASAL_PAYLOAD_KEYS (`id:hex64,…`, first one encrypts) or one key derived
 * (HKDF) from the platform's encryption key, so a default setup is encrypted too.
 */
export function payloadKeys(
  configured: string | undefined,
  encryptionKey: Buffer,
): Map<string, Buffer> {
  if (!configured) {
    const derived = Buffer.from(
      hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'kasal-payloads', 32),
    );
    return new Map([['k0', derived]]);
  }
  return new Map(
    configured.split(',').map((entry) => {
      const [id, hex] = entry.split(':');
      return [id?.trim() ?? '', Buffer.from(hex?.trim() ?? '', 'hex')];
    }),
  );
}
