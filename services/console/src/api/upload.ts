import { ApiFailure, currentApiLanguage, currentCsrfToken, sessionEndedOnUpload } from './client.js';
import type { Answer } from './types.js';

type Imports = '/v1/banks/{id}/import' | '/v1/url-lists/{bankId}/import';

/**
 * Uploads a list file to an import route with progress (fetch reports no upload progress; XMLHttpRequest does).
 * The route and its answer are typed from the OpenAPI document like every other call, and it is sent as they are:
 * in the person's language, and a 401 ends the console's session. Every ending settles the promise (an upload
 * the browser aborts or times out included), so the form that waits for it never stays busy.
 */
export function uploadList<P extends Imports>(
  route: P,
  id: string,
  query: Record<string, string>,
  file: File,
  contentType: string,
  onProgress: (sent: number, total: number) => void,
): Promise<Answer<P, 'post'>> {
  const path = route.replace(/\{[^}]+\}/, encodeURIComponent(id));
  const url = `${path}?${new URLSearchParams(query).toString()}`;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('accept-language', currentApiLanguage());
    const token = currentCsrfToken();
    if (token !== null) xhr.setRequestHeader('x-csrf-token', token);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new TypeError('network error'));
    xhr.ontimeout = () => reject(new TypeError('network error'));
    xhr.onabort = () => reject(new DOMException('the upload was aborted', 'AbortError'));
    xhr.onload = () => {
      const body = xhr.response as { error?: { code?: string; message?: string } } | null;
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as Answer<P, 'post'>);
      else {
        if (xhr.status === 401) sessionEndedOnUpload();
        reject(
          new ApiFailure(
            xhr.status,
            body?.error?.code ?? `HTTP_${xhr.status}`,
            body?.error?.message ?? xhr.statusText,
          ),
        );
      }
    };
    xhr.send(file);
  });
}
