/**
 * Tools as the user sees them: finding one by name, checking arguments against its input
 * schema before the call (with the SDK's JSON Schema validator), and showing tools and results.
 */
import type { CallToolResult, JsonSchemaType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';

/** A problem the user can fix by changing what they typed; `code` is machine-readable. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    readonly code: 'ERR_UNKNOWN_TOOL' | 'ERR_ARGUMENTS_NOT_JSON' | 'ERR_ARGUMENTS_INVALID' | 'ERR_UNKNOWN_COMMAND' | 'ERR_TOOL_MISSING',
    message: string,
  ) {
    super(message);
  }
}

const validator = new AjvJsonSchemaValidator();

export function findTool(tools: Tool[], name: string): Tool {
  const tool = tools.find((t) => t.name === name);
  if (!tool) {
    const known = tools.length ? tools.map((t) => t.name).join(', ') : 'none';
    throw new UsageError('ERR_UNKNOWN_TOOL', `Unknown tool "${name}". Tools on this server: ${known}.`);
  }
  return tool;
}

/** Parses the JSON arguments of a call: an object, or nothing for `{}`. */
export function parseArguments(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError('ERR_ARGUMENTS_NOT_JSON', `The arguments are not valid JSON (${(err as Error).message}). Example: {"id": "COM1"}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('ERR_ARGUMENTS_NOT_JSON', 'The arguments must be a JSON object, such as {"id": "COM1"}.');
  }
  return value as Record<string, unknown>;
}

export function checkArguments(tool: Tool, args: Record<string, unknown>): void {
  const result = validator.getValidator(tool.inputSchema as JsonSchemaType)(args);
  if (!result.valid) {
    throw new UsageError(
      'ERR_ARGUMENTS_INVALID',
      `The arguments do not match the input schema of "${tool.name}": ${result.errorMessage}\nSchema: ${JSON.stringify(tool.inputSchema)}`,
    );
  }
}

export function formatTools(tools: Tool[]): string {
  if (tools.length === 0) return 'The server offers no tools.';
  return tools
    .map((tool) => {
      const lines = [`${tool.name}${tool.title && tool.title !== tool.name ? ` (${tool.title})` : ''}`];
      if (tool.description) lines.push(indent(tool.description, 2));
      lines.push('  input schema:', indent(JSON.stringify(tool.inputSchema, null, 2), 4));
      return lines.join('\n');
    })
    .join('\n\n');
}

export function formatResult(name: string, result: CallToolResult): string {
  const lines = [result.isError ? `Tool "${name}" reported an error:` : `Result of "${name}":`];
  for (const item of result.content ?? []) {
    lines.push(item.type === 'text' ? indent(prettyIfJson(item.text), 2) : indent(JSON.stringify(item, null, 2), 2));
  }
  if (result.structuredContent !== undefined) {
    lines.push('Structured content:', indent(JSON.stringify(result.structuredContent, null, 2), 2));
  }
  return lines.join('\n');
}

function prettyIfJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
