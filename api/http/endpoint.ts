/**
 * Declares an endpoint once: its Express route, its input validation (zod) and its OpenAPI
 * entry all come from the same definition.
 */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Permission } from '../../shared/roles';
import { fromZodError } from './error-handler';
import { ErrorBodySchema } from './error-body.schema';
import { validationError } from './errors';
import type { BodyReader } from './json-body';
import { unstorableParts } from './storable-input';
import type { AuthContext, GroupContext } from './request-context';

/**
 * A system administrator, or a caller without credentials whose request `anonymousWhen` accepts
 * (the Temporal Web UI in the local operator's browser, calling the codec).
 */
export interface SystemAdminOrAnonymous {
  anonymousWhen(req: Request): boolean;
}

/** Who may call: anyone, any signed-in user, a system admin, or a group role with a permission. */
export type Access = 'public' | 'user' | 'system_admin' | Permission | SystemAdminOrAnonymous;

type AccessContext<A extends Access> = A extends 'public'
  ? object
  : A extends SystemAdminOrAnonymous
    ? { auth?: AuthContext }
    : A extends 'user' | 'system_admin'
      ? { auth: AuthContext }
      : { auth: AuthContext; group: GroupContext };

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type HandlerContext<
  A extends Access,
  B extends z.ZodType | undefined,
  Q extends z.ZodObject | undefined,
  P extends z.ZodObject | undefined,
> = AccessContext<A> & {
  body: Out<B>;
  query: Out<Q>;
  params: Out<P>;
  req: Request;
  res: Response;
};

export interface EndpointSpec<
  A extends Access,
  B extends z.ZodType | undefined,
  Q extends z.ZodObject | undefined,
  P extends z.ZodObject | undefined,
  R extends z.ZodType | undefined,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path relative to the router, e.g. `/agents/:id`. */
  path: string;
  summary: string;
  tags: string[];
  description?: string;
  access: A;
  body?: B;
  query?: Q;
  params?: P;
  status?: 200 | 201 | 202 | 204;
  response?: R;
  /** Name of the thing being validated, for messages: `Invalid crew: …`. */
  subject?: string;
  /** Error statuses this endpoint answers beyond the common ones, with when it does. */
  errors?: ExtraErrors;
  handler(ctx: HandlerContext<A, B, Q, P>): Promise<R extends z.ZodType ? z.input<R> : void>;
}

export interface AccessGuards {
  authenticate(req: Request): Promise<AuthContext>;
  requireSystemAdmin(auth: AuthContext): void;
  resolveGroup(req: Request, auth: AuthContext, permission: Permission): Promise<GroupContext>;
}

/** 401, 403 and 404 are common to signed-in endpoints; public ones list them here when they answer them. */
export type ExtraErrors = Partial<
  Record<401 | 403 | 404 | 406 | 409 | 413 | 422 | 429 | 502 | 503, string | DocumentedError>
>;

/** An error answered in another shape than the API's own (a protocol's, say). */
interface DocumentedError {
  description: string;
  schema: z.ZodType;
}

/** What the OpenAPI document needs of an endpoint. */
interface DocumentedRoute {
  method: RouteConfig['method'];
  path: string;
  summary: string;
  tags: string[];
  description?: string;
  access: Access;
  body?: z.ZodType | undefined;
  query?: z.ZodObject | undefined;
  params?: z.ZodObject | undefined;
  status?: number;
  response?: z.ZodType | undefined;
  errors?: ExtraErrors | undefined;
}

const GroupHeaderSchema = z.object({
  'x-group-id': z.uuid().optional().meta({
    description: "The workspace to act in; defaults to the caller's personal group.",
  }),
});

const ERROR_RESPONSES = {
  400: 'Invalid input; `details.fields` names each offending field',
  401: 'Missing, expired or invalid credentials',
  403: 'The caller may not do this in this group',
  404: 'Not found (or belongs to another group)',
} as const;

/** What every endpoint that reads a body can answer. */
const BODY_ERROR_RESPONSES = {
  413: 'The request body is larger than MAX_BODY_BYTES',
  415: 'The request body is not JSON',
} as const;

/** How an endpoint reads its input, after the caller's access is checked. */
export interface InputReading {
  readBody: BodyReader;
  /** How deep JSON in a body may nest. */
  maxJsonDepth: number;
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' },
  },
} as const;

export class EndpointRouter {
  constructor(
    private readonly router: Router,
    private readonly registry: OpenAPIRegistry,
    private readonly guards: AccessGuards,
    private readonly basePath: string,
    private readonly input: InputReading,
  ) {}

  add<
    A extends Access,
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodObject | undefined = undefined,
    P extends z.ZodObject | undefined = undefined,
    R extends z.ZodType | undefined = undefined,
  >(spec: EndpointSpec<A, B, Q, P, R>): void {
    this.document(spec);
    const subject = spec.subject ?? 'request body';
    const handler: RequestHandler = async (req, res) => {
      // Credentials first: the body of a caller who may not call is never read.
      const access = await this.checkAccess(spec.access, req);
      await this.input.readBody(req, res);
      refuseUnstorable(req.params, 'path', this.input.maxJsonDepth);
      refuseUnstorable(req.query, 'query', this.input.maxJsonDepth);
      refuseUnstorable(req.body, subject, this.input.maxJsonDepth);
      const input = {
        body: parse(spec.body, req.body, subject),
        query: parse(spec.query, req.query, 'query'),
        params: parse(spec.params, req.params, 'path'),
      };
      const result = await spec.handler({ ...access, ...input, req, res } as HandlerContext<
        A,
        B,
        Q,
        P
      >);
      if (res.headersSent) return; // the handler answered itself (a stream)
      const status = spec.status ?? 200;
      if (status === 204 || result === undefined) res.status(status === 200 ? 204 : status).end();
      else res.status(status).json(result);
    };
    this.router[spec.method](spec.path, handler);
  }

  private async checkAccess(access: Access, req: Request): Promise<object> {
    if (access === 'public') return {};
    if (typeof access === 'object') {
      if (access.anonymousWhen(req)) return {};
      return this.checkAccess('system_admin', req);
    }
    const auth = await this.guards.authenticate(req);
    req.auth = auth;
    if (access === 'user') return { auth };
    if (access === 'system_admin') {
      this.guards.requireSystemAdmin(auth);
      return { auth };
    }
    const group = await this.guards.resolveGroup(req, auth, access);
    req.group = group;
    return { auth, group };
  }

  private document(spec: DocumentedRoute): void {
    const status = spec.status ?? 200;
    const isPublic = spec.access === 'public';
    const inGroup =
      typeof spec.access === 'string' && !['public', 'user', 'system_admin'].includes(spec.access);
    const errorBody = { content: { 'application/json': { schema: ErrorBodySchema } } };
    const errors: Partial<Record<number, string | DocumentedError>> = {
      ...(isPublic ? { 400: ERROR_RESPONSES[400] } : ERROR_RESPONSES),
      ...(spec.body && BODY_ERROR_RESPONSES),
      ...spec.errors,
    };
    this.registry.registerPath({
      method: spec.method,
      path: `${this.basePath}${spec.path.replace(/:(\w+)/g, '{$1}')}`,
      summary: spec.summary,
      ...(spec.description && { description: spec.description }),
      tags: spec.tags,
      security: isPublic ? [] : [{ bearerAuth: [] }, { apiKey: [] }],
      request: {
        ...(spec.params && { params: spec.params }),
        ...(spec.query && { query: spec.query }),
        ...(inGroup && { headers: GroupHeaderSchema }),
        ...(spec.body && {
          body: { required: true, content: { 'application/json': { schema: spec.body } } },
        }),
      },
      responses: {
        [status]: {
          description: status === 204 ? 'No content' : 'Success',
          ...(spec.response && {
            content: { 'application/json': { schema: spec.response } },
          }),
        },
        ...Object.fromEntries(
          Object.entries(errors).map(([code, error]) => [
            code,
            {
              ...(typeof error === 'string'
                ? { description: error, ...errorBody }
                : {
                    description: error?.description,
                    content: { 'application/json': { schema: error?.schema } },
                  }),
              ...(code === '429' && { headers: RETRY_AFTER }),
            },
          ]),
        ),
      },
    });
  }
}

function refuseUnstorable(value: unknown, what: string, maxJsonDepth: number): void {
  const issues = unstorableParts(value, maxJsonDepth);
  if (issues.length > 0) throw validationError(what, issues);
}

function parse<S extends z.ZodType | undefined>(schema: S, value: unknown, what: string): Out<S> {
  if (!schema) return undefined as Out<S>;
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data as Out<S>;
}
