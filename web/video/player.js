// Plays the anonymised video from its encoded packets (the frame cache), at the video's own timing.
// Only packets that went through detection and obscuring ever reach it. Shows each frame on the
// canvas and notes its timestamp (µs) in canvas.dataset.timestamp.
const LOOKAHEAD = 8;            // decoded frames kept ready ahead of the clock
const SAFETY = 1.1;             // start only with 10% more buffer than the rate says is needed

export class Player {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.onChange = onChange;           // called when playing/buffering/position change
    this.packets = [];                  // {timestamp, duration, key, data} in decode order
    this.config = null;
    this.duration = 0;                  // seconds, of the whole video
    this.complete = false;              // every frame processed
    this.rate = 0;                      // video seconds processed per wall second
    this.playing = false;
    this.buffering = false;
    this.position = 0;                  // seconds: the clock while paused
    this.frames = [];                   // decoded VideoFrames, ascending timestamps
    this.stamps = null;                 // the frames' timestamps, sorted (frameTimestamps)
    this.holdUntil = -Infinity;         // frames before this timestamp (µs) are not shown (reset)
    this.cursor = 0;                    // next packet to decode
    this.decoder = null;
    this.raf = 0;
  }

  setInfo({ width, height, duration }) {
    if (this.canvas.width !== width) this.canvas.width = width;        // (setting it clears the canvas)
    if (this.canvas.height !== height) this.canvas.height = height;
    this.duration = duration;
  }

  add(packets, config) {
    if (config && !this.config) this.config = config;
    this.packets.push(...packets);
    this.pump();
  }

  // Forgets the packets (a re-export sends new ones, of the same frames); the canvas keeps its frame
  // until one comes, and frame indices keep the last export's timestamps until then.
  reset() {
    this.pause();
    Object.assign(this, { packets: [], config: null, complete: false, rate: 0 });
    this.holdUntil = Number(this.canvas.dataset.timestamp || -Infinity);   // the paused frame stays up till it comes again
    this.restartDecoder();
  }

  // The frames' timestamps (µs) in presentation order: frame i of the video is the i-th.
  frameTimestamps() {
    if (!this.stamps || this.stamps.length < this.packets.length) {
      this.stamps = this.packets.map((p) => p.timestamp).sort((a, b) => a - b);
    }
    return this.stamps;
  }

  // The index of the frame with timestamp `us` (the nearest one).
  frameIndex(us) {
    const stamps = this.frameTimestamps();
    if (!stamps.length) return null;
    let lo = 0, hi = stamps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (stamps[mid] < us) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && us - stamps[lo - 1] < stamps[lo] - us ? lo - 1 : lo;
  }

  setRate(rate, complete) {
    this.rate = rate;
    this.complete = complete;
  }

  // Seconds of video that are ready (processed and encoded).
  get processedEnd() {
    const last = this.packets.at(-1);
    return last ? (last.timestamp + last.duration) / 1e6 : 0;
  }

  // Playing from `from` will not stall before the end if processing keeps its rate.
  canPlayThrough(from) {
    if (this.complete) return true;
    const remaining = this.duration - this.processedEnd;
    if (this.rate <= 0) return false;
    return (this.duration - from) >= SAFETY * remaining / this.rate && this.processedEnd > from;
  }

  play() {
    if (!this.packets.length) return;
    this.holdUntil = -Infinity;
    if (this.position >= this.processedEnd - 1e-3 && this.complete) this.position = 0;
    this.playing = true;
    this.buffering = !this.canPlayThrough(this.position);
    this.startClock();
    this.loop();
    this.onChange();
  }

  pause() {
    this.playing = false;
    this.position = this.clock();
    cancelAnimationFrame(this.raf);
    this.onChange();
  }

  startClock() {
    this.wallStart = performance.now();
    this.mediaStart = this.position;
  }

  clock() {
    if (!this.playing || this.buffering) return this.position;
    return this.mediaStart + (performance.now() - this.wallStart) / 1000;
  }

  seek(seconds) {
    this.holdUntil = -Infinity;
    this.position = Math.max(0, Math.min(seconds, this.processedEnd));
    this.startClock();
    this.restartDecoder();
    this.pump();
    this.onChange();
  }

  // ---- decoding ------------------------------------------------------------------------------

  restartDecoder() {
    this.frames.forEach((f) => f.close());
    this.frames = [];
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
    const target = this.position * 1e6;
    let key = 0;
    for (let i = 0; i < this.packets.length && this.packets[i].timestamp <= target; i++) {
      if (this.packets[i].key) key = i;
    }
    this.cursor = key;
  }

  ensureDecoder() {
    if (this.decoder || !this.config) return !!this.decoder;
    this.decoder = new VideoDecoder({
      output: (frame) => this.onFrame(frame),
      error: (e) => console.error("player decoder:", e),
    });
    this.decoder.configure(this.config);
    return true;
  }

  onFrame(frame) {
    this.frames.push(frame);
    this.frames.sort((a, b) => a.timestamp - b.timestamp);
    if (!this.playing) this.showAt(this.position);
  }

  pump() {
    if (!this.ensureDecoder()) return;
    while (this.cursor < this.packets.length && this.frames.length + this.decoder.decodeQueueSize < LOOKAHEAD) {
      const p = this.packets[this.cursor++];
      this.decoder.decode(new EncodedVideoChunk({ type: p.key ? "key" : "delta", timestamp: p.timestamp,
                                                  duration: p.duration, data: p.data }));
    }
  }

  // Draws the frame showing at `seconds`; drops frames that are over.
  showAt(seconds) {
    const t = seconds * 1e6;
    let shown = null;
    while (this.frames.length && this.frames[0].timestamp <= t) {
      if (shown) shown.close();
      shown = this.frames.shift();
    }
    if (shown && shown.timestamp >= this.holdUntil) {
      this.holdUntil = -Infinity;
      this.context.drawImage(shown, 0, 0, this.canvas.width, this.canvas.height);
      this.canvas.dataset.timestamp = String(shown.timestamp);
      if (!this.playing) this.onShown?.();
    }
    shown?.close();
    this.pump();
  }

  loop() {
    cancelAnimationFrame(this.raf);
    const tick = () => {
      if (this.playing) {
        if (this.buffering && this.canPlayThrough(this.position)) {
          this.buffering = false;
          this.startClock();
          this.onChange();
        }
        let now = this.clock();
        if (!this.buffering && now >= this.processedEnd) {
          if (this.complete) { this.position = this.processedEnd; this.showAt(now); this.pause(); return; }
          this.position = this.processedEnd;        // caught up with processing: wait, never show ahead
          this.buffering = true;
          this.onChange();
          now = this.position;
        }
        this.showAt(now);
        this.onChange(true);
      }
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  close() {
    cancelAnimationFrame(this.raf);
    this.frames.forEach((f) => f.close());
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
  }
}
