/**
 * Calls `stop` once: on the first SIGINT, SIGTERM or SIGHUP, or when the `millrace` command that
 * started this process ends (its IPC channel closes: a SIGKILLed wrapper cannot pass a signal on).
 * Later signals are ignored: a terminal's Ctrl-C arrives twice (from the terminal, and passed on by
 * the wrapper), and a second signal must not kill a shutdown half done. Returns the undo.
 */
export function onStopSignal(stop: (why: string) => void): () => void {
  let stopped = false;
  const handlers = new Map<string, () => void>();
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'disconnect']) {
    const handler = () => {
      if (stopped) return;
      stopped = true;
      stop(event === 'disconnect' ? 'the millrace command that started this process ended' : `${event} received`);
    };
    handlers.set(event, handler);
    process.on(event, handler);
  }
  return () => {
    for (const [event, handler] of handlers) process.off(event, handler);
  };
}
