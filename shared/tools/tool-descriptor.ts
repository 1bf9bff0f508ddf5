/** How a tool presents itself to an LLM: an OpenAI function definition. Bundle-safe. */
export interface ToolDescriptor {
  /** Unique name, `snake_case`; what agents list in `tools`. */
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}
