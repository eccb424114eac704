import { layout, liveMetadataShape, parseStored, type LiveMetadata, type ObjectStore } from '../core/index.js';

/** live/NAME/metadata.json, shape-checked: the pointer every reader of the live version starts from (issuer and API). */
export async function readLiveMetadata(store: ObjectStore, name: string): Promise<LiveMetadata | undefined> {
  const key = layout.liveMetadata(name);
  const object = await store.get(key);
  return object === undefined ? undefined : parseStored<LiveMetadata>(key, object.body, liveMetadataShape);
}
