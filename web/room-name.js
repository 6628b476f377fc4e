// Room names, checked with the server's rule (docs/protocol.md, "Room names"):
// 1 to 64 characters from A-Z a-z 0-9 . _ -, not starting with '.', and not
// one of the paths the server keeps for itself. Case-insensitive.

const ROOM_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const RESERVED = new Set(['ws', '_', 'metrics']);

/** 'ok', 'empty', 'reserved' or 'invalid'. */
export function checkRoomName(name) {
  if (name === '') return 'empty';
  if (!ROOM_RE.test(name)) return 'invalid';
  if (RESERVED.has(name.toLowerCase())) return 'reserved';
  return 'ok';
}

export function isValidRoomName(name) {
  return checkRoomName(name) === 'ok';
}

/** The form the server reports rooms in. */
export function canonicalRoomName(name) {
  return name.toLowerCase();
}

/**
 * A valid room name close to what was typed ("my room!" -> "my-room"), or
 * null when nothing valid is left. Runs of other characters become one
 * hyphen; letters with accents lose them.
 */
export function suggestRoomName(typed) {
  const s = typed
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return s && s !== typed && checkRoomName(s) === 'ok' ? s : null;
}
