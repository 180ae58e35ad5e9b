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

  // The RGBA pixels of the whole frame on the canvas (subclasses draw it there in next()).
  pixels() {
    return this.context.getImageData(0, 0, this.width, this.height).data;
  }

  // The detector's windows of the frame, each scaled by the canvas: `windows` is an Int32Array of
  // x1, y1, x2, y2, width, height per window; returns their RGBA pixels one after the other. (A frame
  // that needs no scaling is read whole with pixels(): Python keeps it for the regions.)
  fitted(windows) {
    const parts = [];
    for (let i = 0; i < windows.length; i += 6) {
      const [x1, y1, x2, y2, w, h] = windows.subarray(i, i + 6);
      if (!this.scaler || this.scaler.canvas.width < w || this.scaler.canvas.height < h) {
        this.scaler = new OffscreenCanvas(Math.max(w, this.scaler?.canvas.width ?? 0),
                                          Math.max(h, this.scaler?.canvas.height ?? 0))
          .getContext("2d", { willReadFrequently: true });
        this.scaler.imageSmoothingQuality = "medium";   // box-filtered steps (mipmaps), then bilinear
      }
      this.scaler.drawImage(this.canvas, x1, y1, x2 - x1, y2 - y1, 0, 0, w, h);
      parts.push(this.scaler.getImageData(0, 0, w, h).data);
    }
    return concat(parts);
  }

  // The RGBA pixels of `regions` (Int32Array of x1, y1, x2, y2 each), one region after the other.
  regionPixels(regions) {
    const parts = [];
    for (let i = 0; i < regions.length; i += 4) {
      const [x1, y1, x2, y2] = regions.subarray(i, i + 4);
      parts.push(this.context.getImageData(x1, y1, x2 - x1, y2 - y1).data);
    }
    return concat(parts);
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

function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
