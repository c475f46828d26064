import type { EaselApi } from '../src-preload/api';

declare global {
  interface Window {
    /** Present inside Electron (the preload); absent in a browser, where bridge.ts builds it. */
    easel?: EaselApi;
  }
}
