import { z } from 'zod';
import { AgentSpecSchema } from './agent.schema';
import { LocalKeySchema, ModelNameSchema, NameSchema, UuidSchema } from './common.schema';
import { TaskFieldsSchema } from './task.schema';

export const CREW_PROCESSES = ['sequential', 'hierarchical'] as const;
export type CrewProcess = (typeof CREW_PROCESSES)[number];

/** An agent written inline in a crew; `id` is the key its tasks use to name it. */
export const InlineAgentSchema = AgentSpecSchema.extend({ id: LocalKeySchema }).meta({
  id: 'InlineAgent',
});

/** A task written inline in a crew; `agent` and `context` name crew-local keys or saved ids. */
export const InlineTaskSchema = TaskFieldsSchema.extend({ id: LocalKeySchema }).meta({
  id: 'InlineTask',
});

export const CrewAgentEntrySchema = z.union([
  UuidSchema.describe('The id of a saved agent'),
  InlineAgentSchema,
]);
export const CrewTaskEntrySchema = z.union([
  UuidSchema.describe('The id of a saved task'),
  InlineTaskSchema,
]);

export const CrewSpecSchema = z
  .strictObject({
    name: NameSchema,
    description: z.string().max(10000).optional(),
    process: z.enum(CREW_PROCESSES).default('sequential'),
    manager_llm: ModelNameSchema.optional(),
    planning: z.boolean().default(false),
    planning_llm: ModelNameSchema.optional(),
    memory: z.boolean().default(false),
    verbose: z.boolean().default(false),
    max_rpm: z.number().int().min(1).max(100000).optional(),
    inputs: z.record(z.string(), z.unknown()).default({}),
    agents: z.array(CrewAgentEntrySchema).min(1).max(100),
    tasks: z.array(CrewTaskEntrySchema).min(1).max(500),
  })
  .superRefine((crew, ctx) => {
    if (crew.process === 'hierarchical' && !crew.manager_llm) {
      ctx.addIssue({
        code: 'custom',
        path: ['manager_llm'],
        message: 'required when process is "hierarchical"',
      });
    }
  })
  .meta({
    id: 'CrewSpec',
    description:
      'A crew: agents and tasks, each written inline (an object with an `id`) or referenced by the id of a saved one.',
  });

export type CrewSpec = z.infer<typeof CrewSpecSchema>;
export type InlineAgent = z.infer<typeof InlineAgentSchema>;
export type InlineTask = z.infer<typeof InlineTaskSchema>;
