/**
 * The test mail inbox: maildev receives the authorization server's one-time codes over SMTP. It
 * checks no Host and allows every origin, and on Linux this machine reaches containers at their own
 * addresses, so it serves its inbox (pages, API, live updates) only under a random path, which only
 * the gateway's configuration knows; the gateway alone publishes it.
 */
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import type { Model } from '../model.ts';
import { randomSecrets } from '../random-secrets.ts';
import { ALIASES, PORTS } from './addresses.ts';
import { envList, httpHealthcheck, onNetwork, RUNNING } from './container.ts';

export interface MaildevArgs {
  model: Model;
  networkName: pulumi.Input<string>;
}

export class Maildev extends pulumi.ComponentResource {
  /** Where the gateway reaches the inbox: maildev's port and the secret path (a secret). */
  readonly webUrl: pulumi.Output<string>;

  constructor(name: string, args: MaildevArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:Maildev', name, {}, opts);
    const { inboxPath } = randomSecrets(this, name, ['inboxPath']);
    this.webUrl = pulumi.secret(pulumi.interpolate`http://${ALIASES.maildev}:${PORTS.maildevWeb}/${inboxPath}/`);
    const image = new docker.RemoteImage(`${name}-image`, { name: args.model.images.maildev, keepLocally: true }, { parent: this });
    new docker.Container(
      name,
      {
        image: image.imageId,
        envs: pulumi.secret(
          inboxPath.apply((path) =>
            envList({
              MAILDEV_WEB_PORT: String(PORTS.maildevWeb),
              MAILDEV_SMTP_PORT: String(PORTS.maildevSmtp),
              MAILDEV_BASE_PATHNAME: `/${path}`,
            }),
          ),
        ),
        networksAdvanced: onNetwork(args.networkName, ALIASES.maildev),
        healthcheck: pulumi.secret(inboxPath.apply((path) => httpHealthcheck(`http://127.0.0.1:${PORTS.maildevWeb}/${path}/healthz`))),
        ...RUNNING,
      },
      { parent: this },
    );
    this.registerOutputs({ webUrl: this.webUrl });
  }
}
