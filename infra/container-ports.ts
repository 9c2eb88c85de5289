/**
 * The ports the parts listen on inside their containers: the same under Docker and Kubernetes,
 * which run the same images with the same environment.
 */
export const CONTAINER_PORTS = {
  stocksApi: 3000,
  mcpServer: 3000,
  authorizationServer: 8443,
  maildevWeb: 1080,
  maildevSmtp: 1025,
  /** Kong runs as a non-root user, so it listens on high ports; the host or the Service maps 443 or 80 to them. */
  kongHttps: 8443,
  kongHttp: 8000,
  /** Kong's status API: readiness and liveness. */
  kongStatus: 8100,
  curityRuntime: 8443,
  curityAdmin: 6749,
  curityStatus: 4465,
} as const;
