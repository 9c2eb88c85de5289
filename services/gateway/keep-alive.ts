/**
 * Kept-alive connections to services and introspection endpoints, as Kong keeps them: idle for at
 * most 60 s (`upstream_keepalive_idle_timeout`). With an idle time-out set, Node's agent also lets
 * a connection go one second before the server's announced `Keep-Alive: timeout` ends, so no request
 * is ever sent on a connection the server is closing.
 */
export const KEEP_ALIVE = { keepAlive: true, timeout: 60_000 } as const;
