// The frame sizes of RFC 2544 section 9.1 for Ethernet (with FCS) and the simple IMIX
// (7:4:1 of 64, 570 and 1518 bytes), as the bench names them and as the generator takes them.
export const RFC2544_SIZES = ['64', '128', '256', '512', '1024', '1280', '1518'];
export const IMIX = '64x7,570x4,1518x1';

export const generatorSizes = (name: string): string => (name === 'imix' ? IMIX : name);

/** Mean frame size: what converts a frame rate into a bit rate. */
export function meanFrameBytes(name: string): number {
  const sizes = generatorSizes(name)
    .split(',')
    .map((item) => item.split('x').map(Number));
  const frames = sizes.reduce((n, [, weight = 1]) => n + weight, 0);
  return sizes.reduce((sum, [bytes, weight = 1]) => sum + bytes * weight, 0) / frames;
}

/** Ethernet's bit rate on the wire for a frame rate: preamble, start and gap add 20 bytes a frame. */
export const lineGbps = (pps: number, name: string): number => (pps * (meanFrameBytes(name) + 20) * 8) / 1e9;
