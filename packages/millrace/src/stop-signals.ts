/**
 * Calls `stop` once: on the first SIGINT, SIGTERM or SIGHUP, or when the `millrace` command that
 * started this process ends (its IPC channel closes: a SIGKILLed wrapper cannot pass a signal on).
 * Later signals are ignored: a terminal's Ctrl-C arrives twice (from the terminal, and passed on by
 * the wrapper), and a second signal must not kill a shutdown half done, so the handlers stay for
 * the life of the process.
 */
export function onStopSignal(stop: (why: string) => void): void {
  // The wrapper may have died before this was called (during a long log recovery): its 'disconnect' is gone.
  if (process.send !== undefined && !process.connected) {
    stop('the millrace command that started this process ended');
    return;
  }
  let stopped = false;
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'disconnect']) {
    process.on(event, () => {
      if (stopped) return;
      stopped = true;
      stop(event === 'disconnect' ? 'the millrace command that started this process ended' : `${event} received`);
    });
  }
}
