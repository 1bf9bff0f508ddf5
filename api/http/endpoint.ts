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
import type { AuthContext, GroupContext } from './request-context';

/** Who may call: anyone, any signed-in user, a system admin, or a group role with a permission. */
export type Access = 'public' | 'user' | 'system_admin' | Permission;

type AccessContext<A extends Access> = A extends 'public'
  ? object
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
  Record<401 | 403 | 404 | 406 | 409 | 413 | 422 | 429 | 502 | 503, string>
>;

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

/** What every endpoint that takes a body may also answer. */
const BODY_ERROR_RESPONSES = {
  413: 'The body is larger than the configured limit',
  415: 'The body is not JSON',
} as const;

const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' as const },
  },
};

export class EndpointRouter {
  constructor(
    private readonly router: Router,
    private readonly registry: OpenAPIRegistry,
    private readonly guards: AccessGuards,
    private readonly basePath: string,
  ) {}

  add<
    A extends Access,
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodObject | undefined = undefined,
    P extends z.ZodObject | undefined = undefined,
    R extends z.ZodType | undefined = undefined,
  >(spec: EndpointSpec<A, B, Q, P, R>): void {
    this.document(spec);
    const handler: RequestHandler = async (req, res) => {
      const access = await this.checkAccess(spec.access, req);
      const input = {
        body: parse(spec.body, req.body, spec.subject ?? 'request body'),
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
    const inGroup = !isPublic && spec.access !== 'user' && spec.access !== 'system_admin';
    const errorBody = { content: { 'application/json': { schema: ErrorBodySchema } } };
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
          Object.entries({
            ...(isPublic ? { 400: ERROR_RESPONSES[400] } : ERROR_RESPONSES),
            ...(spec.body && BODY_ERROR_RESPONSES),
            ...spec.errors,
          }).map(([code, description]) => [
            code,
            { description, ...errorBody, ...(code === '429' && { headers: RETRY_AFTER_HEADER }) },
          ]),
        ),
      },
    });
  }
}

function parse<S extends z.ZodType | undefined>(schema: S, value: unknown, what: string): Out<S> {
  if (!schema) return undefined as Out<S>;
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data as Out<S>;
}
