import { FaceDetectReply } from '@citus/contracts';
import type { AnalysisCall, AnalysisOutcome, ImageAnalyser } from '../../domain/analyser.port.js';
import { callVendor } from './analyser-vendor.call.js';

/**
 * Face detection shaped like Azure AI Face's detect: `POST {endpoint}` with the key in
 * `Ocp-Apim-Subscription-Key`, a JSON body `{"url": ...}`, answered with one `faceRectangle` per face.
 */
export class FaceDetectionAnalyser implements ImageAnalyser {
  readonly kind = 'face-detection' as const;

  async analyse(call: AnalysisCall): Promise<AnalysisOutcome> {
    const headers = { 'content-type': 'application/json', 'ocp-apim-subscription-key': call.apiKey };
    const answer = await callVendor(call.endpoint, { headers, body: JSON.stringify({ url: call.imageUrl }), signal: call.signal }, FaceDetectReply);
    if (!answer.ok) return answer;
    const faces = answer.reply.map(({ faceRectangle: { top, left, width, height } }) => ({ top, left, width, height }));
    return { ok: true, findings: { faces, count: faces.length } };
  }
}
