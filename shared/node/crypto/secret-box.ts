/** Encrypts secrets at rest with AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>` (base64url parts). */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined) {
        throw new Error('not a sealed secret');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

/** Seals a map of secrets (environment variables, headers, settings); empty: nothing. */
export function sealMap(box: SecretBox, map: Record<string, string> | undefined): string | null {
  return map && Object.keys(map).length > 0 ? box.seal(JSON.stringify(map)) : null;
}

/** Opens what `sealMap` sealed; nothing sealed: an empty map. */
export function openMap(box: SecretBox, sealed: string | null | undefined): Record<string, string> {
  return sealed ? (JSON.parse(box.open(sealed)) as Record<string, string>) : {};
}
