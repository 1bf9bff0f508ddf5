/**
 * A flow: crews as steps, start points, listeners (AND / OR over earlier steps, or a router's
 * route), routers that choose a named route by conditions over state and step outputs, shared
 * state (free-form or typed by a JSON Schema), and approval gates on edges.
 */
import { z } from 'zod';
import { JsonSchemaObjectSchema, LocalKeySchema, NameSchema, UuidSchema } from './common.schema';
import { CrewSpecSchema } from './crew.schema';

export const LISTEN_CONDITIONS = ['AND', 'OR'] as const;

export const FlowListenSchema = z.union([
  z.strictObject({
    to: z.array(LocalKeySchema).min(1).describe('Steps whose completion triggers this one'),
    condition: z.enum(LISTEN_CONDITIONS).default('AND').describe('AND: all of them; OR: the first'),
  }),
  z.strictObject({
    router: LocalKeySchema.describe('A router id'),
    route: z.string().trim().min(1).describe('The route name that triggers this step'),
  }),
]);

export const FlowStepSchema = z
  .strictObject({
    id: LocalKeySchema,
    name: NameSchema.optional(),
    crew_id: UuidSchema.optional().describe('A saved crew'),
    crew: CrewSpecSchema.optional().describe('A crew written inline'),
    listen: FlowListenSchema.optional().describe('Absent: the step runs only as a start point'),
    inputs: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Inputs for the crew; strings may use {placeholders} of the flow state'),
    output_key: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional()
      .describe("Also keep the crew's text output in this state field"),
  })
  .superRefine((step, ctx) => {
    if ((step.crew_id === undefined) === (step.crew === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['crew_id'],
        message: 'give exactly one of "crew_id" or "crew"',
      });
    }
  });

export const FlowRouteSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  condition: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .describe('An expression over state and step outputs, e.g. `score >= 0.8 and retries < 3`'),
});

export const ON_NO_ROUTE_ACTIONS = ['end', 'fail'] as const;

export const FlowRouterSchema = z
  .strictObject({
    id: LocalKeySchema,
    after: LocalKeySchema.describe('The step whose completion runs this router'),
    routes: z.array(FlowRouteSchema).min(1).max(50),
    default_route: z.string().trim().min(1).optional().describe('Taken when no condition holds'),
    on_no_route: z
      .enum(ON_NO_ROUTE_ACTIONS)
      .optional()
      .describe(
        'When no condition holds and there is no `default_route` (a `router_no_match` event records it, and the steps that can no longer run become SKIPPED): `end` (the default) lets the flow end as COMPLETED once the rest has run; `fail` fails it. Not allowed with `default_route`.',
      ),
  })
  .superRefine((router, ctx) => {
    if (router.on_no_route !== undefined && router.default_route !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['on_no_route'],
        message:
          'give "on_no_route" or "default_route", not both: with a default route some route is always taken',
      });
    }
  });

export const TIMEOUT_ACTIONS = ['auto_reject', 'fail'] as const;

export const FlowGateSchema = z.strictObject({
  from: LocalKeySchema,
  to: LocalKeySchema,
  message: z.string().trim().min(1).max(5000),
  timeout_seconds: z.number().int().min(1).optional(),
  timeout_action: z.enum(TIMEOUT_ACTIONS).default('auto_reject'),
  require_comment: z.boolean().default(false),
  allowed_approvers: z
    .array(z.email().transform((email) => email.toLowerCase()))
    .default([])
    .describe('Emails; empty: any member of the group who may run executions'),
});

export const FlowStateSchema = z.strictObject({
  schema: JsonSchemaObjectSchema.optional().describe('Typed state: a JSON Schema object'),
  initial: z.record(z.string(), z.unknown()).default({}),
});

export const FlowSpecSchema = z
  .strictObject({
    name: NameSchema,
    description: z.string().max(10000).optional(),
    start: z.array(LocalKeySchema).min(1, 'a flow needs at least one start point'),
    steps: z.array(FlowStepSchema).min(1).max(200),
    routers: z.array(FlowRouterSchema).max(100).default([]),
    gates: z.array(FlowGateSchema).max(200).default([]),
    state: FlowStateSchema.default({ initial: {} }),
  })
  .meta({ id: 'FlowSpec' });

export type FlowSpec = z.infer<typeof FlowSpecSchema>;
export type FlowStep = z.infer<typeof FlowStepSchema>;
export type FlowRouter = z.infer<typeof FlowRouterSchema>;
export type FlowGate = z.infer<typeof FlowGateSchema>;
export type OnNoRoute = (typeof ON_NO_ROUTE_ACTIONS)[number];
