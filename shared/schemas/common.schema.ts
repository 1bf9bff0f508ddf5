import { z } from 'zod';

/** A key that names an agent or task inside one crew definition (`researcher`, `write_report`). */
export const LocalKeySchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
    'must start with a letter or underscore and contain only letters, digits, _ . - (max 64)',
  );

export const UuidSchema = z.uuid();

export const isUuid = (value: string): boolean => UuidSchema.safeParse(value).success;

export const NameSchema = z.string().trim().min(1).max(200);

export const ModelNameSchema = z.string().trim().min(1).max(200);

export const ToolNameSchema = z.string().trim().min(1).max(200);

/**
 * Settings per tool, keyed by tool name (Kasal's `tool_configs`): the tool's own settings and
 * `result_as_answer`, `timeout_seconds`, `cache`; `MCP_SERVERS: { servers: [...] }` attaches
 * MCP servers by name (or `{ name, tools }` for some of a server's tools).
 */
export const ToolConfigsSchema = z
  .record(z.string().min(1).max(200), z.record(z.string(), z.unknown()))
  .describe(
    'Per-tool settings by tool name; MCP_SERVERS: { servers: [name | { name, tools }] } attaches MCP servers',
  );

/** A JSON Schema document (checked for shape only; compiled when the task runs). */
export const JsonSchemaObjectSchema = z
  .record(z.string(), z.unknown())
  .refine((value) => typeof value.type === 'string' || 'properties' in value || '$ref' in value, {
    message: 'must be a JSON Schema object (with "type", "properties" or "$ref")',
  });

export const PaginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

export const TimestampsSchema = z.object({
  created_at: z.string(),
  updated_at: z.string(),
});
