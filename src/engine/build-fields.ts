/**
 * The build fields Packer's templates read at build time — `{{ .HTTPIP }}`, `{{ .HTTPPort }}`,
 * `{{ .Name }}`, `{{ .SSHPublicKey }}` in boot commands and served content, and for qemuargs also
 * `{{ .HTTPDir }}`, `{{ .OutputDir }}`, `{{ .SSHHostPort }}` (step_run.go's qemuArgsTemplateData)
 * — filled in from the build's state. One home for them, used by the steps that render.
 */
import path from 'node:path';
import {renderBuildFields, TemplateError} from '../profiles/template.js';
import type {BuildState} from './state.js';
import {StepError} from './step.js';

/** SLIRP's fixed address for the host, as seen from the guest. */
export const SLIRP_HOST_IP = '10.0.2.2';

/** Template fields for boot commands and served content. */
export function buildFields(state: BuildState): Record<string, string> {
  return {
    HTTPIP: SLIRP_HOST_IP,
    HTTPPort: String(state.http?.port ?? ''),
    // Packer's .Name is the VM name; without the image extension it makes a usable hostname.
    Name: state.profile.vm_name.replace(/\.(qcow2|raw|img)$/, ''),
    SSHPublicKey: state.sshKey?.publicKey.trim() ?? '',
  };
}

/**
 * The fields qemuargs may use. `.OutputDir` is where the output is being written — the build's
 * work directory, which becomes the output directory when the build succeeds — so a file QEMU
 * writes there (`-serial file:{{ .OutputDir }}/x.log`) ends up in the output. `.SSHHostPort`
 * is 0 without SSH, as in Packer.
 */
export function qemuArgsFields(state: BuildState, sshHostPort: number | undefined): Record<string, string> {
  const {profile, profileDir} = state;
  return {
    ...buildFields(state),
    HTTPDir: profile.http_directory ? path.resolve(profileDir, profile.http_directory) : '',
    OutputDir: state.workDir ?? state.outputDir,
    SSHHostPort: String(sshHostPort ?? 0),
  };
}

/** Render every qemuargs value with `fields`; a value that cannot be rendered names its place. */
export function renderQemuArgs(qemuargs: readonly (readonly string[])[], fields: Record<string, string>): string[][] {
  return qemuargs.map((group, i) =>
    group.map((value, j) => {
      if (!value.includes('{{')) return value;
      try {
        return renderBuildFields(value, fields);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        throw new StepError(`qemuargs[${i}][${j}] "${value}": ${err.message}`);
      }
    }),
  );
}

/**
 * Fill in the build fields in served content (http_content): the actions the profile's check
 * kept for the build (`{{ .HTTPPort }}`, `{{ .Name | upper }}`). An action that uses none of
 * `fields`, or is not a template vmbench can render, is served as it is — so text that only looks
 * like a template (cloud-init's Jinja `{{ v1.local_hostname }}`, put there by an HCL file())
 * arrives untouched.
 */
export function fillBuildFields(text: string, fields: Record<string, string>): string {
  const names = Object.keys(fields);
  return text.replace(/\{\{[^]*?\}\}/g, (action) => {
    if (!names.some((f) => new RegExp(`\\.${f}\\b`).test(action))) return action;
    try {
      return renderBuildFields(action, fields);
    } catch {
      return action;
    }
  });
}
