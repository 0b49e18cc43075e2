// faultline's own stdout and stderr. A reader that stops early (`| head`) closes the pipe: that
// is the reader's choice, not an error, and faultline exits. During a test, though, the reader
// going (`| tee`, ended by the same Ctrl-C) or the terminal (EIO after a hang-up) must not end
// faultline before it has healed, torn down and written results.json: the output is dropped from
// then on.

/** True while `faultline test` runs: then nothing about its output may end the process. */
let testRunning = false;
/** Streams that can no longer be written (their reader or terminal is gone). */
const deadStreams = new Set<NodeJS.WriteStream>();
let installed = false;

/** Installs the error handlers on process.stdout and process.stderr (once). */
export function watchOutput(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      const gone = e.code === 'EPIPE' || e.code === 'EIO' || deadStreams.has(stream);
      if (gone) deadStreams.add(stream);
      if (gone && testRunning) return;
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}

/** Marks the start and end of a test run (see the file comment). */
export function setTestRunning(running: boolean): void {
  testRunning = running;
}

/** Writes `text` unless the stream's reader is gone. */
export function write(stream: NodeJS.WriteStream, text: string): void {
  if (deadStreams.has(stream) || stream.destroyed) return;
  stream.write(text);
}
