// jpeg-js's decoder alone (its index also bundles the encoder, which the Worker never uses).
declare module "jpeg-js/lib/decoder.js" {
  interface JpegDecodeOptions {
    useTArray: true;
    formatAsRGBA?: boolean;
    colorTransform?: boolean;
    tolerantDecoding?: boolean;
    maxResolutionInMP?: number;
    maxMemoryUsageInMB?: number;
  }
  interface DecodedJpeg {
    width: number;
    height: number;
    data: Uint8Array;
    /** The APP1 Exif payload after its "Exif\0" signature (starting with the signature's second NUL). */
    exifBuffer?: Uint8Array;
  }
  function decode(bytes: Uint8Array, options: JpegDecodeOptions): DecodedJpeg;
  export default decode;
}
