import type { Channel, ParsedRequestOf, ResponseOf } from '../../src-preload/api';
import type { Easel } from '../core/easel';
import { toPublicSettings } from '../core/settings/settings-store';

export type HandlerTable = {
  [C in Channel]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>>;
};

/** One handler per contract channel; both hosts serve exactly this table. */
export function createHandlers(easel: Easel): HandlerTable {
  return {
    'app.info': () => easel.info(),
    'settings.get': async () => toPublicSettings(await easel.settings.get()),
    'settings.update': async (patch) => toPublicSettings(await easel.settings.update(patch)),
    'models.list': () => easel.models.list(),
    'models.plan': ({ id }) => easel.models.plan(id),
    'models.download': ({ id }) => easel.models.download(id),
    'models.pause': ({ id }) => easel.models.pause(id),
    'models.cancel': ({ id }) => easel.models.cancel(id),
    'models.remove': ({ id }) => easel.models.remove(id),
    'models.verify': ({ id }) => easel.models.verify(id),
    'models.import': ({ path, mode }) => easel.models.importFolder(path, mode),
  };
}
