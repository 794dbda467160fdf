/** `vmbench kube job <profile>`: being written (issue #12). */
import type {CliValues} from './commands.js';

export async function kubeCommand(_args: string[], _values: CliValues): Promise<number> {
  process.stderr.write('vmbench kube: not written yet\n');
  return 2;
}
