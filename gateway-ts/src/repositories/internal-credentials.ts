import { Inject, Injectable } from '@nestjs/common';
import { ChannelCredentials, credentials, experimental } from '@grpc/grpc-js';
import { CONFIG, GatewayConfig } from '../config';

/** How often the certificate files are re-read: cert-manager renews long before expiry, so a minute is plenty. */
export const CERTIFICATE_REFRESH_MS = 60_000;

/**
 * The channel credentials of every gRPC client of the gateway. With INTERNAL_TLS_* they are mutual TLS: the
 * gateway presents its certificate and trusts services whose certificate the CA signed for the name dialled;
 * the files are re-read every minute, so a renewed certificate or CA applies to the next connection. Without
 * them the services are on loopback and plaintext is used.
 */
@Injectable()
export class InternalCredentials {
  readonly channel: ChannelCredentials;

  constructor(@Inject(CONFIG) config: GatewayConfig) {
    const tls = config.internalTls;
    if (!tls) {
      this.channel = credentials.createInsecure();
      return;
    }
    // One watcher for the CA and the identity; it reads only while a channel uses it (clients close on shutdown).
    const files = new experimental.FileWatcherCertificateProvider({
      certificateFile: tls.certFile,
      privateKeyFile: tls.keyFile,
      caCertificateFile: tls.caFile,
      refreshIntervalMs: CERTIFICATE_REFRESH_MS,
    });
    this.channel = experimental.createCertificateProviderChannelCredentials(files, files);
  }
}
