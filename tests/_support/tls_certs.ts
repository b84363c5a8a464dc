/**
 * Throwaway certificates for the TLS tests (`ssl/tls_test.ts`, and the
 * command's `--tls` in `cli/`), made with openssl at test time
 * in a temporary directory that is removed when the test process ends.
 *
 * - a CA ("pysocket test CA"),
 * - a server certificate for `localhost`, `127.0.0.1` and `::1`, signed by it,
 * - a client certificate signed by it (for servers that require one),
 * - an unrelated self-signed certificate for `localhost` (not a CA, so it
 *   can be trusted as its own issuer).
 *
 * All keys are EC P-256: quick to make, and taken by Deno and Python alike.
 *
 * @module
 */

import { run } from "./process.ts";

/** Paths of the generated PEM files. */
export interface TlsCerts {
  /** The temporary directory holding them. */
  dir: string;
  /** The CA certificate. */
  caCert: string;
  /** The server certificate (localhost, 127.0.0.1, ::1), signed by the CA. */
  serverCert: string;
  /** The server certificate's key. */
  serverKey: string;
  /** The server certificate and its key in one file. */
  serverCombined: string;
  /** A client certificate signed by the CA. */
  clientCert: string;
  /** The client certificate's key. */
  clientKey: string;
  /** A self-signed certificate for localhost that no CA signed. */
  selfCert: string;
  /** The self-signed certificate's key. */
  selfKey: string;
}

/** Runs openssl with `args` in `cwd`, failing with its stderr. */
async function openssl(args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await run("openssl", args, { cwd });
  if (code !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed (${code}):\n${stderr}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/**
 * Makes the certificates. A test that calls this needs `"openssl"`
 * (`platform.ts`). The directory is removed when the process unloads.
 *
 * @returns The paths of the PEM files.
 */
export async function makeCerts(): Promise<TlsCerts> {
  const dir = await Deno.makeTempDir({ prefix: "pysocket_tls_" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  });
  const days = ["-days", "2"];
  await openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    ...days,
    "-subj",
    "/CN=pysocket test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n" +
      "basicConstraints=critical,CA:FALSE\n" +
      "keyUsage=critical,digitalSignature\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  await Deno.writeTextFile(
    `${dir}/client.ext`,
    "basicConstraints=critical,CA:FALSE\n" +
      "keyUsage=critical,digitalSignature\n" +
      "extendedKeyUsage=clientAuth\n",
  );
  for (
    const [name, subject] of [["server", "localhost"], ["client", "client"]]
  ) {
    await openssl([
      "req",
      ...EC,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${subject}`,
    ], dir);
    await openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      ...days,
      "-extfile",
      `${name}.ext`,
    ], dir);
  }
  await openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    ...days,
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
    "-addext",
    "basicConstraints=critical,CA:FALSE",
  ], dir);
  await Deno.writeTextFile(
    `${dir}/server_combined.pem`,
    (await Deno.readTextFile(`${dir}/server.pem`)) +
      (await Deno.readTextFile(`${dir}/server.key`)),
  );
  return {
    dir,
    caCert: `${dir}/ca.pem`,
    serverCert: `${dir}/server.pem`,
    serverKey: `${dir}/server.key`,
    serverCombined: `${dir}/server_combined.pem`,
    clientCert: `${dir}/client.pem`,
    clientKey: `${dir}/client.key`,
    selfCert: `${dir}/self.pem`,
    selfKey: `${dir}/self.key`,
  };
}
