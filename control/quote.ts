// The one place an argv becomes a shell string: ssh sends the remote side a single command line,
// which the remote user's shell parses. Every argument is single-quoted, because inside single
// quotes a POSIX shell treats every byte literally ($, `, \, ", *, newlines, spaces); the only byte
// that cannot appear there is the single quote itself, written as '\'' (close the quotes, an
// escaped quote, reopen). No argument is left bare: even "safe-looking" words can change meaning
// at the start of a command line (`A=b` is an assignment, `~` expands). NUL cannot be passed in an
// argv at all, so it is refused rather than silently truncated.
//
// Assumes a POSIX shell (sh, dash, bash, zsh, ksh, busybox ash) on the remote side; csh and fish
// quote differently and are not supported as login shells of remote users.

/** One argument as a single-quoted POSIX shell word. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error(`cannot pass an argument containing a NUL byte to a remote shell: ${JSON.stringify(arg)}`);
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one POSIX shell command line that runs exactly that argv. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}
