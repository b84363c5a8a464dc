/**
 * Temporary folders that `using` removes.
 *
 * @module
 */

/** A temporary folder, removed with everything in it when disposed. */
export class TempDir implements Disposable {
  /** The folder's path. */
  readonly path: string;

  constructor() {
    // Under /tmp a Unix socket path stays short of its limit (104 bytes on
    // macOS, whose own temporary folder is long). Windows has no /tmp.
    const dir = Deno.build.os === "windows" ? undefined : "/tmp";
    this.path = Deno.makeTempDirSync({ dir, prefix: "pysocket_test_" });
  }

  /** A path inside the folder. */
  join(name: string): string {
    return `${this.path}/${name}`;
  }

  /** Removes the folder and everything in it. */
  [Symbol.dispose](): void {
    Deno.removeSync(this.path, { recursive: true });
  }
}

/** Makes a {@linkcode TempDir}: `using dir = tempDir();`. */
export function tempDir(): TempDir {
  return new TempDir();
}
