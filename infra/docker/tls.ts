/**
 * A private certificate authority and a certificate for the public hosts, for `https` deployments.
 * Users trust the exported CA certificate once; the gateway serves the host certificate.
 */
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';

export interface PublicCertificateArgs {
  /** The base domain; named in the CA's subject so users recognise it in their trust store. */
  domain: string;
  /** Public hostnames the certificate covers. */
  hosts: string[];
}

const TEN_YEARS_HOURS = 10 * 365 * 24;
/** Browsers refuse server certificates valid for more than 825 days. */
const SERVER_VALIDITY_HOURS = 825 * 24;

export class PublicCertificate extends pulumi.ComponentResource {
  readonly caCertificatePem: pulumi.Output<string>;
  readonly certificatePem: pulumi.Output<string>;
  readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: PublicCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:PublicCertificate', name, {}, opts);
    const parent = { parent: this };

    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: 'ECDSA', ecdsaCurve: 'P256' }, parent);
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: `Development CA for ${args.domain}`, organization: 'mcp-secured-api' },
        allowedUses: ['certSigning', 'crlSigning', 'digitalSignature'],
        validityPeriodHours: TEN_YEARS_HOURS,
        setSubjectKeyId: true,
      },
      parent,
    );

    const key = new tls.PrivateKey(`${name}-key`, { algorithm: 'ECDSA', ecdsaCurve: 'P256' }, parent);
    const request = new tls.CertRequest(
      `${name}-request`,
      { privateKeyPem: key.privateKeyPem, subject: { commonName: args.hosts[0] }, dnsNames: args.hosts },
      parent,
    );
    const cert = new tls.LocallySignedCert(
      `${name}-cert`,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        allowedUses: ['digitalSignature', 'keyEncipherment', 'serverAuth'],
        validityPeriodHours: SERVER_VALIDITY_HOURS,
        earlyRenewalHours: 30 * 24,
      },
      parent,
    );

    this.caCertificatePem = ca.certPem;
    this.certificatePem = cert.certPem;
    this.privateKeyPem = pulumi.secret(key.privateKeyPem);
    this.registerOutputs({ caCertificatePem: this.caCertificatePem, certificatePem: this.certificatePem });
  }
}
