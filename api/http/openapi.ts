/** The OpenAPI 3.1 document, generated from the zod schemas the routes validate with. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';

export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A token from POST /api/v1/auth/login (or your identity provider), or an API key',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  });
  return registry;
}

export function buildOpenApiDocument(registry: OpenAPIRegistry, serverUrl: string) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Kasal API',
      version: '1.0.0',
      description:
        'Define agents, tasks and crews, and run them as durable Temporal workflows. Errors share one shape: `{ "error": { "code", "message", "details" } }`.',
    },
    servers: [{ url: serverUrl }],
  });
}
