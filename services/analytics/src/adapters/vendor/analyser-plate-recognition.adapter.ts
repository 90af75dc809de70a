import { PlateReaderReply } from '@citus/contracts';
import type { AnalysisCall, AnalysisOutcome, ImageAnalyser } from '../../domain/analyser.port.js';
import { callVendor } from './analyser-vendor.call.js';

/**
 * Plate recognition through Plate Recognizer's Snapshot API: `POST /v1/plate-reader/` with
 * `Authorization: Token <key>` and the image by URL in the form field `upload_url`
 * (https://guides.platerecognizer.com/docs/snapshot/api-reference).
 */
export class PlateRecognitionAnalyser implements ImageAnalyser {
  readonly kind = 'plate-recognition' as const;

  async analyse(call: AnalysisCall): Promise<AnalysisOutcome> {
    const form = new FormData();
    form.set('upload_url', call.imageUrl);
    const answer = await callVendor(call.endpoint, { headers: { authorization: `Token ${call.apiKey}` }, body: form, signal: call.signal }, PlateReaderReply);
    if (!answer.ok) return answer;
    const plates = answer.reply.results.map(({ plate, score, box, region }) => ({ plate, score, box, ...(region ? { region: region.code } : {}) }));
    return { ok: true, findings: { plates, count: plates.length } };
  }
}
