// The loudness of a local audio track, measured with a WebAudio AnalyserNode.

let ctx = null;

function context() {
  if (!ctx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    ctx = new AC();
    // Browsers may start it suspended until the person interacts with the page.
    const resume = () => ctx.state === 'suspended' && ctx.resume().catch(() => {});
    for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, resume, { capture: true });
    resume();
  }
  return ctx;
}

/**
 * A meter on track: level() gives 0…1 (about -60 dBFS … 0 dBFS), stop()
 * releases it. Never throws; without WebAudio level() stays 0.
 */
export function meterFor(track) {
  const ac = track ? context() : null;
  if (!ac) return { level: () => 0, stop() {} };
  let source;
  let analyser;
  try {
    source = ac.createMediaStreamSource(new MediaStream([track]));
    analyser = ac.createAnalyser();
    analyser.fftSize = 512;
    analyser.smoothingTimeConstant = 0.3;
    source.connect(analyser);
  } catch {
    return { level: () => 0, stop() {} };
  }
  const buf = new Float32Array(analyser.fftSize);
  return {
    level() {
      if (!track.enabled || track.readyState !== 'live') return 0;
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const rms = Math.sqrt(sum / buf.length);
      const db = 20 * Math.log10(rms || 1e-8);
      return Math.max(0, Math.min(1, (db + 60) / 60));
    },
    stop() {
      try {
        source.disconnect();
      } catch {
        // already gone
      }
    },
  };
}

/** Drives a bar element from a meter until stop() is called. */
export function animateMeter(meter, element) {
  let raf = 0;
  let last = 0;
  const bar = element.querySelector('.level-bar') ?? element;
  const frame = (now) => {
    raf = requestAnimationFrame(frame);
    if (now - last < 50) return;
    last = now;
    const value = Math.round(meter.level() * 100);
    bar.style.transform = `scaleX(${value / 100})`;
    element.setAttribute('aria-valuenow', String(value));
    element.dataset.level = String(value);
  };
  raf = requestAnimationFrame(frame);
  return () => cancelAnimationFrame(raf);
}
