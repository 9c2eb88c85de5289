#!/usr/bin/env node
// `npx mcp-client …` from the repository: the console client, its TypeScript loaded with tsx.
import { register } from 'tsx/esm/api';

register();
await import('../main.ts');
