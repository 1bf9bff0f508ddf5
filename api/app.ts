/** `createApp(deps)`: the Express application, without `listen`. */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { TokenService } from '../shared/node/auth/tokens';
import type { Config } from '../shared/node/config';
import type { SecretBox } from '../shared/node/crypto/secret-box';
import type { Orm } from '../shared/node/db/orm';
import type { Logger } from '../shared/node/logger';
import type { Telemetry } from '../shared/node/telemetry';
import { EndpointRouter } from './http/endpoint';
import { errorHandler, routeNotFound } from './http/error-handler';
import { createBodyReader } from './http/json-body';
import { WebUiAccess } from './http/web-ui-access';
import { buildOpenApiDocument, createOpenApiRegistry } from './http/openapi';
import './http/request-context';
import { addMcpRoutes } from './mcp/mcp.routes';
import { createAccessGuards } from './middleware/access-guards';
import { traceRequests } from './middleware/trace-requests';
import { addAuthRoutes } from './routes/auth.routes';
import { addCodecRoutes, codecCors } from './routes/codec.routes';
import { addDefinitionsRoutes } from './routes/definitions.routes';
import { addEventsRoutes } from './routes/events.routes';
import { addExecutionsRoutes } from './routes/executions.routes';
import { addFlowImportRoutes } from './routes/flow-import.routes';
import { addHitlRoutes } from './routes/hitl.routes';
import { addGroupsRoutes } from './routes/groups.routes';
import { addHealthRoute } from './routes/health.routes';
import { addInvitationsRoutes } from './routes/invitations.routes';
import { addModelsRoutes } from './routes/models.routes';
import { addSchedulesRoutes } from './routes/schedules.routes';
import { addUsersRoutes } from './routes/users.routes';
import { addMcpServersRoutes, addToolsRoutes } from './routes/tools.routes';
import { addWebhooksRoutes } from './routes/webhooks.routes';
import { EventsService } from './services/events.service';
import { ExecutionStore } from '../shared/node/store/execution-store';
import { ObjectStore } from '../shared/node/store/object-store';
import { ExecutionReconciler } from './services/execution-reconciler';
import { ExecutionsService } from './services/executions.service';
import { GroupDeletion } from './services/group-deletion';
import { HitlService } from './services/hitl.service';
import { LoginThrottle } from './services/login-throttle';
import { WebhooksService } from './services/webhooks.service';
import { McpServersService } from './services/mcp-servers.service';
import { ModelConfigsService } from './services/model-configs.service';
import { ScheduleSync } from './services/schedule-sync';
import { SchedulesService } from './services/schedules.service';
import { StreamSlots } from './services/stream-slots';
import { ToolsService } from './services/tools.service';

export const API_BASE_PATH = '/api/v1';

export interface AppDeps {
  config: Pick<
    Config,
    | 'http'
    | 'docsEnabled'
    | 'temporal'
    | 'llm'
    | 'blobs'
    | 'webhooks'
    | 'schedules'
    | 'streams'
    | 'auth'
  >;
  orm: Orm;
  logger: Logger;
  tokens: TokenService;
  temporal: Client;
  secrets: SecretBox;
  /** The payload codec, served to the Temporal Web UI at /api/v1/codec. */
  codec: PayloadCodec;
  /** Tracing, when an OTLP endpoint is configured: one span per request. */
  telemetry?: Telemetry | undefined;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  if (deps.telemetry) app.use(traceRequests(deps.telemetry.tracer));

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming)
            ? incoming
            : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' },
    }),
  );
  app.use((req, _res, next) => {
    req.em = deps.orm.em.fork();
    next();
  });

  const registry = createOpenApiRegistry();
  addHealthRoute(app, registry, deps);

  const router = express.Router();
  const guards = createAccessGuards(deps.tokens);
  const endpoints = new EndpointRouter(router, registry, guards, API_BASE_PATH, {
    readBody: createBodyReader(deps.config.http.maxBodyBytes),
    maxJsonDepth: deps.config.http.maxJsonDepth,
  });
  const objects = deps.config.blobs && new ObjectStore(deps.config.blobs);
  const scheduleSync = new ScheduleSync({
    temporal: deps.temporal,
    taskQueue: deps.config.temporal.taskQueue,
    logger: deps.logger,
  });
  const groupDeletion = new GroupDeletion({ sync: scheduleSync, objects, logger: deps.logger });
  addAuthRoutes(endpoints, {
    tokens: deps.tokens,
    throttle: new LoginThrottle(deps.config.auth.login),
    passwordPolicy: deps.config.auth.passwordPolicy,
  });
  addUsersRoutes(endpoints, groupDeletion, deps.config.auth.passwordPolicy);
  addGroupsRoutes(endpoints, groupDeletion);
  addInvitationsRoutes(endpoints, deps.config.auth);
  addToolsRoutes(endpoints, new ToolsService(deps.secrets));
  addMcpServersRoutes(endpoints, new McpServersService(deps.secrets));
  const runLimits = { maxStartPayloadBytes: deps.config.temporal.maxStartPayloadBytes };
  addFlowImportRoutes(endpoints, runLimits);
  addDefinitionsRoutes(endpoints, runLimits);
  addEventsRoutes(endpoints, new EventsService(new StreamSlots(deps.config.streams)));
  const models = new ModelConfigsService(deps.secrets, deps.config.llm.modelsAllowPrivateNetworks);
  addModelsRoutes(endpoints, models);
  const executions = new ExecutionsService({
    temporal: deps.temporal,
    taskQueue: deps.config.temporal.taskQueue,
    historyLimits: deps.config.temporal.historyLimits,
    reconciler: new ExecutionReconciler({
      temporal: deps.temporal,
      orm: deps.orm,
      logger: deps.logger,
      namespace: deps.config.temporal.namespace,
      serverLimits: deps.config.temporal.serverHistoryLimits,
      taskQueue: deps.config.temporal.taskQueue,
    }),
    webUi: { url: deps.config.temporal.uiUrl, namespace: deps.config.temporal.namespace },
    defaultModel: deps.config.llm.defaultModel,
    ...runLimits,
    logger: deps.logger,
  });
  addExecutionsRoutes(endpoints, executions);
  addHitlRoutes(endpoints, new HitlService({ temporal: deps.temporal, logger: deps.logger }));
  addSchedulesRoutes(
    endpoints,
    new SchedulesService({
      sync: scheduleSync,
      defaultModel: deps.config.llm.defaultModel,
      ...runLimits,
      logger: deps.logger,
      limits: deps.config.schedules,
    }),
  );
  const webUi = new WebUiAccess({
    uiUrl: deps.config.temporal.uiUrl,
    localOperator: deps.config.temporal.codecLocalOperator,
  });
  app.use(`${API_BASE_PATH}/codec`, codecCors(webUi));
  addCodecRoutes(endpoints, deps.codec, new ExecutionStore(deps.orm, objects), webUi);
  addWebhooksRoutes(
    endpoints,
    new WebhooksService(deps.secrets, deps.config.webhooks.allowPrivateNetworks),
  );
  addMcpRoutes(endpoints, router, { guards, executions, logger: deps.logger });
  app.use(API_BASE_PATH, router);

  const document = buildOpenApiDocument(registry, deps.config.http.publicUrl);
  app.get('/api-openapi.json', (_req, res) => {
    res.json(document);
  });
  if (deps.config.docsEnabled) {
    app.use('/api-docs', swaggerUi.serve, swaggerUi.setup(document));
  }

  app.use(routeNotFound);
  app.use(errorHandler(deps.logger));
  return app;
}
