// The capture command's summary: where the file is, what it holds, and why it ended.
import type { CaptureReport } from '../dataplane';

export function formatCapture(group: string, report: CaptureReport): string {
  const state = report.running ? 'running' : `ended (${report.ended})`;
  const dropped = report.framesDropped > 0 ? `, ${report.framesDropped} not captured (the capture fell behind)` : '';
  return `${group}: ${report.framesWritten} frames, ${report.bytesWritten} bytes${dropped}; ${state}\n${report.file}\n`;
}
