// What a receiver sees of other participants' cameras: the set the bridge
// says it forwards (`forwarded`), the tiles the app marks as paused, and
// per sender the frames decoded so far. For tests that hold cameras back.

/** The receiver's view of the cameras of senderIds. */
export async function cameraView(page, senderIds) {
  return page.evaluate(async (ids) => {
    const s = window.stoa;
    const frames = {};
    const heights = {};
    (await s.pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
      const who = s.mids.get(r.mid);
      if (!who || who.source !== 'camera' || !ids.includes(who.participant)) return;
      frames[who.participant] = r.framesDecoded ?? 0;
      heights[who.participant] = r.frameHeight ?? 0;
    });
    const paused = [...document.querySelectorAll('[data-testid="tile"][data-source="camera"][data-forwarded="false"]')];
    return {
      t: Date.now(),
      forwarded: Array.isArray(s.forwarded) ? [...s.forwarded] : null,
      unmarked: paused.map((el) => el.dataset.participant),
      reasons: Object.fromEntries(paused.map((el) => [el.dataset.participant, el.dataset.pausedReason ?? null])),
      frames,
      heights,
    };
  }, senderIds);
}

/** Senders whose frames grew between two views. */
export const decoding = (a, b) => Object.keys(b.frames).filter((id) => b.frames[id] > (a.frames[id] ?? 0));
