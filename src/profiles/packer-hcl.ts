/**
 * The Packer HCL2 template front end (issue 10): `source "qemu"` blocks used by `build` blocks,
 * as documents for the checker.
 */
import type {FrontEnd} from './loader.js';

export const packerHclDocuments: FrontEnd = (fileOrDir) => {
  throw new Error(`${fileOrDir}: Packer HCL2 templates are not supported yet`);
};
