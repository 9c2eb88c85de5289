/**
 * Kong's `response-transformer` plugin, for the part we generate: headers removed from the
 * response (its header filter), whatever the status.
 */
import type { PluginConfig } from '../config.ts';
import type { Plugin } from '../pipeline.ts';

export function responseTransformer(conf: PluginConfig<'response-transformer'>): Plugin {
  const remove = conf.remove.headers;
  return async function responseTransformerPlugin(req, next) {
    const response = await next(req);
    // In place: the response may stand for an upstream body that is piped to the client later.
    for (const name of remove) response.headers.delete(name);
    return response;
  };
}
