// Sound and vibration for a verdict: one high beep for "let in", a low double
// buzz for "stop". Browsers allow both only after the user has touched the
// page, so the audio context is created on the first tap.
let audio: AudioContext | null = null;

/** Call from a user gesture (a tap) so later verdicts can make sound. */
export function unlockAudio() {
  if (audio || typeof window === "undefined" || !("AudioContext" in window)) return;
  try {
    audio = new AudioContext();
  } catch {
    audio = null;
  }
}

function tone(
  ctx: AudioContext,
  frequency: number,
  start: number,
  duration: number,
  type: OscillatorType,
) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.4, start + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + duration + 0.02);
}

function userHasTapped() {
  const activation = (navigator as Navigator & { userActivation?: { hasBeenActive: boolean } })
    .userActivation;
  return activation ? activation.hasBeenActive : false;
}

export function signal(kind: "ok" | "warn" | "bad") {
  if (audio) {
    try {
      if (audio.state === "suspended") void audio.resume();
      const t = audio.currentTime;
      if (kind === "ok") tone(audio, 1320, t, 0.15, "sine");
      else if (kind === "warn") {
        tone(audio, 660, t, 0.15, "triangle");
        tone(audio, 880, t + 0.2, 0.15, "triangle");
      } else {
        tone(audio, 220, t, 0.18, "square");
        tone(audio, 220, t + 0.25, 0.25, "square");
      }
    } catch {
      // no sound: the screen still says it
    }
  }
  if (typeof navigator.vibrate === "function" && userHasTapped()) {
    navigator.vibrate(kind === "ok" ? 80 : kind === "warn" ? [120, 80, 120] : [300, 100, 300]);
  }
}
