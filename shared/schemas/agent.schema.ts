import { z } from 'zod';
import { ModelNameSchema, NameSchema, ToolConfigsSchema, ToolNameSchema } from './common.schema';

/** An agent, with CrewAI/Kasal field names. */
export const AgentSpecSchema = z
  .strictObject({
    name: NameSchema.optional(),
    role: z.string().trim().min(1).max(2000),
    goal: z.string().trim().min(1).max(10000),
    backstory: z.string().max(20000).default(''),
    llm: ModelNameSchema.optional(),
    function_calling_llm: ModelNameSchema.optional(),
    tools: z.array(ToolNameSchema).default([]),
    tool_configs: ToolConfigsSchema.default({}),
    max_iter: z.number().int().min(1).max(200).default(25),
    max_rpm: z.number().int().min(1).max(100000).optional(),
    max_execution_time: z.number().int().min(1).optional(),
    max_retry_limit: z.number().int().min(0).max(20).default(2),
    allow_delegation: z.boolean().default(false),
    memory: z.boolean().default(true),
    cache: z.boolean().default(true),
    verbose: z.boolean().default(false),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).optional(),
    system_template: z.string().optional(),
    prompt_template: z.string().optional(),
    response_template: z.string().optional(),
    use_system_prompt: z.boolean().default(true),
    respect_context_window: z.boolean().default(true),
  })
  .meta({ id: 'AgentSpec', description: 'An agent definition (CrewAI/Kasal field names).' });

export type AgentSpec = z.infer<typeof AgentSpecSchema>;
export type AgentSpecInput = z.input<typeof AgentSpecSchema>;
