/**
 * The API's OpenAPI document as a contract: every answer the tests receive must have a status
 * the document lists for its operation and, when it has a JSON body, match the documented
 * schema. The test API harness checks every response with it; violations fail the test file.
 */
import { Validator, type Schema } from '@cfworker/json-schema';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, unknown>;
}

interface Route {
  template: string;
  pattern: RegExp;
  operations: Record<string, Operation>;
}

export class OpenApiContract {
  private readonly routes: Route[];
  private readonly validators = new Map<Schema, Validator>();
  readonly violations: string[] = [];

  constructor(private readonly document: OpenApiDocument) {
    this.routes = Object.entries(document.paths).map(([template, operations]) => ({
      template,
      operations,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** Checks one answer; records and returns what breaks the contract (nothing when it holds). */
  check(method: string, url: string, status: number, contentType: string | null, text: string) {
    const found = this.operation(method, new URL(url, 'http://api').pathname);
    if (!found) return []; // not an operation of the document (the routeNotFound answer)
    const { template, operation } = found;
    const where = `${method.toUpperCase()} ${template} → ${status}`;
    const response = operation.responses[String(status)];
    const problems: string[] = [];
    if (!response) {
      problems.push(
        `${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`,
      );
    } else if (contentType?.includes('application/json') && text) {
      const schema = response.content?.['application/json']?.schema;
      if (!schema) problems.push(`${where}: JSON body where the document describes none`);
      else problems.push(...this.validate(schema, JSON.parse(text), where));
    }
    this.violations.push(...problems);
    return problems;
  }

  private operation(method: string, pathname: string) {
    // A literal path wins over a template (`/executions/stream` over `/executions/{id}`).
    const matches = this.routes.filter((route) => route.pattern.test(pathname));
    matches.sort((a, b) => placeholders(a.template) - placeholders(b.template));
    for (const route of matches) {
      const operation = route.operations[method.toLowerCase()];
      if (operation) return { template: route.template, operation };
    }
    return undefined;
  }

  private validate(schema: Schema, value: unknown, where: string): string[] {
    let validator = this.validators.get(schema);
    if (!validator) {
      // Component references (#/components/schemas/…) resolve inside this root.
      const root = { ...schema, components: this.document.components } as Schema;
      validator = new Validator(root, '2020-12', false);
      this.validators.set(schema, validator);
    }
    const result = validator.validate(value);
    if (result.valid) return [];
    const errors = result.errors
      .filter((error) => !['properties', 'allOf', 'anyOf', 'items', '$ref'].includes(error.keyword))
      .slice(0, 5)
      .map((error) => `${error.instanceLocation}: ${error.error}`);
    return [`${where}: body does not match the documented schema: ${errors.join('; ')}`];
  }
}

const placeholders = (template: string) => (template.match(/\{/g) ?? []).length;
