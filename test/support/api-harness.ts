/**
 * Runs the real API in the test process: real config parsing, a real database (Postgres or
 * SQLite), the real Express app on an ephemeral port, and real signed tokens.
 */
import type { Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { answerClientErrors } from '../../api/http/client-errors';
import { ensureAdmin } from '../../api/services/seed.service';
import { createTokenService } from '../../shared/node/auth/tokens';
import type { GroupRole } from '../../shared/roles';
import { loadConfig, resolveEncryptionKey, type Config } from '../../shared/node/config';
import { createSecretBox } from '../../shared/node/crypto/secret-box';
import { initORM, prepareSchema, type Orm } from '../../shared/node/db/orm';
import { createLogger } from '../../shared/node/logger';
import {
  createLazyTemporalClient,
  createPayloadCodec,
} from '../../shared/node/temporal/connection';
import { startTelemetry, type Telemetry } from '../../shared/node/telemetry';
import { createTestDatabase, type DatabaseType, type TestDatabase } from './databases';
import { HttpClient } from './http-client';
import { OpenApiContract, type OpenApiDocument } from './openapi-contract';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const ADMIN_EMAIL = 'admin@kasal.test';
export const ADMIN_PASSWORD = 'admin-password-123';

export function temporalAddress(): string {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set (jest globalSetup starts it)');
  return address;
}

/** The environment a test API or worker runs with, on top of which tests set their own. */
export function baseTestEnv(database: TestDatabase): Record<string, string> {
  return {
    NODE_ENV: 'test',
    KASAL_HOME: mkdtempSync(path.join(tmpdir(), 'kasal-home-')),
    LOG_LEVEL: 'silent',
    TEMPORAL_ADDRESS: temporalAddress(),
    JWT_SECRET: TEST_JWT_SECRET,
    KASAL_ADMIN_EMAIL: ADMIN_EMAIL,
    KASAL_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...database.env,
  };
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
  personalGroupId: string;
}

export interface ApiHarness {
  http: HttpClient;
  config: Config;
  orm: Orm;
  database: TestDatabase;
  /** Tracing, when the test configured an OTLP endpoint; a test worker shares it. */
  telemetry: Telemetry | undefined;
  adminToken: string;
  login(email: string, password: string): Promise<string>;
  /** Creates a user through the admin API and returns their token and personal group. */
  createUser(email: string, password?: string): Promise<TestUser>;
  /**
   * Makes the user a member of the group the way people do: a group admin (the system admin
   * unless `adminToken` says otherwise) invites their email and they accept.
   */
  addMember(
    groupId: string,
    member: { email: string; token: string },
    role: GroupRole,
    adminToken?: string,
  ): Promise<void>;
  /** Answers so far that break the OpenAPI document (close() fails when there are any). */
  contractViolations: string[];
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

export async function startApi(
  databaseType: DatabaseType,
  env: Record<string, string> = {},
  /** Start on the database (and environment) of an API that was stopped with `keepDatabase`. */
  previous?: ApiHarness,
): Promise<ApiHarness> {
  const database = previous?.database ?? (await createTestDatabase(databaseType));
  const config = loadConfig({
    ...baseTestEnv(database),
    ...env,
    ...(previous && { KASAL_HOME: previous.config.home }),
  });
  const logger = createLogger(config.logLevel, 'test-api');
  const orm = await initORM(config.database, logger);
  await prepareSchema(orm, config.database);
  await ensureAdmin(orm.em.fork(), config.admin);
  const codec = createPayloadCodec(config);
  const telemetry = startTelemetry(config, 'kasal-api');
  const temporal = createLazyTemporalClient(config.temporal, codec, telemetry);
  const app = createApp({
    telemetry,
    config,
    orm,
    logger,
    tokens: createTokenService(config.auth, TEST_JWT_SECRET),
    temporal,
    secrets: createSecretBox(resolveEncryptionKey(config)),
    codec,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  answerClientErrors(server);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const document = (await (await fetch(`${baseUrl}/api-openapi.json`)).json()) as OpenApiDocument;
  const contract = new OpenApiContract(document);
  const http = new HttpClient(baseUrl, (...answer) => contract.check(...answer));

  const login = async (email: string, password: string) => {
    const response = await http.post('/api/v1/auth/login', { body: { email, password } });
    if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.body)}`);
    return response.body.access_token as string;
  };
  const adminToken = await login(ADMIN_EMAIL, ADMIN_PASSWORD);

  return {
    http,
    config,
    orm,
    database,
    telemetry,
    adminToken,
    login,
    async createUser(email, password = 'user-password-123') {
      const created = await http.post('/api/v1/users', {
        token: adminToken,
        body: { email, password },
      });
      if (created.status !== 201) throw new Error(`createUser: ${JSON.stringify(created.body)}`);
      const token = await login(email, password);
      const me = await http.get('/api/v1/auth/me', { token });
      return { id: created.body.id, email, token, personalGroupId: me.body.current_group_id };
    },
    async addMember(groupId, member, role, invitingToken = adminToken) {
      const invited = await http.post(`/api/v1/groups/${groupId}/invitations`, {
        token: invitingToken,
        body: { email: member.email, role },
      });
      if (invited.status !== 201) throw new Error(`invite: ${JSON.stringify(invited.body)}`);
      const accepted = await http.post(`/api/v1/invitations/${invited.body.id}/accept`, {
        token: member.token,
      });
      if (accepted.status !== 200) throw new Error(`accept: ${JSON.stringify(accepted.body)}`);
    },
    contractViolations: contract.violations,
    async close(options = {}) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await temporal.connection.close();
      await orm.close();
      await telemetry?.shutdown();
      if (!options.keepDatabase) await database.drop();
      if (contract.violations.length > 0) {
        throw new Error(
          `answers that break the OpenAPI document:\n${[...new Set(contract.violations)].join('\n')}`,
        );
      }
    },
  };
}
