/**
 * The largest texts a run keeps by reference can live in an S3-compatible object store: the
 * real AWS SDK client writes them to a local server speaking S3's REST API, the database row
 * only points at the object, and the LLM still reads the whole text.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecutionBlobEntity } from '../../shared/node/db/entities';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { startS3Server, type S3Server } from '../support/s3-server';

const LARGE = `${'Large findings. '.repeat(3000)}THE END`;
const SMALL = `${'Small findings. '.repeat(200)}the end`;

describe('object store for large stored texts', () => {
  let s3: S3Server;
  let platform: Platform;

  beforeAll(async () => {
    s3 = await startS3Server();
    const files = mkdtempSync(path.join(tmpdir(), 'kasal-s3-'));
    writeFileSync(path.join(files, 'large.txt'), LARGE);
    writeFileSync(path.join(files, 'small.txt'), SMALL);
    platform = await startPlatform({
      KASAL_TOOLS_FILE_ROOT: files,
      KASAL_BLOB_S3_BUCKET: 'kasal-blobs',
      KASAL_BLOB_S3_ENDPOINT: s3.url,
      KASAL_BLOB_S3_ACCESS_KEY_ID: 'test-key',
      KASAL_BLOB_S3_SECRET_ACCESS_KEY: 'test-secret',
      KASAL_BLOB_S3_MIN_BYTES: '10000',
      LLM_STREAM: 'false',
    });
  });
  afterAll(async () => {
    await platform?.close();
    await s3?.close();
  });

  it('keeps large tool results in the object store and small ones in the database', async () => {
    const { api, llm } = platform;
    llm.respondWith((request) => {
      const reads = request.body.messages.filter((message) => message.role === 'tool').length;
      if (reads === 0)
        return { toolCalls: [{ name: 'read_file', arguments: { path: 'large.txt' } }] };
      if (reads === 1)
        return { toolCalls: [{ name: 'read_file', arguments: { path: 'small.txt' } }] };
      return { content: 'Both read' };
    });
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Big reads',
          agents: [{ id: 'a', role: 'Reader', goal: 'Read', tools: ['read_file'] }],
          tasks: [{ id: 't', description: 'Read both files', expected_output: 'x', agent: 'a' }],
        },
      },
    });
    const execution = await finishedExecution(api, started.body.execution_id);
    expect(execution.status).toBe('COMPLETED');

    // The LLM read both results whole.
    const tools = llm.requests.at(-1)!.body.messages.filter((message) => message.role === 'tool');
    expect(tools.map((message) => message.content)).toEqual([LARGE, SMALL]);

    // The large one is an object in the bucket; its row only points at it.
    const rows = await api.orm.em
      .fork()
      .find(ExecutionBlobEntity, { executionId: started.body.execution_id });
    expect(rows).toHaveLength(2);
    const large = rows.find((row) => row.objectKey !== null)!;
    const small = rows.find((row) => row.objectKey === null)!;
    expect(large.content).toBe('');
    expect(large.objectKey).toMatch(
      new RegExp(`^kasal/${started.body.execution_id}/[0-9a-f]{64}$`),
    );
    expect(s3.objects.get(`kasal-blobs/${large.objectKey}`)).toBe(LARGE);
    expect(small.content).toBe(SMALL);
    expect(s3.requests.filter((request) => request.method === 'PUT')).toHaveLength(1);
    expect(s3.requests.filter((request) => request.method === 'GET').length).toBeGreaterThan(0);
  });
});
