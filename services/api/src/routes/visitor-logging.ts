import type { FastifyRequest } from 'fastify';
import type { TypedApp } from './common.js';

/**
 * What a request log line says of a visitor to a page meant for the public: its method and path, nothing else.
 * fastify's own line adds the client's address and port, the `Host` it asked for and the query. For the report
 * form and the status page that ties a citizen's address to a report (the form promises no contact is needed,
 * and the rate limits count addresses in memory only); for the walled-garden page the `Host` is the blocked
 * site the user tried to reach (an RPZ sends its name here), so every line would record who tried which
 * blocked site. Neither is needed to run the pages, and logs outlive processing.
 */
function visitorRequest(req: FastifyRequest): { method: string; url: string } {
  const url = req.url;
  const query = url.indexOf('?');
  return { method: req.method, url: query === -1 ? url : url.slice(0, query) };
}

/** Logs every route this plugin registers from now on with `visitorRequest` (call it before the routes). */
export function logVisitorsWithoutAddress(app: TypedApp): void {
  app.addHook('onRoute', (route) => {
    route.logSerializers = { ...route.logSerializers, req: visitorRequest };
  });
}
