/** Rows for the authorization server's store tests. */
import type { Grant } from '../../services/authorization-server/store.ts';

/** A grant of John's for client `c`, ending at `expiresAt` (seconds). */
export const grant = (id: string, expiresAt: number): Grant => ({
  id,
  clientId: 'c',
  subject: 'john.doe@demo.example',
  scope: 'stocks/read',
  resource: 'http://mcp.demo.example/',
  claims: { region: 'USA' },
  createdAt: 0,
  expiresAt,
});
