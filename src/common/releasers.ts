/**
 * Resources acquired with their release registered at once, released in reverse order of
 * acquisition whatever happens. A release that fails is reported and the others still run.
 */
export type Release = () => unknown;
export type Defer = (release: Release) => void;

export async function withReleasers<T>(fn: (defer: Defer) => Promise<T>, onReleaseError: (e: unknown) => void): Promise<T> {
  const releases: Release[] = [];
  try {
    return await fn((r) => releases.push(r));
  } finally {
    for (const release of releases.reverse()) {
      try {
        await release();
      } catch (e) {
        onReleaseError(e);
      }
    }
  }
}
