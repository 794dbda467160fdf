/**
 * Post-processors: steps run after the image is converted (Packer's `post-processors`), their
 * typed shapes and field tables, checked like provisioners (check-profile.ts).
 *
 * The raw `post_processors` list holds mappings and lists of mappings, as Packer JSON's
 * `post-processors` does: a list is a sequence whose post-processors each get the previous one's
 * artifact; a lone mapping is a sequence of one. Each sequence starts from the build's image.
 * (HCL2's `post-processors { … }` block is a sequence, a lone `post-processor` one of one.)
 */
import {GENERATED_FIELDS, SHELL_LOCAL_FIELDS, shellLocalConfig, type ShellLocalConfig} from './provisioner-schema.js';
import {compressFormat} from './compress-format.js';
import type {FieldSpec} from './schema.js';

/** What every post-processor has: Packer's keep_input_artifact, unset meaning the type's default. */
interface PostProcessorBase {
  name?: string;
  /** Where it stands in the profile, for messages. */
  source: string;
  /** Keep the artifact it was given; unset: the type decides (compress: no; the others: yes, always). */
  keep_input_artifact?: boolean;
}

/** Packer's `checksum`: one file per checksum type, `<hex>\t<file name>` per artifact file, appended. */
export interface ChecksumPostProcessor extends PostProcessorBase {
  type: 'checksum';
  checksum_types: ChecksumType[];
  /** Path template ({{.BuildName}}, {{.BuilderType}}, {{.ChecksumType}}), relative to the working directory. */
  output: string;
}

/** Packer's `manifest`: a JSON record of the build's artifacts, appended to across runs. */
export interface ManifestPostProcessor extends PostProcessorBase {
  type: 'manifest';
  output: string;
  strip_path: boolean;
  strip_time: boolean;
  custom_data?: Record<string, string>;
}

/** Packer's `compress`: the artifact's files into one archive, the format read from the output's extensions. */
export interface CompressPostProcessor extends PostProcessorBase {
  type: 'compress';
  output: string;
  /** Packer's `format`: extensions that decide the format instead of output's (`tar.gz`). */
  format?: string;
  /** Packer's: -1 or 0 is the default; values above 9 are 9. */
  compression_level: number;
}

export interface ShellLocalPostProcessor extends PostProcessorBase, ShellLocalConfig {
  type: 'shell-local';
}

/** Disk formats vmbench converts the image to (qemu-img's names are in engine/post-processors/convert.ts). */
export const DISK_FORMATS = ['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];

/** vmbench's `convert`: the image in more formats, beside it, converted side by side. */
export interface ConvertPostProcessor extends PostProcessorBase {
  type: 'convert';
  formats: DiskFormat[];
  /** qcow2 copies are compressed (qemu-img convert -c). */
  qcow2_compressed: boolean;
  vmdk_subformat: 'streamOptimized' | 'monolithicSparse' | 'monolithicFlat';
  vhd_subformat: 'dynamic' | 'fixed';
  vhdx_subformat: 'dynamic' | 'fixed';
  /** Run virt-sparsify --in-place on the image first when it is installed. */
  sparsify: boolean;
  /** Conversions at once; 0: as many as the host's CPUs. */
  jobs: number;
  /** Where the copies go (default: beside the image); a template like output. */
  output_directory?: string;
}

/** vmbench's `containerdisk`: the image as a KubeVirt containerDisk (disk at /disk/, 107:107). */
export interface ContainerDiskPostProcessor extends PostProcessorBase {
  type: 'containerdisk';
  /** oci: an OCI image layout in a tar (skopeo's oci-archive:); docker: docker-archive:. */
  archive: 'oci' | 'docker';
  /** The archive to write (default: beside the image, <stem>.containerdisk.tar / .docker.tar). */
  output?: string;
  /** Repository and tag recorded in the archive. */
  image_name: string;
  image_tag: string;
  /** The layer: as is, or gzip-compressed. */
  layer_compression: 'none' | 'gzip';
  /** Push to this registry reference with skopeo (docker://host/repo:tag or host/repo:tag). */
  push?: string;
  /** A containers-auth.json / docker config.json with the registry's credentials. */
  credentials_file?: string;
  /** Verify the registry's TLS certificate when pushing. */
  tls_verify: boolean;
}

/**
 * Packer's `vagrant` (packer-plugin-vagrant): the build's disk image as a Vagrant box for the
 * libvirt provider, a tar (gzip'd unless compression_level is 0) of box_0.img…, metadata.json and
 * a Vagrantfile (engine/post-processors/vagrant.ts). A JSON template's `override.libvirt` options
 * are merged in when the profile is checked.
 */
export interface VagrantPostProcessor extends PostProcessorBase {
  type: 'vagrant';
  /** Path template ({{.BuildName}}, {{.Provider}}, {{.Architecture}}, {{.ArtifactId}}), relative to the working directory. */
  output: string;
  /** -1: gzip's default (6, as Packer's); 0: a plain tar; 1–9. */
  compression_level: number;
  /** Files copied into the box's top level by their base names (relative to the profile's folder). */
  include: string[];
  /** A file whose contents, rendered as a template, are appended to the box's Vagrantfile. */
  vagrantfile_template?: string;
  /** The template is made during the build: not checked before it starts. */
  vagrantfile_template_generated: boolean;
  /** "libvirt" (or unset): the only provider of a QEMU build's box. */
  provider_override?: string;
  /** The box's architecture (metadata.json, {{.Architecture}}); default: the guest's (qemu_binary). */
  architecture?: string;
}

export type PostProcessor = ChecksumPostProcessor | ManifestPostProcessor | CompressPostProcessor | ShellLocalPostProcessor | ConvertPostProcessor | ContainerDiskPostProcessor | VagrantPostProcessor;

export const CHECKSUM_TYPES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];

/** Packer's default output paths. */
export const DEFAULT_OUTPUT = {
  checksum: 'packer_{{.BuildName}}_{{.BuilderType}}_{{.ChecksumType}}.checksum',
  manifest: 'packer-manifest.json',
  compress: 'packer_{{.BuildName}}_{{.BuilderType}}',
  vagrant: 'packer_{{.BuildName}}_{{.Provider}}_{{.Architecture}}.box',
} as const;

/** Architectures Vagrant knows (Packer's documentation of `architecture`). */
export const VAGRANT_ARCHITECTURES = ['amd64', 'i386', 'arm', 'arm64', 'ppc64le', 'ppc64', 'mips64le', 'mips64', 'mipsle', 'mips', 's390x', 'riscv64'] as const;
/** Vagrant providers Packer's vagrant post-processor knows (provider_override). */
export const VAGRANT_PROVIDERS = ['aws', 'azure', 'digitalocean', 'docker', 'file', 'google', 'hyperv', 'libvirt', 'lxc', 'parallels', 'scaleway', 'virtualbox', 'vmware'] as const;

/** One post-processor type: its fields, and how checked fields become the typed post-processor. */
export interface PostProcessorType {
  fields: Record<string, FieldSpec>;
  /**
   * Packer's per-provider `override` mapping (the vagrant post-processor's): the options under
   * this provider's name are checked as the type's own and replace them; other providers' are ignored.
   */
  override?: string;
  /** Returns the post-processor, or a message for the whole mapping; `warn` names what it does differently. */
  build(fields: Record<string, unknown>, source: string, warn: (message: string) => void): PostProcessor | string;
}

const PP_FIELDS = ['BuildName', 'BuilderType', ...GENERATED_FIELDS];

const COMMON_FIELDS: Record<string, FieldSpec> = {
  type: {kind: 'string', doc: 'post-processor type'},
  name: {kind: 'string', doc: 'name shown in logs'},
  keep_input_artifact: {kind: 'bool', doc: 'keep the artifact this post-processor was given (compress removes it by default)'},
  only: {kind: 'string[]', doc: 'builds it runs for (Packer templates)', ignored: 'only selects builds in a Packer template; a vmbench profile is one build, so it has no effect here'},
  except: {kind: 'string[]', doc: 'builds it skips (Packer templates)', ignored: 'except selects builds in a Packer template; a vmbench profile is one build, so it has no effect here'},
};

/** The post-processor types vmbench runs. */
export const POST_PROCESSOR_TYPES: Record<string, PostProcessorType> = {
  checksum: {
    fields: {
      ...COMMON_FIELDS,
      checksum_types: {kind: 'string[]', doc: `checksums to write, any of ${CHECKSUM_TYPES.join(', ')} (default md5)`},
      output: {kind: 'string', buildFields: [...PP_FIELDS, 'ChecksumType'], doc: `file to write, per type (default ${DEFAULT_OUTPUT.checksum})`},
    },
    build(t, source) {
      const types = (t.checksum_types as string[] | undefined) ?? ['md5'];
      const bad = types.filter((x) => !(CHECKSUM_TYPES as readonly string[]).includes(x));
      if (bad.length) return `checksum_types: unknown checksum type ${bad.map((b) => JSON.stringify(b)).join(', ')} (known: ${CHECKSUM_TYPES.join(', ')})`;
      return {...(t as Partial<ChecksumPostProcessor>), type: 'checksum', checksum_types: types as ChecksumType[], output: (t.output as string | undefined) || DEFAULT_OUTPUT.checksum, source};
    },
  },
  manifest: {
    fields: {
      ...COMMON_FIELDS,
      output: {kind: 'string', buildFields: PP_FIELDS, doc: `file to write (default ${DEFAULT_OUTPUT.manifest}); an existing one is added to`},
      strip_path: {kind: 'bool', doc: 'write only the file names of artifacts, without their directories'},
      strip_time: {kind: 'bool', doc: 'leave build_time out'},
      custom_data: {kind: 'string-map', buildFields: PP_FIELDS, doc: 'more data recorded with the build: name: value'},
    },
    build(t, source) {
      return {strip_path: false, strip_time: false, ...(t as Partial<ManifestPostProcessor>), type: 'manifest', output: (t.output as string | undefined) || DEFAULT_OUTPUT.manifest, source};
    },
  },
  compress: {
    fields: {
      ...COMMON_FIELDS,
      output: {kind: 'string', buildFields: PP_FIELDS, doc: `archive to write; its extensions choose the format: .tar, .zip, .gz, .tar.gz, .bzip2, .xz, .lz4, .zst (default ${DEFAULT_OUTPUT.compress}: a tar.gz)`},
      format: {kind: 'string', doc: 'extensions that choose the format instead of output’s, e.g. "tar.gz"'},
      compression_level: {kind: 'int', min: -1, doc: 'compression level, 1 (fast) to 9 (small); -1 or 0: the default'},
    },
    build(t, source, warn) {
      const pp: CompressPostProcessor = {compression_level: -1, ...(t as Partial<CompressPostProcessor>), type: 'compress', output: (t.output as string | undefined) || DEFAULT_OUTPUT.compress, source};
      const f = compressFormat(pp.output, pp.format);
      if (f.note) warn(f.note);
      return f.error ?? pp;
    },
  },
  convert: {
    fields: {
      ...COMMON_FIELDS,
      formats: {kind: 'string[]', doc: `disk formats to write beside the image: ${DISK_FORMATS.join(', ')}`},
      qcow2_compressed: {kind: 'bool', doc: 'compress qcow2 copies (qemu-img convert -c; default true)'},
      vmdk_subformat: {kind: 'string', oneOf: ['streamOptimized', 'monolithicSparse', 'monolithicFlat'], doc: 'vmdk kind (default streamOptimized, the one to upload)'},
      vhd_subformat: {kind: 'string', oneOf: ['dynamic', 'fixed'], doc: 'vhd kind (default dynamic; fixed is what Azure takes)'},
      vhdx_subformat: {kind: 'string', oneOf: ['dynamic', 'fixed'], doc: 'vhdx kind (default dynamic)'},
      sparsify: {kind: 'bool', doc: 'run virt-sparsify --in-place on the image first when it is installed (default true)'},
      jobs: {kind: 'int', min: 0, doc: 'conversions at once (default 0: as many as the host has CPUs)'},
      output_directory: {kind: 'string', buildFields: PP_FIELDS, doc: 'where the copies go (default: beside the image)'},
    },
    build(t, source) {
      const formats = (t.formats as string[] | undefined) ?? [];
      if (!formats.length) return `formats: give at least one of ${DISK_FORMATS.join(', ')}`;
      const bad = formats.filter((x) => !(DISK_FORMATS as readonly string[]).includes(x));
      if (bad.length) return `formats: unknown disk format ${bad.map((b) => JSON.stringify(b)).join(', ')} (known: ${DISK_FORMATS.join(', ')})`;
      return {
        qcow2_compressed: true,
        vmdk_subformat: 'streamOptimized',
        vhd_subformat: 'dynamic',
        vhdx_subformat: 'dynamic',
        sparsify: true,
        jobs: 0,
        ...(t as Partial<ConvertPostProcessor>),
        formats: [...new Set(formats)] as DiskFormat[],
        type: 'convert',
        source,
      };
    },
  },
  containerdisk: {
    fields: {
      ...COMMON_FIELDS,
      archive: {kind: 'string', oneOf: ['oci', 'docker'], doc: 'oci (default): an OCI image archive; docker: a docker-archive'},
      output: {kind: 'string', buildFields: PP_FIELDS, doc: 'archive to write (default: beside the image, <name>.containerdisk.tar)'},
      image_name: {kind: 'string', buildFields: PP_FIELDS, doc: 'repository recorded in the archive (default vmbench/<build name>)'},
      image_tag: {kind: 'string', buildFields: PP_FIELDS, doc: 'tag (default latest)'},
      layer_compression: {kind: 'string', oneOf: ['none', 'gzip'], doc: 'the layer as is (default) or gzip-compressed'},
      push: {kind: 'string', buildFields: PP_FIELDS, doc: 'push to this registry reference with skopeo (docker://host/repo:tag); credentials from VMBENCH_REGISTRY_USER/VMBENCH_REGISTRY_PASSWORD or credentials_file'},
      credentials_file: {kind: 'string', doc: 'auth.json (containers-auth.json or docker config.json) for the push'},
      tls_verify: {kind: 'bool', doc: "verify the registry's TLS certificate (default true)"},
    },
    build(t, source) {
      return {
        archive: 'oci',
        image_name: 'vmbench/{{.BuildName}}',
        image_tag: 'latest',
        layer_compression: 'none',
        tls_verify: true,
        ...(t as Partial<ContainerDiskPostProcessor>),
        type: 'containerdisk',
        source,
      };
    },
  },
  vagrant: {
    override: 'libvirt',
    fields: {
      ...COMMON_FIELDS,
      keep_input_artifact: {kind: 'bool', doc: 'keep the build’s image (by default it is removed once the box is written, as Packer does)'},
      output: {kind: 'string', buildFields: [...PP_FIELDS, 'Provider', 'Architecture', 'ArtifactId'], doc: `box to write, relative to the working directory (default ${DEFAULT_OUTPUT.vagrant})`},
      compression_level: {kind: 'int', min: -1, max: 9, doc: 'gzip level of the box, 1 (fast) to 9 (small); 0: an uncompressed tar; default 6'},
      include: {kind: 'string[]', doc: 'files copied into the box beside the Vagrantfile (relative to the profile’s folder)'},
      vagrantfile_template: {kind: 'string', doc: 'a file whose contents (a template: {{.BuildName}}, {{.Provider}}, {{.Architecture}}, {{.ArtifactId}}, {{ user `x` }}) are added to the box’s Vagrantfile'},
      vagrantfile_template_generated: {kind: 'bool', doc: 'the vagrantfile_template is made during the build: do not check it before'},
      provider_override: {kind: 'string', doc: 'the box’s provider: libvirt, the only one a QEMU image makes'},
      architecture: {kind: 'string', doc: `the box’s architecture (${VAGRANT_ARCHITECTURES.join(', ')}); default: the guest’s, from qemu_binary`},
      override: {kind: 'map', doc: 'per-provider options (Packer JSON): override.libvirt’s apply here, the other providers’ are ignored'},
    },
    build(t, source, warn) {
      const {override: _override, ...rest} = t;
      const pp: VagrantPostProcessor = {
        compression_level: -1,
        include: [],
        vagrantfile_template_generated: false,
        ...(rest as Partial<VagrantPostProcessor>),
        output: (t.output as string | undefined) || DEFAULT_OUTPUT.vagrant,
        type: 'vagrant',
        source,
      };
      if (!pp.provider_override) delete pp.provider_override;
      else if (pp.provider_override !== 'libvirt') {
        const known = (VAGRANT_PROVIDERS as readonly string[]).includes(pp.provider_override);
        return `provider_override: ${JSON.stringify(pp.provider_override)} ${known ? 'is a box for another provider: a QEMU image makes a libvirt box' : `is not a Vagrant provider Packer knows (${VAGRANT_PROVIDERS.join(', ')})`}; leave it out or set "libvirt"`;
      }
      if (!pp.architecture) delete pp.architecture;
      else if (!(VAGRANT_ARCHITECTURES as readonly string[]).includes(pp.architecture)) warn(`architecture ${JSON.stringify(pp.architecture)} is not one Vagrant knows (${VAGRANT_ARCHITECTURES.join(', ')}): the box says it as written`);
      if (!pp.vagrantfile_template) delete pp.vagrantfile_template;
      return pp;
    },
  },
  'shell-local': {
    fields: {...COMMON_FIELDS, ...SHELL_LOCAL_FIELDS, execute_command: {...SHELL_LOCAL_FIELDS.execute_command!, buildFields: ['Vars', 'Script', 'Command', ...PP_FIELDS]}},
    build(t, source) {
      const {keep_input_artifact, ...rest} = t;
      const exec = rest.execute_command as string[] | undefined;
      // Packer's post-processor took execute_command as one string once: run through sh -c, as it still is.
      if (exec?.length === 1) rest.execute_command = ['sh', '-c', exec[0]!];
      const c = shellLocalConfig(rest, source, {execute_command: ['/bin/sh', '-c', '{{.Vars}} {{.Script}}']});
      if (typeof c === 'string') return c;
      return {...c, type: 'shell-local', ...(keep_input_artifact === undefined ? {} : {keep_input_artifact: keep_input_artifact as boolean})};
    },
  },
};

const CLOUD_UPLOAD = 'it uploads the image to a cloud or a hypervisor, which vmbench does not do';
/**
 * Packer's post-processors vmbench does not run. In a Packer template each is skipped with a
 * warning at its line, and with it the rest of its sequence (which would work on its output):
 * the build still makes its disk image, which is what vmbench builds. Any other type is an error.
 */
export const SKIPPED_PACKER_POST_PROCESSORS: Readonly<Record<string, string>> = {
  'vagrant-cloud': 'it uploads the Vagrant box to a registry, which vmbench does not do (the box itself is written)',
  'vagrant-registry': 'it uploads the Vagrant box to a registry, which vmbench does not do (the box itself is written)',
  'artifice': 'vmbench does not replace the build’s artifact with other files',
  'docker-import': 'vmbench does not make Docker images from a disk image (the containerdisk post-processor makes a KubeVirt one)',
  'docker-push': 'vmbench does not push Docker images (the containerdisk post-processor can push a KubeVirt one)',
  'docker-save': 'vmbench does not make Docker images',
  'docker-tag': 'vmbench does not make Docker images',
  'amazon-import': CLOUD_UPLOAD,
  'googlecompute-import': CLOUD_UPLOAD,
  'googlecompute-export': CLOUD_UPLOAD,
  'digitalocean-import': CLOUD_UPLOAD,
  'alicloud-import': CLOUD_UPLOAD,
  'exoscale-import': CLOUD_UPLOAD,
  'ucloud-import': CLOUD_UPLOAD,
  'yandex-import': CLOUD_UPLOAD,
  'yandex-export': CLOUD_UPLOAD,
  'openstack-import': CLOUD_UPLOAD,
  'vsphere': CLOUD_UPLOAD,
  'vsphere-template': CLOUD_UPLOAD,
  'hcp-sbom': 'vmbench does not send SBOMs to HCP Packer',
};

/**
 * A Packer template's post_processors without the ones vmbench skips (each with the rest of its
 * sequence), as check-profile reads them: what `vmbench import` writes into a profile.
 */
export function withoutSkippedPostProcessors(list: unknown[]): {kept: unknown[]; skipped: string[]} {
  const skipped: string[] = [];
  const typeOf = (x: unknown): unknown => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>).type : undefined);
  const kept = list.flatMap((item) => {
    const seq = Array.isArray(item) ? item : [item];
    const cut = seq.findIndex((x) => {
      const t = typeOf(x);
      return typeof t === 'string' && Object.hasOwn(SKIPPED_PACKER_POST_PROCESSORS, t);
    });
    if (cut < 0) return [item];
    skipped.push(...seq.slice(cut).map((x) => String(typeOf(x) ?? '?')));
    if (!cut) return [];
    return [Array.isArray(item) ? seq.slice(0, cut) : item];
  });
  return {kept, skipped};
}
