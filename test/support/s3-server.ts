/**
 * A local server that speaks the part of the S3 REST API the object store uses (path-style
 * PutObject, GetObject and DeleteObjects), so the real AWS SDK client runs against it. Objects live in memory;
 * signatures are not checked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Server {
  url: string;
  /** Objects by `<bucket>/<key>`. */
  objects: Map<string, string>;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  const objects = new Map<string, string>();
  const requests: { method: string; path: string }[] = [];
  const server: Server = createServer((req, res) => {
    const [pathPart = '/', query = ''] = (req.url ?? '/').split('?');
    const path = decodeURIComponent(pathPart).slice(1);
    requests.push({ method: req.method ?? '', path });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && new URLSearchParams(query).has('delete')) {
        // DeleteObjects: <Delete><Object><Key>…</Key></Object>…</Delete> for the bucket `path`.
        const bucket = path.replace(/\/$/, '');
        const xml = decodeBody(Buffer.concat(chunks), req.headers);
        for (const [, key = ''] of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) {
          objects.delete(`${bucket}/${unescapeXml(key)}`);
        }
        res
          .writeHead(200, { 'content-type': 'application/xml' })
          .end('<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>');
        return;
      }
      if (req.method === 'PUT') {
        objects.set(path, decodeBody(Buffer.concat(chunks), req.headers));
        res.writeHead(200, { etag: '"kasal"' }).end();
        return;
      }
      const object = objects.get(path);
      if (req.method === 'GET' && object !== undefined) {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(object);
        return;
      }
      res
        .writeHead(404, { 'content-type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The SDK may send the body in aws-chunked framing (`<hex size>;chunk-signature=…\r\n<data>\r\n`). */
function decodeBody(body: Buffer, headers: Record<string, string | string[] | undefined>): string {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  if (!encoding.includes('aws-chunked') && !sha.startsWith('STREAMING-'))
    return body.toString('utf8');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    const size = parseInt(body.subarray(offset, lineEnd).toString().split(';')[0] ?? '0', 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts).toString('utf8');
}

function unescapeXml(text: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => entities[name] ?? '');
}
