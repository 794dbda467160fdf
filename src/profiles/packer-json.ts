/**
 * The Packer JSON template front end (issue 10): a template's qemu builders (with its
 * variables, provisioners and post-processors) as documents for the checker.
 */
import type {FrontEnd} from './loader.js';

export const packerJsonDocuments: FrontEnd = (file) => {
  throw new Error(`${file}: Packer JSON templates are not supported yet`);
};
