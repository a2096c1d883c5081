// The phone's back camera into a <video>, decoded to QR code text: the
// browser's BarcodeDetector where it reads QR codes, jsQR on canvas frames
// otherwise.
import jsQR from "jsqr";
import { useEffect, useRef, useState, type RefObject } from "react";

export type CameraState = "idle" | "starting" | "running" | "denied" | "unavailable";

type Detector = { detect: (source: CanvasImageSource) => Promise<{ rawValue: string }[]> };
type DetectorClass = {
  new (options: { formats: string[] }): Detector;
  getSupportedFormats?: () => Promise<string[]>;
};

/** Frames are scaled down to at most this width before jsQR reads them. */
const MAX_DECODE_WIDTH = 640;
const FRAME_INTERVAL_MS = 120;
/** Consecutive rejected frames after which the native detector is given up. */
const MAX_DETECTOR_FAILURES = 5;

async function nativeDetector(): Promise<Detector | null> {
  if (!("BarcodeDetector" in window)) return null;
  const Class = (window as unknown as { BarcodeDetector: DetectorClass }).BarcodeDetector;
  try {
    const formats = (await Class.getSupportedFormats?.()) ?? [];
    if (!formats.includes("qr_code")) return null;
    return new Class({ formats: ["qr_code"] });
  } catch {
    return null;
  }
}

export function useQrCamera(
  videoRef: RefObject<HTMLVideoElement | null>,
  enabled: boolean,
  onCode: (text: string) => void,
) {
  const [state, setState] = useState<CameraState>("idle");
  const [attempt, setAttempt] = useState(0);
  const onCodeRef = useRef(onCode);
  useEffect(() => {
    onCodeRef.current = onCode;
  }, [onCode]);

  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const video = videoRef.current;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });

    async function decode(video: HTMLVideoElement, detector: Detector | null) {
      if (video.readyState < 2 || video.videoWidth === 0) return null;
      if (detector) {
        const codes = await detector.detect(video);
        return codes[0]?.rawValue ?? null;
      }
      if (!ctx) return null;
      const scale = Math.min(1, MAX_DECODE_WIDTH / video.videoWidth);
      const w = Math.round(video.videoWidth * scale);
      const h = Math.round(video.videoHeight * scale);
      if (canvas.width !== w) canvas.width = w;
      if (canvas.height !== h) canvas.height = h;
      ctx.drawImage(video, 0, 0, w, h);
      const image = ctx.getImageData(0, 0, w, h);
      return jsQR(image.data, w, h, { inversionAttempts: "attemptBoth" })?.data ?? null;
    }

    async function start() {
      if (!navigator.mediaDevices?.getUserMedia) {
        setState("unavailable");
        return;
      }
      setState("starting");
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "environment" },
          audio: false,
        });
      } catch (e) {
        if (stopped) return;
        setState(
          e instanceof DOMException && e.name === "NotAllowedError" ? "denied" : "unavailable",
        );
        return;
      }
      if (stopped || !video) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      video.srcObject = stream;
      video.muted = true;
      video.playsInline = true;
      try {
        await video.play();
      } catch {
        // autoplay refused: frames still arrive once the user taps
      }
      if (stopped) return;
      setState("running");
      let detector = await nativeDetector();
      let detectorFailures = 0;
      const loop = async () => {
        if (stopped) return;
        try {
          const text = await decode(video, detector);
          detectorFailures = 0;
          if (text && !stopped) onCodeRef.current(text);
        } catch (e) {
          // A frame that cannot be read: try the next one. A native detector that
          // keeps failing (some phones claim QR support, then reject every frame)
          // is dropped for the JS decoder.
          if (detector && ++detectorFailures >= MAX_DETECTOR_FAILURES) {
            console.warn("BarcodeDetector keeps failing; reading codes with jsQR instead.", e);
            detector = null;
          }
        }
        if (!stopped) timer = setTimeout(() => void loop(), FRAME_INTERVAL_MS);
      };
      void loop();
    }

    void start();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      stream?.getTracks().forEach((t) => t.stop());
      if (video) video.srcObject = null;
      setState("idle");
    };
  }, [enabled, attempt, videoRef]);

  return { state, retry: () => setAttempt((n) => n + 1) };
}
