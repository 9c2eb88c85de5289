/**
 * The Pulumi program (`pulumi up` / `pulumi destroy`): reads the stack configuration, builds the
 * model, and deploys the whole stack to the configured target: Docker on this machine (the default)
 * or the Kubernetes cluster of the current kubeconfig. Its exports are the stack outputs.
 */
import { McpSecuredApiStack } from './docker/stack.ts';
import { KubernetesStack } from './kubernetes/stack.ts';
import { buildModel, PROJECT } from './model.ts';
import { readStackConfig } from './pulumi-config.ts';

const { config, curityLicenseKey, smtpPassword } = readStackConfig();
const model = buildModel(config);
const args = { model, ...(curityLicenseKey ? { curityLicenseKey } : {}), ...(smtpPassword ? { smtpPassword } : {}) };
const stack = config.target === 'kubernetes' ? new KubernetesStack(PROJECT, args) : new McpSecuredApiStack(PROJECT, args);

export const target = config.target;
export const authorizationServer = config.authorizationServer;
export const endpoints = stack.endpoints;
export const hostsLine = stack.hostsLine;
export const caCertificate = stack.caCertificate;
export const adminPassword = stack.adminPassword;
/** Docker: the network every container joins. */
export const networkName = stack instanceof McpSecuredApiStack ? stack.networkName : undefined;
/** Kubernetes: the namespace, and the address the public hosts must resolve to. */
export const namespace = stack instanceof KubernetesStack ? stack.namespace : undefined;
export const publicAddress = stack instanceof KubernetesStack ? stack.publicAddress : undefined;
