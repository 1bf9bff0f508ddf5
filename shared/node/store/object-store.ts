/**
 * Texts in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, …): the largest of what runs
 * keep by reference, when one is configured. Keys are chosen by the caller and written once.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStoreSettings } from '../config';

const DELETE_BATCH = 1000;

export class ObjectStore {
  private readonly client: S3Client;

  constructor(readonly settings: ObjectStoreSettings) {
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint && { endpoint: settings.endpoint, forcePathStyle: true }),
      ...(settings.credentials && { credentials: settings.credentials }),
    });
  }

  /** Where a text of `bytes` bytes belongs: here from `minBytes` on. */
  holds(bytes: number): boolean {
    return bytes >= this.settings.minBytes;
  }

  async put(key: string, text: string): Promise<string> {
    const objectKey = `${this.settings.prefix}${key}`;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: objectKey,
        Body: text,
        ContentType: 'text/plain; charset=utf-8',
      }),
    );
    return objectKey;
  }

  /** The text, or undefined when the object is gone. */
  async get(objectKey: string): Promise<string | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: objectKey }),
      );
      return await object.Body?.transformToString('utf-8');
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  /** Deletes objects, a thousand per request (S3's limit); throws when any is left. */
  async delete(objectKeys: readonly string[]): Promise<void> {
    const keys = [...new Set(objectKeys)];
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.settings.bucket,
          Delete: {
            Objects: keys.slice(start, start + DELETE_BATCH).map((Key) => ({ Key })),
            Quiet: true,
          },
        }),
      );
      const [failed] = result.Errors ?? [];
      if (failed) {
        throw new Error(
          `could not delete ${result.Errors?.length} objects (first: ${failed.Key}: ${failed.Code})`,
        );
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}
