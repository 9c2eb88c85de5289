/**
 * The Pulumi program (`pulumi up` / `pulumi destroy`): reads the stack configuration, builds the
 * model, and deploys the whole stack to Docker. Its exports are the stack outputs.
 */
import { McpSecuredApiStack } from './docker/stack.ts';
import { buildModel, PROJECT } from './model.ts';
import { readStackConfig } from './pulumi-config.ts';

const { config, curityLicenseKey } = readStackConfig();
const model = buildModel(config);
const stack = new McpSecuredApiStack(PROJECT, { model, ...(curityLicenseKey ? { curityLicenseKey } : {}) });

export const authorizationServer = config.authorizationServer;
export const endpoints = stack.endpoints;
export const hostsLine = stack.hostsLine;
export const caCertificate = stack.caCertificate;
export const adminPassword = stack.adminPassword;
export const networkName = stack.networkName;
