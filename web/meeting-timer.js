// The meeting timer in the top bar: how long the room has been open. The
// server says so at joining (`elapsed_ms`, a duration: the two clocks need
// not agree); from then on the page's own monotonic clock counts.

let timer = 0;

/** 65 s → "1:05", 3723 s → "1:02:03". */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function startMeetingTimer(node, elapsedMs) {
  stopMeetingTimer();
  const start = performance.now() - (Number.isFinite(elapsedMs) && elapsedMs > 0 ? elapsedMs : 0);
  const show = () => {
    const ms = performance.now() - start;
    node.textContent = formatDuration(ms);
    node.dateTime = `PT${Math.floor(ms / 1000)}S`;
  };
  show();
  timer = setInterval(show, 1000);
  node.hidden = false;
}

export function stopMeetingTimer() {
  clearInterval(timer);
  timer = 0;
}
