/** The test mail inbox: maildev receives the authorization server's one-time codes over SMTP. */
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import type { Model } from '../model.ts';
import { ALIASES, PORTS } from './addresses.ts';
import { envList, httpHealthcheck, onNetwork, RUNNING } from './container.ts';

export interface MaildevArgs {
  model: Model;
  networkName: pulumi.Input<string>;
}

export class Maildev extends pulumi.ComponentResource {
  readonly webUrl = `http://${ALIASES.maildev}:${PORTS.maildevWeb}`;
  readonly smtp = { host: ALIASES.maildev, port: PORTS.maildevSmtp };

  constructor(name: string, args: MaildevArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:Maildev', name, {}, opts);
    const image = new docker.RemoteImage(`${name}-image`, { name: args.model.images.maildev, keepLocally: true }, { parent: this });
    new docker.Container(
      name,
      {
        image: image.imageId,
        envs: envList({ MAILDEV_WEB_PORT: String(PORTS.maildevWeb), MAILDEV_SMTP_PORT: String(PORTS.maildevSmtp) }),
        networksAdvanced: onNetwork(args.networkName, ALIASES.maildev),
        healthcheck: httpHealthcheck(`http://127.0.0.1:${PORTS.maildevWeb}/healthz`),
        ...RUNNING,
      },
      { parent: this },
    );
    this.registerOutputs({ webUrl: this.webUrl });
  }
}
