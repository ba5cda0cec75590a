/** Polls `done` until it holds, or throws after `ms` naming what was awaited. For tests that watch real processes. */
export async function waitFor(what: string, done: () => boolean | Promise<boolean>, ms = 45_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
