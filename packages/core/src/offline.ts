export { indexedDbBuffer } from './indexedDbBuffer';
export type { IndexedDbBufferOptions } from './indexedDbBuffer';
