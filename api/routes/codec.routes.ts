/**
 * Temporal's codec-server endpoints (`/codec/encode`, `/codec/decode`), so the Temporal Web UI
 * shows decrypted payloads to system administrators (and, on the embedded setup, to the local
 * operator's browser), with what runs keep by reference (conversations, long tool results) shown
 * beside each reference; everyone else sees ciphertext.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { ExecutionStore } from '../../shared/node/store/execution-store';
import type { EndpointRouter } from '../http/endpoint';
import type { WebUiAccess } from '../http/web-ui-access';
import { withStoredContent } from '../services/codec-references';

const PayloadJsonSchema = z.object({
  metadata: z.record(z.string(), z.string()).optional().describe('base64 values'),
  data: z.string().optional().describe('base64'),
});
const PayloadsSchema = z
  .object({ payloads: z.array(PayloadJsonSchema).max(1000) })
  .meta({ id: 'CodecPayloads' });

type PayloadJson = z.infer<typeof PayloadJsonSchema>;

const fromJson = (payload: PayloadJson): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64'),
    ]),
  ),
  data: Buffer.from(payload.data ?? '', 'base64'),
});

const toJson = (payload: Payload): PayloadJson => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value ?? new Uint8Array()).toString('base64'),
    ]),
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

export function addCodecRoutes(
  endpoints: EndpointRouter,
  codec: PayloadCodec,
  store: ExecutionStore,
  webUi: WebUiAccess,
): void {
  for (const operation of ['encode', 'decode'] as const) {
    endpoints.add({
      method: 'post',
      path: `/codec/${operation}`,
      tags: ['Temporal Web UI'],
      summary: `${operation === 'encode' ? 'Encrypt' : 'Decrypt'} Temporal payloads (codec server for the Web UI)`,
      description:
        'For system administrators. With `KASAL_CODEC_LOCAL_OPERATOR` (set by `npm start`), also ' +
        'without credentials for a request from loopback whose `Origin` is the Temporal Web UI ' +
        "(`TEMPORAL_UI_URL`): the UI open in the local operator's own browser.",
      // Payloads of every group pass through here: only system administrators, and the operator
      // of an embedded platform, may decode.
      access: { anonymousWhen: (req) => webUi.isLocalOperator(req.ip, req.headers.origin) },
      body: PayloadsSchema,
      subject: 'payloads',
      response: PayloadsSchema,
      handler: async ({ body }) => {
        const payloads = await codec[operation](body.payloads.map(fromJson));
        // What a run keeps by reference is shown with its content to the people decoding it.
        const shown = operation === 'decode' ? await withStoredContent(store, payloads) : payloads;
        return { payloads: shown.map(toJson) };
      },
    });
  }
}

/** CORS for the Temporal Web UI's origin only, which calls the codec from the browser. */
export function codecCors(webUi: WebUiAccess): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (webUi.isUiOrigin(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}
