/** Settings every container of the stack shares. */
import type * as docker from '@pulumi/docker';
import type * as pulumi from '@pulumi/pulumi';
import type { Env } from '../environments.ts';

/** Docker's `KEY=VALUE` form of an environment. */
export function envList(env: Env): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

/** Joins the stack's network under `alias`, the hostname the other containers use. */
export function onNetwork(networkName: pulumi.Input<string>, alias: string): docker.types.input.ContainerNetworksAdvanced[] {
  return [{ name: networkName, aliases: [alias] }];
}

/** A health check that runs `command` in the container; `pulumi up` waits until it passes. */
export function healthcheck(...command: string[]): docker.types.input.ContainerHealthcheck {
  return { tests: ['CMD', ...command], interval: '5s', timeout: '3s', startPeriod: '10s', retries: 12 };
}

/** Checks `GET <url>` answers 2xx with Node's own fetch: every Node image has it, no curl needed. */
export function httpHealthcheck(url: string): docker.types.input.ContainerHealthcheck {
  return healthcheck('node', '-e', `fetch(${JSON.stringify(url)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`);
}

/** Options of a one-off container: it runs once and exits; Pulumi waits for it (attach) and reads its exit code. */
export const ONE_OFF = { attach: true, mustRun: false, restart: 'no', logs: true } as const;

/**
 * Resolves once the one-off `container` exited 0, and fails the deployment otherwise, saying what
 * failed and where its logs are: give it to whatever must not start before.
 */
export function succeeded(container: docker.Container, what: string, name: string): pulumi.Output<true> {
  return container.exitCode.apply((code): true => {
    if (code !== 0) throw new Error(`${what} failed with exit code ${code}: see its logs with docker logs $(docker ps -aqf name=${name})`);
    return true;
  });
}

/** Options shared by every long-running container. */
export const RUNNING = {
  restart: 'unless-stopped',
  wait: true,
  waitTimeout: 180,
} as const;
