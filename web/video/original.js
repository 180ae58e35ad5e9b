// The original video, for comparison with the result: draws the source file's frame at a moment on
// a canvas of its own (decoded on demand with mediabunny; the page holds the file already, nothing is
// uploaded). Only ever shown when the person asks to see the original.
export class OriginalFrames {
  constructor(file, canvas) {
    this.file = file;
    this.canvas = canvas;
    this.sink = null;
    this.wanted = null;         // the latest moment asked for; older requests are dropped
    this.drawing = null;
  }

  async open() {
    const mb = await import("../../vendor/mediabunny/mediabunny.min.mjs");
    const input = new mb.Input({ source: new mb.BlobSource(this.file), formats: mb.ALL_FORMATS });
    const track = await input.getPrimaryVideoTrack();
    this.input = input;
    return new mb.VideoSampleSink(track);
  }

  // Draws the frame showing at `seconds` (the newest request wins when several come quickly).
  show(seconds) {
    this.wanted = seconds;
    this.drawing ||= (async () => {
      this.sink ||= await this.open();
      while (this.wanted !== null) {
        const at = this.wanted;
        this.wanted = null;
        const sample = await this.sink.getSample(at);
        if (!sample) continue;
        sample.draw(this.canvas.getContext("2d"), 0, 0, this.canvas.width, this.canvas.height);
        sample.close();
        this.canvas.dataset.timestamp = String(Math.round(sample.timestamp * 1e6));
      }
      this.drawing = null;
    })();
    return this.drawing;
  }

  close() {
    this.input?.dispose?.();
  }
}
