// The one rule every string from outside obeys (config file, control requests, QMP messages): no
// control characters. A NUL cuts a string where it crosses into C++ (a path then names another
// file); a newline or an escape forges log lines or drives the terminal that shows them. C1
// (U+0080-U+009F) is refused too: no path, name or device option needs it, and U+009B is a
// terminal's escape introducer.
export const CONTROL_CHARACTER_PATTERN = '[\\u0000-\\u001f\\u007f-\\u009f]';
const CONTROL_CHARACTER = new RegExp(CONTROL_CHARACTER_PATTERN);
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER_PATTERN, 'g');

export const CONTROL_CHARACTER_RULE = 'no control characters (U+0000-U+001F, U+007F-U+009F)';

export function hasControlCharacter(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}

/** `text` with each control character written as \uXXXX, safe to quote in a message or a log. */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Where the first string holding a control character lies in `value` (parsed JSON), keys
 * included: "config.vhost.socket", "" for `value` itself; undefined when there is none.
 */
export function controlCharacterAt(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') return hasControlCharacter(value) ? at : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const below = Array.isArray(value) ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`;
    if (hasControlCharacter(key)) return escapeControlCharacters(below);
    const found = controlCharacterAt(item, below);
    if (found !== undefined) return found;
  }
  return undefined;
}
