import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  loadConfig,
  resolveEncryptionKey,
  resolveJwtSecret,
} from '../../shared/node/config';
import { generatePassword } from '../../shared/node/auth/passwords';
import { passwordSchema } from '../../shared/node/auth/password-policy';
import { startTelemetry } from '../../shared/node/telemetry';

const home = () => mkdtempSync(path.join(tmpdir(), 'kasal-config-'));

describe('loadConfig', () => {
  it('defaults to an embedded SQLite database under KASAL_HOME', () => {
    const kasalHome = home();
    const config = loadConfig({ KASAL_HOME: kasalHome });
    expect(config.database).toEqual({
      type: 'sqlite',
      path: path.join(kasalHome, 'kasal.db'),
      debug: false,
    });
    expect(config.http.port).toBe(8000);
    expect(config.temporal).toMatchObject({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'kasal',
      uiUrl: 'http://localhost:8233',
      // Only `npm start` lets the local Web UI use the codec without a token.
      codecLocalOperator: false,
    });
    expect(config.docsEnabled).toBe(true);
  });

  it('reads the Web UI settings of the embedded setup, and refuses a UI URL that is not one', () => {
    const config = loadConfig({
      KASAL_HOME: home(),
      TEMPORAL_UI_URL: 'http://localhost:9233',
      KASAL_CODEC_LOCAL_OPERATOR: 'true',
    });
    expect(config.temporal).toMatchObject({
      uiUrl: 'http://localhost:9233',
      codecLocalOperator: true,
    });
    expect(() => loadConfig({ KASAL_HOME: home(), TEMPORAL_UI_URL: 'localhost 8233' })).toThrow(
      /TEMPORAL_UI_URL/,
    );
  });

  it('uses Postgres when DATABASE_URL is set', () => {
    const config = loadConfig({
      KASAL_HOME: home(),
      DATABASE_URL: 'postgres://u:p@db:5432/kasal',
      SQL_DEBUG: 'true',
    });
    expect(config.database).toEqual({
      type: 'postgres',
      url: 'postgres://u:p@db:5432/kasal',
      debug: true,
    });
  });

  it('traces only when an OTLP endpoint is configured, following OTel variable conventions', () => {
    const untraced = loadConfig({ KASAL_HOME: home() });
    expect(untraced.telemetry).toEqual({});
    expect(startTelemetry(untraced, 'kasal-api')).toBeUndefined();
    expect(
      loadConfig({ KASAL_HOME: home(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })
        .telemetry,
    ).toEqual({ tracesUrl: 'http://collector:4318/v1/traces' });
    expect(
      loadConfig({
        KASAL_HOME: home(),
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
        OTEL_SERVICE_NAME: 'kasal-eu',
      }).telemetry,
    ).toEqual({ tracesUrl: 'http://traces:4318/custom', serviceName: 'kasal-eu' });
  });

  it('limits what groups can ask of the platform, configurably', () => {
    const defaults = loadConfig({ KASAL_HOME: home() });
    expect(defaults.schedules).toEqual({ minIntervalSeconds: 60, maxPerGroup: 50 });
    expect(defaults.streams).toEqual({ maxPerUser: 10, maxPerGroup: 50 });
    expect(defaults.llm.modelsAllowPrivateNetworks).toBe(false);
    expect(defaults.webhooks.allowPrivateNetworks).toBe(false);
    const configured = loadConfig({
      KASAL_HOME: home(),
      KASAL_SCHEDULE_MIN_INTERVAL_SECONDS: '300',
      KASAL_SCHEDULE_MAX_PER_GROUP: '5',
      KASAL_STREAMS_MAX_PER_USER: '3',
      KASAL_STREAMS_MAX_PER_GROUP: '20',
      KASAL_MODELS_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    expect(configured.schedules).toEqual({ minIntervalSeconds: 300, maxPerGroup: 5 });
    expect(configured.streams).toEqual({ maxPerUser: 3, maxPerGroup: 20 });
    expect(configured.llm.modelsAllowPrivateNetworks).toBe(true);
    expect(() => loadConfig({ KASAL_SCHEDULE_MIN_INTERVAL_SECONDS: '0' })).toThrow(
      /KASAL_SCHEDULE_MIN_INTERVAL_SECONDS/,
    );
    expect(() => loadConfig({ KASAL_STREAMS_MAX_PER_USER: 'many' })).toThrow(
      /KASAL_STREAMS_MAX_PER_USER/,
    );
  });

  it('fails fast, naming each bad variable', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        DATABASE_TYPE: 'oracle',
        LOG_LEVEL: 'loud',
        JWT_SECRET: 'short',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_TYPE', 'LOG_LEVEL', 'JWT_SECRET'])
        expect(problems).toContain(name);
    }
    expect(() => loadConfig({ DATABASE_TYPE: 'postgres' })).toThrow(/DATABASE_URL: required/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL: must be a postgres/,
    );
  });

  it('holds the configured admin password to the password policy', () => {
    expect(() => loadConfig({ KASAL_ADMIN_PASSWORD: 'password' })).toThrow(
      /KASAL_ADMIN_PASSWORD: must be at least 12 characters/,
    );
    expect(() => loadConfig({ KASAL_ADMIN_PASSWORD: 'qwertyuiop123' })).toThrow(
      /KASAL_ADMIN_PASSWORD: is one of the most common passwords/,
    );
    expect(() =>
      loadConfig({ KASAL_ADMIN_PASSWORD: 'long-enough-1', KASAL_PASSWORD_MIN_LENGTH: '16' }),
    ).toThrow(/KASAL_ADMIN_PASSWORD: must be at least 16 characters/);
    expect(() => loadConfig({ KASAL_PASSWORD_MIN_LENGTH: '6' })).toThrow(
      /KASAL_PASSWORD_MIN_LENGTH/,
    );
    const config = loadConfig({ KASAL_ADMIN_PASSWORD: 'a-long-admin-password' });
    expect(config.auth.passwordPolicy).toEqual({ minLength: 12 });
    expect(config.auth.login).toEqual({
      maxFailuresPerAccount: 5,
      maxFailuresPerAddress: 50,
      windowMs: 900_000,
      lockoutMs: 60_000,
      maxLockoutMs: 3_600_000,
    });
    // The password generated for a first admin passes the policy.
    for (let i = 0; i < 20; i += 1) {
      expect(passwordSchema(config.auth.passwordPolicy).safeParse(generatePassword()).success).toBe(
        true,
      );
    }
  });

  it('requires JWT_SECRET in production and keeps a generated one locally', () => {
    const production = loadConfig({ NODE_ENV: 'production', KASAL_HOME: home() });
    expect(() => resolveJwtSecret(production)).toThrow(/JWT_SECRET: required/);

    const local = loadConfig({ KASAL_HOME: home() });
    const first = resolveJwtSecret(local);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(resolveJwtSecret(local)).toBe(first);
    expect(statSync(path.join(local.home, 'jwt-secret')).mode & 0o777).toBe(0o600);
  });
});

describe('resolveEncryptionKey', () => {
  it('reads 64 hex characters or base64, and keeps a generated key locally', () => {
    expect(resolveEncryptionKey(loadConfig({ KASAL_ENCRYPTION_KEY: 'ab'.repeat(32) }))).toEqual(
      Buffer.alloc(32, 0xab),
    );
    expect(() => loadConfig({ KASAL_ENCRYPTION_KEY: 'too-short' })).toThrow(/KASAL_ENCRYPTION_KEY/);
    const local = loadConfig({ KASAL_HOME: home() });
    const key = resolveEncryptionKey(local);
    expect(key).toHaveLength(32);
    expect(resolveEncryptionKey(local)).toEqual(key);
    expect(() =>
      resolveEncryptionKey(loadConfig({ NODE_ENV: 'production', KASAL_HOME: home() })),
    ).toThrow(/KASAL_ENCRYPTION_KEY: required/);
  });
});
