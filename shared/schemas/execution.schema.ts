import { z } from 'zod';
import { NameSchema } from './common.schema';
import { CrewSpecSchema } from './crew.schema';
import { FlowSpecSchema } from './flow.schema';

export const ExecutionRequestSchema = z
  .strictObject({
    crew_id: z.uuid().optional().describe('Run a saved crew'),
    crew: CrewSpecSchema.optional().describe('Run a crew written inline'),
    flow_id: z.uuid().optional().describe('Run a saved flow'),
    flow: FlowSpecSchema.optional().describe('Run a flow written inline'),
    agents_yaml: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .optional()
      .describe("Kasal's shape: agents keyed by name"),
    tasks_yaml: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .optional()
      .describe("Kasal's shape: tasks keyed by name"),
    name: NameSchema.optional(),
    process: z.string().optional(),
    manager_llm: z.string().optional(),
    planning: z.boolean().optional(),
    planning_llm: z.string().optional(),
    max_rpm: z.number().int().min(1).optional(),
    inputs: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((request, ctx) => {
    const kasal = request.agents_yaml !== undefined || request.tasks_yaml !== undefined;
    const given = [
      request.crew_id !== undefined,
      request.crew !== undefined,
      request.flow_id !== undefined,
      request.flow !== undefined,
      kasal,
    ].filter(Boolean);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'give exactly one of "crew_id", "crew", "flow_id", "flow", or "agents_yaml" with "tasks_yaml"',
      });
    }
    if (kasal && (request.agents_yaml === undefined || request.tasks_yaml === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [request.agents_yaml === undefined ? 'agents_yaml' : 'tasks_yaml'],
        message: 'required together with the other *_yaml field',
      });
    }
  })
  .meta({ id: 'ExecutionRequest' });

export type ExecutionRequest = z.infer<typeof ExecutionRequestSchema>;
