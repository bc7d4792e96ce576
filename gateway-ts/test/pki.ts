import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of one issued certificate. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/**
 * A throwaway CA for tests of internal mutual TLS, made with the openssl CLI: it issues certificates that
 * serve on 127.0.0.1 and localhost and identify a client by name (DNS subjectAltName), as the chart's do.
 */
export class Pki {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-pki-'));
  readonly caFile = join(this.dir, 'ca.crt');
  private readonly caKey = join(this.dir, 'ca.key');
  private readonly config = join(this.dir, 'openssl.cnf');

  constructor() {
    // Own configuration: the system's openssl.cnf decides nothing about these certificates.
    writeFileSync(
      this.config,
      ['[req]', 'distinguished_name = dn', 'x509_extensions = ca', 'prompt = no', '[dn]', 'CN = infidraw test CA', '[ca]',
        'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign'].join('\n'),
    );
    openssl('req', '-config', this.config, '-x509', ...newKey(this.caKey), '-out', this.caFile, '-days', '1');
  }

  /** A certificate for `name`, signed by the CA. */
  issue(name: string): CertFiles {
    const files = { certFile: join(this.dir, `${name}.crt`), keyFile: join(this.dir, `${name}.key`) };
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(ext, `subjectAltName = DNS:${name},DNS:localhost,IP:127.0.0.1\nextendedKeyUsage = serverAuth,clientAuth\nkeyUsage = critical,digitalSignature\n`);
    openssl('req', '-config', this.config, '-new', ...newKey(files.keyFile), '-out', csr, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', csr, '-CA', this.caFile, '-CAkey', this.caKey, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', files.certFile);
    return files;
  }

  /** The INTERNAL_TLS_* environment of a service presenting `files`, admitting the `allowed` clients. */
  env(files: CertFiles, ...allowed: string[]): Record<string, string> {
    return {
      INTERNAL_TLS_CERT_FILE: files.certFile,
      INTERNAL_TLS_KEY_FILE: files.keyFile,
      INTERNAL_TLS_CA_FILE: this.caFile,
      ...(allowed.length ? { INTERNAL_TLS_ALLOWED_CLIENTS: allowed.join(',') } : {}),
    };
  }

  close() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function newKey(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile];
}

function openssl(...args: string[]) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
