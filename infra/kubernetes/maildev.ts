/** The test mail inbox: maildev receives one-time codes over SMTP and shows them through the gateway. */
import * as pulumi from '@pulumi/pulumi';
import type { Model } from '../model.ts';
import { splitEnvironment } from './environment.ts';
import { imageVersion } from './images.ts';
import { PARTS, PORTS } from './names.ts';
import { httpProbe, IMAGE_USERS, resources, scratch } from './pod.ts';
import { deployWorkload, type Workload } from './workload.ts';

export interface MaildevArgs {
  model: Model;
  namespace: pulumi.Input<string>;
  image: string;
}

export class Maildev extends pulumi.ComponentResource {
  readonly workload: Workload;

  constructor(name: string, args: MaildevArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:Maildev', name, {}, opts);
    const k = args.model.config.kubernetes;
    // It keeps mails in a temporary directory: a scratch /tmp on a read-only root.
    const tmp = scratch('tmp', '/tmp');
    this.workload = deployWorkload(this, name, {
      namespace: args.namespace,
      part: PARTS.maildev,
      version: imageVersion(args.image),
      // One inbox: a second pod would show only the mails it happened to receive.
      replicas: 1,
      user: IMAGE_USERS.node,
      readOnlyRootFilesystem: true,
      environment: splitEnvironment(
        () => ({ MAILDEV_WEB_PORT: String(PORTS.maildevWeb), MAILDEV_SMTP_PORT: String(PORTS.maildevSmtp) }),
        {},
        `${PARTS.maildev}-env`,
      ),
      container: {
        image: args.image,
        ports: [
          { name: 'http', containerPort: PORTS.maildevWeb, protocol: 'TCP' },
          { name: 'smtp', containerPort: PORTS.maildevSmtp, protocol: 'TCP' },
        ],
        resources: resources(k.resources.maildev),
        volumeMounts: [tmp.mount],
        ...httpProbe('/healthz', PORTS.maildevWeb),
      },
      volumes: [tmp.volume],
      servicePorts: [
        { name: 'http', port: PORTS.maildevWeb },
        { name: 'smtp', port: PORTS.maildevSmtp },
      ],
      imagePullSecrets: k.imagePullSecrets,
    });
    this.registerOutputs({});
  }
}
