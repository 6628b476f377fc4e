// What to tell someone whose audio and video connection failed, from what
// the browser knows: the cause named is the one the facts point to, not
// always "your network".

/**
 * The i18n key of the message, or null when nothing is to be said here
 * (the signalling connection is gone too: the "connection lost" page
 * speaks for both). facts: { signallingOpen, dtlsState (the transport's,
 * from getStats), everConnected (the media path worked before) }.
 */
export function mediaFailureKey({ signallingOpen, dtlsState, everConnected }) {
  if (!signallingOpen) return null;
  // The path was there, the secure handshake failed: the server's side
  // (its certificate, its DTLS), not the network.
  if (dtlsState === 'failed') return 'error.media-dtls-failed';
  // It worked and stopped: the network dropped, or the server stopped.
  if (everConnected) return 'error.media-lost';
  // It never got through: blocked on the way, or the server gives an
  // address nobody can reach.
  return 'error.media-unreachable';
}

/** The transport's DTLS state from the peer connection's stats ('' if none). */
export async function dtlsStateOf(pc) {
  let state = '';
  try {
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === 'transport' && r.dtlsState) state = r.dtlsState;
    });
  } catch {
    // a closed connection has no stats
  }
  return state;
}
