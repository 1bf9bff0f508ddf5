/**
 * The one place that reads the environment. Parsed and validated once at start; a bad or
 * missing variable fails fast with its name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { HistoryLimits } from '../plan/execution-state';
import { DEFAULT_TASK_QUEUE } from '../task-queues';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH_FLOOR,
  passwordSchema,
  type PasswordPolicy,
} from './auth/password-policy';

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
    .optional()
    .transform((value) =>
      value === undefined || value === '' ? fallback : ['true', '1', 'yes', 'on'].includes(value),
    );

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Every variable the platform reads, with its rules. Keys are the variable names. */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  KASAL_HOME: optionalString,
  HOST: z.string().default('0.0.0.0'),
  PORT: port(8000),
  PUBLIC_URL: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SQL_DEBUG: booleanFlag(false),
  DOCS_ENABLED: booleanFlag(true),
  AUTO_SEED_DATABASE: booleanFlag(true),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  KASAL_MAX_JSON_DEPTH: z.coerce.number().int().min(8).max(1000).default(64),

  DATABASE_TYPE: z.enum(['postgres', 'sqlite']).optional(),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  SQLITE_DB_PATH: optionalString,

  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE),
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),
  KASAL_CODEC_LOCAL_OPERATOR: booleanFlag(false),
  KASAL_HISTORY_MAX_EVENTS: z.coerce.number().int().min(100).max(40_000).default(10_000),
  KASAL_HISTORY_MAX_BYTES: z.coerce.number().int().min(100_000).max(40_000_000).default(4_194_304),
  TEMPORAL_HISTORY_LIMIT_EVENTS: z.coerce.number().int().min(100).default(51_200),
  TEMPORAL_HISTORY_LIMIT_BYTES: z.coerce.number().int().min(100_000).default(52_428_800),
  KASAL_WORKER_DEPLOYMENT: optionalString.pipe(
    z
      .string()
      .regex(/^[\w.-]{1,200}$/, 'letters, digits, ".", "_" and "-" only')
      .optional(),
  ),
  KASAL_WORKER_BUILD_ID: optionalString.pipe(
    z
      .string()
      .regex(/^[\w.-]{1,200}$/, 'letters, digits, ".", "_" and "-" only')
      .optional(),
  ),
  KASAL_WORKER_SET_CURRENT: booleanFlag(true),
  KASAL_BLOB_S3_BUCKET: optionalString,
  KASAL_BLOB_S3_ENDPOINT: optionalString.pipe(z.url().optional()),
  KASAL_BLOB_S3_REGION: z.string().default('us-east-1'),
  KASAL_BLOB_S3_PREFIX: z.string().default('kasal/'),
  KASAL_BLOB_S3_ACCESS_KEY_ID: optionalString,
  KASAL_BLOB_S3_SECRET_ACCESS_KEY: optionalString,
  KASAL_BLOB_S3_MIN_BYTES: z.coerce.number().int().min(1).default(262_144),
  KASAL_RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(15),
  KASAL_MAX_START_PAYLOAD_BYTES: z.coerce.number().int().min(65_536).default(1_572_864),
  KASAL_SCHEDULE_MIN_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  KASAL_SCHEDULE_MAX_PER_GROUP: z.coerce.number().int().min(1).default(50),
  KASAL_STREAMS_MAX_PER_USER: z.coerce.number().int().min(1).default(10),
  KASAL_STREAMS_MAX_PER_GROUP: z.coerce.number().int().min(1).default(50),

  JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_ISSUER: z.string().default('kasal'),
  JWT_AUDIENCE: z.string().default('kasal-api'),
  JWT_EXPIRES_IN_SECONDS: z.coerce.number().int().min(60).default(3600),
  JWKS_URL: optionalString.pipe(z.url().optional()),
  JWKS_ISSUER: optionalString,
  JWKS_AUDIENCE: optionalString,
  JWKS_EMAIL_CLAIM: z.string().default('email'),
  KASAL_PASSWORD_MIN_LENGTH: z.coerce
    .number()
    .int()
    .min(PASSWORD_MIN_LENGTH_FLOOR)
    .max(PASSWORD_MAX_LENGTH)
    .default(12),
  KASAL_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  KASAL_LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(50),
  KASAL_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  KASAL_LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(60),
  KASAL_LOGIN_MAX_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(3600),
  KASAL_INVITATION_EXPIRES_IN_DAYS: z.coerce.number().int().min(1).max(365).default(14),

  KASAL_ADMIN_EMAIL: z.email().default('admin@kasal.local'),
  KASAL_ADMIN_PASSWORD: optionalString,

  OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
  OPENAI_API_KEY: optionalString,
  KASAL_DEFAULT_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(240),
  LLM_STREAM: booleanFlag(true),
  KASAL_MODELS_ALLOW_PRIVATE_NETWORKS: booleanFlag(false),
  KASAL_ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .regex(
        /^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/,
        'must be 32 bytes as 64 hex or base64 characters',
      )
      .optional(),
  ),
  KASAL_PAYLOAD_KEYS: optionalString.pipe(
    z
      .string()
      .regex(
        /^[\w.-]+:[0-9a-fA-F]{64}(,[\w.-]+:[0-9a-fA-F]{64})*$/,
        'must be id:64-hex-characters pairs separated by commas (the first one encrypts)',
      )
      .optional(),
  ),
  KASAL_TOOLS_FILE_ROOT: optionalString,
  KASAL_TOOLS_ALLOW_PRIVATE_NETWORKS: booleanFlag(false),
  SERPER_API_KEY: optionalString,
  PERPLEXITY_API_KEY: optionalString,
  KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: booleanFlag(false),

  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url().optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(z.url().optional()),
  OTEL_SERVICE_NAME: optionalString,
});

export type Env = z.infer<typeof EnvSchema>;

/** The variable names the config module understands (checked against docker-compose.yml). */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape) as (keyof Env)[];

export type DatabaseConfig =
  | { type: 'postgres'; url: string; debug: boolean }
  | { type: 'sqlite'; path: string; debug: boolean };

export interface Config {
  env: Env['NODE_ENV'];
  home: string;
  http: {
    host: string;
    port: number;
    publicUrl: string;
    maxBodyBytes: number;
    /** How deep JSON in a request may nest (objects and arrays). */
    maxJsonDepth: number;
  };
  logLevel: Env['LOG_LEVEL'];
  docsEnabled: boolean;
  autoSeed: boolean;
  database: DatabaseConfig;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    /**
     * The Web UI open in this machine's browser may use the codec without a token (the embedded
     * setup of `npm start`, whose operator is the only user).
     */
    codecLocalOperator: boolean;
    /** KASAL_PAYLOAD_KEYS as configured; see payloadKeys(). */
    payloadKeys?: string;
    /** When runs continue as new (Temporal refuses histories past 51,200 events or 50 MB). */
    historyLimits: HistoryLimits;
    /** The server's own history limits (Temporal's defaults unless its operator changed them). */
    serverHistoryLimits: HistoryLimits;
    /** How often the API compares unfinished executions with their workflows. */
    reconcileIntervalMs: number;
    /**
     * The largest start of a run (its compiled plan with its inputs, encrypted); Temporal refuses
     * more than its blob limit (2 MiB by default).
     */
    maxStartPayloadBytes: number;
  };
  auth: {
    /** JWT_SECRET as configured; the API resolves a missing one with `resolveJwtSecret`. */
    jwtSecret?: string;
    issuer: string;
    audience: string;
    expiresInSeconds: number;
    jwks?: { url: string; issuer?: string; audience?: string; emailClaim: string };
    /** What new passwords must be (see shared/node/auth/password-policy.ts). */
    passwordPolicy: PasswordPolicy;
    login: LoginThrottleSettings;
    /** How long a group invitation waits for its invitee. */
    invitationTtlMs: number;
  };
  admin: { email: string; password?: string };
  llm: {
    baseUrl?: string;
    apiKey?: string;
    defaultModel: string;
    timeoutMs: number;
    /** Stream completions, so watchers see the text as it is written. */
    stream: boolean;
    /**
     * Whether a group's model configs may reach loopback and private addresses. The default
     * endpoint (`baseUrl`) is the operator's own and always may.
     */
    modelsAllowPrivateNetworks: boolean;
  };
  /** KASAL_ENCRYPTION_KEY as configured; see `resolveEncryptionKey`. */
  encryptionKey?: string;
  tools: {
    fileRoot?: string;
    allowPrivateNetworks: boolean;
    /** Tool settings from the environment, by variable name (SERPER_API_KEY, …). */
    variables: Record<string, string | undefined>;
  };
  webhooks: { allowPrivateNetworks: boolean };
  /** The shortest time between a schedule's runs, and how many unpaused schedules a group has. */
  schedules: { minIntervalSeconds: number; maxPerGroup: number };
  /** Event streams (SSE) open at once, counted per API process. */
  streams: { maxPerUser: number; maxPerGroup: number };
  /**
   * Temporal worker versioning: with a deployment name, workers poll as a version of it (the
   * build id, by default a hash of the workflow code) and new runs go to the current version.
   */
  workerDeployment?: { name: string; buildId?: string; setCurrent: boolean };
  /**
   * An S3-compatible object store for the largest texts runs keep by reference (tool results of
   * at least `minBytes`); without it they stay in the database.
   */
  blobs?: ObjectStoreSettings;
  /** OpenTelemetry: spans are exported to `tracesUrl` (OTLP/HTTP) when it is set. */
  telemetry: { tracesUrl?: string; serviceName?: string };
}

/**
 * Failed sign-ins allowed per account and per client address within `windowMs`; past that,
 * sign-in is refused for `lockoutMs`, doubling with each lockout in a row up to `maxLockoutMs`.
 */
export interface LoginThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  windowMs: number;
  lockoutMs: number;
  maxLockoutMs: number;
}

export interface ObjectStoreSettings {
  bucket: string;
  endpoint?: string;
  region: string;
  prefix: string;
  minBytes: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  const passwordPolicy = { minLength: env.KASAL_PASSWORD_MIN_LENGTH };
  const adminPassword =
    env.KASAL_ADMIN_PASSWORD && passwordSchema(passwordPolicy).safeParse(env.KASAL_ADMIN_PASSWORD);
  if (adminPassword && !adminPassword.success) {
    throw new ConfigError(
      adminPassword.error.issues.map((issue) => `KASAL_ADMIN_PASSWORD: ${issue.message}`),
    );
  }
  if (env.KASAL_LOGIN_MAX_LOCKOUT_SECONDS < env.KASAL_LOGIN_LOCKOUT_SECONDS) {
    throw new ConfigError([
      'KASAL_LOGIN_MAX_LOCKOUT_SECONDS: must not be less than KASAL_LOGIN_LOCKOUT_SECONDS',
    ]);
  }
  const home = path.resolve(env.KASAL_HOME ?? path.join(process.cwd(), '.kasal'));
  const databaseType = env.DATABASE_TYPE ?? (env.DATABASE_URL ? 'postgres' : 'sqlite');
  if (databaseType === 'postgres' && !env.DATABASE_URL) {
    throw new ConfigError(['DATABASE_URL: required when DATABASE_TYPE is "postgres"']);
  }
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  const uiHost = env.TEMPORAL_ADDRESS.split(':')[0] ?? 'localhost';
  // OTel's convention: the signal-specific variable is used as is, the general one gets /v1/traces.
  const tracesUrl =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT &&
      `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);

  return {
    env: env.NODE_ENV,
    home,
    http: {
      host: env.HOST,
      port: env.PORT,
      publicUrl,
      maxBodyBytes: env.MAX_BODY_BYTES,
      maxJsonDepth: env.KASAL_MAX_JSON_DEPTH,
    },
    logLevel: env.LOG_LEVEL,
    docsEnabled: env.DOCS_ENABLED,
    autoSeed: env.AUTO_SEED_DATABASE,
    database:
      databaseType === 'postgres'
        ? { type: 'postgres', url: env.DATABASE_URL as string, debug: env.SQL_DEBUG }
        : {
            type: 'sqlite',
            path: path.resolve(env.SQLITE_DB_PATH ?? path.join(home, 'kasal.db')),
            debug: env.SQL_DEBUG,
          },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      uiUrl: env.TEMPORAL_UI_URL ?? `http://${uiHost}:8233`,
      codecLocalOperator: env.KASAL_CODEC_LOCAL_OPERATOR,
      ...(env.KASAL_PAYLOAD_KEYS && { payloadKeys: env.KASAL_PAYLOAD_KEYS }),
      historyLimits: {
        max_events: env.KASAL_HISTORY_MAX_EVENTS,
        max_bytes: env.KASAL_HISTORY_MAX_BYTES,
      },
      serverHistoryLimits: {
        max_events: env.TEMPORAL_HISTORY_LIMIT_EVENTS,
        max_bytes: env.TEMPORAL_HISTORY_LIMIT_BYTES,
      },
      reconcileIntervalMs: env.KASAL_RECONCILE_INTERVAL_SECONDS * 1000,
      maxStartPayloadBytes: env.KASAL_MAX_START_PAYLOAD_BYTES,
    },
    auth: {
      ...(env.JWT_SECRET && { jwtSecret: env.JWT_SECRET }),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      expiresInSeconds: env.JWT_EXPIRES_IN_SECONDS,
      ...(env.JWKS_URL && {
        jwks: {
          url: env.JWKS_URL,
          ...(env.JWKS_ISSUER && { issuer: env.JWKS_ISSUER }),
          ...(env.JWKS_AUDIENCE && { audience: env.JWKS_AUDIENCE }),
          emailClaim: env.JWKS_EMAIL_CLAIM,
        },
      }),
      passwordPolicy,
      login: {
        maxFailuresPerAccount: env.KASAL_LOGIN_MAX_FAILURES,
        maxFailuresPerAddress: env.KASAL_LOGIN_MAX_FAILURES_PER_ADDRESS,
        windowMs: env.KASAL_LOGIN_WINDOW_SECONDS * 1000,
        lockoutMs: env.KASAL_LOGIN_LOCKOUT_SECONDS * 1000,
        maxLockoutMs: env.KASAL_LOGIN_MAX_LOCKOUT_SECONDS * 1000,
      },
      invitationTtlMs: env.KASAL_INVITATION_EXPIRES_IN_DAYS * 24 * 60 * 60 * 1000,
    },
    admin: {
      email: env.KASAL_ADMIN_EMAIL,
      ...(env.KASAL_ADMIN_PASSWORD && { password: env.KASAL_ADMIN_PASSWORD }),
    },
    llm: {
      ...(env.OPENAI_BASE_URL && { baseUrl: env.OPENAI_BASE_URL }),
      ...(env.OPENAI_API_KEY && { apiKey: env.OPENAI_API_KEY }),
      defaultModel: env.KASAL_DEFAULT_MODEL,
      timeoutMs: env.LLM_TIMEOUT_SECONDS * 1000,
      stream: env.LLM_STREAM,
      modelsAllowPrivateNetworks: env.KASAL_MODELS_ALLOW_PRIVATE_NETWORKS,
    },
    ...(env.KASAL_ENCRYPTION_KEY && { encryptionKey: env.KASAL_ENCRYPTION_KEY }),
    tools: {
      ...(env.KASAL_TOOLS_FILE_ROOT && { fileRoot: path.resolve(env.KASAL_TOOLS_FILE_ROOT) }),
      allowPrivateNetworks: env.KASAL_TOOLS_ALLOW_PRIVATE_NETWORKS,
      variables: {
        SERPER_API_KEY: env.SERPER_API_KEY,
        PERPLEXITY_API_KEY: env.PERPLEXITY_API_KEY,
      },
    },
    webhooks: { allowPrivateNetworks: env.KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS },
    schedules: {
      minIntervalSeconds: env.KASAL_SCHEDULE_MIN_INTERVAL_SECONDS,
      maxPerGroup: env.KASAL_SCHEDULE_MAX_PER_GROUP,
    },
    streams: {
      maxPerUser: env.KASAL_STREAMS_MAX_PER_USER,
      maxPerGroup: env.KASAL_STREAMS_MAX_PER_GROUP,
    },
    ...(env.KASAL_BLOB_S3_BUCKET && {
      blobs: {
        bucket: env.KASAL_BLOB_S3_BUCKET,
        ...(env.KASAL_BLOB_S3_ENDPOINT && { endpoint: env.KASAL_BLOB_S3_ENDPOINT }),
        region: env.KASAL_BLOB_S3_REGION,
        prefix: env.KASAL_BLOB_S3_PREFIX,
        minBytes: env.KASAL_BLOB_S3_MIN_BYTES,
        ...(env.KASAL_BLOB_S3_ACCESS_KEY_ID &&
          env.KASAL_BLOB_S3_SECRET_ACCESS_KEY && {
            credentials: {
              accessKeyId: env.KASAL_BLOB_S3_ACCESS_KEY_ID,
              secretAccessKey: env.KASAL_BLOB_S3_SECRET_ACCESS_KEY,
            },
          }),
      },
    }),
    ...(env.KASAL_WORKER_DEPLOYMENT && {
      workerDeployment: {
        name: env.KASAL_WORKER_DEPLOYMENT,
        ...(env.KASAL_WORKER_BUILD_ID && { buildId: env.KASAL_WORKER_BUILD_ID }),
        setCurrent: env.KASAL_WORKER_SET_CURRENT,
      },
    }),
    telemetry: {
      ...(tracesUrl && { tracesUrl }),
      ...(env.OTEL_SERVICE_NAME && { serviceName: env.OTEL_SERVICE_NAME }),
    },
  };
}

/**
 * The secret the API signs tokens with. Production requires JWT_SECRET; elsewhere a missing
 * one is generated once and kept under KASAL_HOME, so tokens survive restarts of a local
 * platform.
 */
export function resolveJwtSecret(config: Pick<Config, 'env' | 'home' | 'auth'>): string {
  return config.auth.jwtSecret ?? localSecret(config, 'JWT_SECRET', 'jwt-secret', 48);
}

/**
 * The 32-byte key that encrypts secrets at rest (model API keys). Production requires
 * KASAL_ENCRYPTION_KEY; elsewhere one is generated once under KASAL_HOME, shared by the API
 * and the worker of a local platform.
 */
export function resolveEncryptionKey(
  config: Pick<Config, 'env' | 'home' | 'encryptionKey'>,
): Buffer {
  const text =
    config.encryptionKey ?? localSecret(config, 'KASAL_ENCRYPTION_KEY', 'encryption-key', 32);
  return /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
}

function localSecret(
  config: Pick<Config, 'env' | 'home'>,
  variable: string,
  fileName: string,
  bytes: number,
): string {
  if (config.env === 'production') {
    throw new ConfigError([`${variable}: required when NODE_ENV is "production"`]);
  }
  const file = path.join(config.home, fileName);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.home, { recursive: true });
  const secret = randomBytes(bytes).toString('base64url');
  try {
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process of the same platform created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return readFileSync(file, 'utf8').trim();
    }
    throw error;
  }
}
