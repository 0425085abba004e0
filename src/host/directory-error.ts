// A directory the daemon could not make, said so that the operator knows what to change:
// mkdir's error codes alone ("EEXIST" for a file in the way) mislead.
const CAUSES: Record<string, string> = {
  EEXIST: 'a file that is not a directory is in the way',
  ENOTDIR: 'a file that is not a directory is in the way',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

export function directoryError(dir: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return `cannot make ${dir}: ${CAUSES[code] ?? (err as Error).message}${code && CAUSES[code] ? ` (${code})` : ''}`;
}
