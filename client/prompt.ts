/**
 * The interactive prompt: `list`, `call <tool> [json]`, `help`, `quit`, with readline's line
 * editing, history and tab completion when attached to a terminal. It reads any input stream,
 * so tests drive it with the very commands a person types.
 */
import { createInterface, type Completer } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import { checkArguments, findTool, formatResult, formatTools, parseArguments, UsageError } from './tools.ts';

/** What the prompt needs from a connection. */
export interface ToolSession {
  listTools(): Promise<Tool[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

export interface PromptIO {
  input: Readable;
  output: Writable;
  /** Line editing and history; defaults to whether the output is a TTY. */
  terminal?: boolean;
}

export const HELP = `Commands:
  list                        list the tools with their descriptions and input schemas
  call <tool> [json object]   call a tool, e.g. call get-stock-price {"id": "COM1"}
  help                        show this help
  quit                        leave (also: exit, Ctrl+D)`;

const COMMANDS = ['list', 'call', 'help', 'quit', 'exit'];

export async function runPrompt(session: ToolSession, io: PromptIO): Promise<void> {
  let tools: Tool[] | undefined;
  const loadTools = async () => (tools = await session.listTools());

  const completer: Completer = (line) => {
    const call = /^call\s+(\S*)$/.exec(line);
    const [candidates, word] = call ? [(tools ?? []).map((t) => `call ${t.name} `), line] : [COMMANDS, line];
    const hits = candidates.filter((c) => c.startsWith(word));
    return [hits, word];
  };

  const rl = createInterface({
    input: io.input,
    output: io.output,
    terminal: io.terminal ?? Boolean((io.output as { isTTY?: boolean }).isTTY),
    historySize: 500,
    removeHistoryDuplicates: true,
    completer,
    prompt: 'mcp> ',
  });
  // Ctrl+C leaves like quit (readline would otherwise only pause the input).
  rl.on('SIGINT', () => rl.close());
  // Piped input ends, and readline closes, while lines read before the end still run: their
  // prompts are written directly (readline's prompt() throws once closed, from Node 24 on).
  let closed = false;
  rl.once('close', () => (closed = true));
  const print = (text: string): void => {
    io.output.write(`${text}\n`);
  };

  print(`Type "help" for the commands.`);
  rl.prompt();
  for await (const line of rl) {
    const [command = '', ...rest] = line.trim().split(/\s+/);
    try {
      if (command === 'quit' || command === 'exit') break;
      await execute(command, line.trim().slice(command.length).trim(), rest);
    } catch (err) {
      print(err instanceof UsageError ? err.message : `Error: ${(err as Error).message}`);
    }
    if (closed) io.output.write(rl.getPrompt());
    else rl.prompt();
  }
  rl.close();

  async function execute(command: string, argumentText: string, words: string[]): Promise<void> {
    switch (command) {
      case '':
        return;
      case 'help':
        return print(HELP);
      case 'list':
        return print(formatTools(await loadTools()));
      case 'call': {
        const name = words[0];
        if (!name)
          throw new UsageError('ERR_TOOL_MISSING', 'Name the tool to call: call <tool> [json object]. Type "list" to see the tools.');
        const jsonText = argumentText.slice(name.length).trim();
        const args = parseArguments(jsonText);
        // A tool unknown to the cached list may be new: look again once before refusing.
        const tool = tools?.some((t) => t.name === name) ? findTool(tools, name) : findTool(await loadTools(), name);
        checkArguments(tool, args);
        return print(formatResult(name, await session.callTool(name, args)));
      }
      default:
        throw new UsageError('ERR_UNKNOWN_COMMAND', `Unknown command "${command}". Type "help" for the commands.`);
    }
  }
}
