/**
 * Post-processors: steps run after the image is converted (Packer's `post-processors`), their
 * typed shapes and field tables, checked like provisioners (check-profile.ts).
 */
import type {FieldSpec} from './schema.js';

/** One post-processor as the engine runs it. */
export type PostProcessor = {type: string; name?: string; source: string};

/** One post-processor type: its fields, and how checked fields become the typed post-processor. */
export interface PostProcessorType {
  fields: Record<string, FieldSpec>;
  /** Returns the post-processor, or a message for the whole mapping. */
  build(fields: Record<string, unknown>, source: string): PostProcessor | string;
}

/** The post-processor types vmbench runs (none yet). */
export const POST_PROCESSOR_TYPES: Record<string, PostProcessorType> = {};
