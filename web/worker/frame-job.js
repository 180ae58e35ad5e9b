// What video files and the camera share per frame: the frame is drawn on a canvas, its pixels go
// to Python, the obscured patches come back and are pasted (or the whole frame is blacked out when
// processing failed: fail closed), and only then is the frame passed on by emit().
export class FrameJob {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.gap = 1;                  // source frames since the previous next() (live sources drop frames)
    this.canvas = new OffscreenCanvas(width, height);
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
  }

  // The RGBA pixels of the frame on the canvas (subclasses draw it there first).
  pixels() {
    return this.context.getImageData(0, 0, this.width, this.height).data;
  }

  // `regions`: Int32Array of x1, y1, x2, y2 per region; `patches`: their RGBA pixels one after the
  // other (Uint8Array). Both null: the frame could not be processed and is hidden whole.
  async commit(regions, patches) {
    if (!regions) {
      this.context.fillStyle = "#000";
      this.context.fillRect(0, 0, this.width, this.height);
    } else {
      let offset = patches.byteOffset;
      for (let i = 0; i < regions.length; i += 4) {
        const [x1, y1, x2, y2] = regions.subarray(i, i + 4);
        const size = (x2 - x1) * (y2 - y1) * 4;
        const pixels = new Uint8ClampedArray(patches.buffer, offset, size);
        this.context.putImageData(new ImageData(pixels, x2 - x1, y2 - y1), x1, y1);
        offset += size;
      }
    }
    await this.emit();
  }

  takeSettings() { return null; }
}
