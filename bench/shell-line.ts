// A command as a shell line a lab can paste, for the bench's record of how each switch ran: the
// run's temporary directory appears as $DIR (left outside quotes, so the shell expands it), words
// a shell would split or expand are single-quoted.
const quoted = (text: string) => (/^[\w@%+=:,./-]*$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

export function shellLine(argv: string[], dir?: string): string {
  return argv.map((word) => (dir ? word.split(dir) : [word]).map(quoted).join('$DIR')).join(' ');
}
