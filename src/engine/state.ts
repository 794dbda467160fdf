/**
 * The typed state a build's steps share. Each field says which step produces it; a step that
 * needs a field uses `need()` so a skipped producer gives a clear message, not a crash.
 */
import type {Profile} from '../profiles/schema.js';
import type {QemuProcess} from '../qemu/driver.js';
import type {QmpClient} from '../qemu/qmp.js';
import type {RunningHttpServer} from '../http/server.js';
import type {SshSession} from '../ssh/index.js';
import type {ScreenWaiter} from './steps/type-boot-command.js';
import type {FrameSource} from '../vnc/frame-source.js';
import type {BuildSections} from './sections.js';
import type {InstallerAssets} from '../installer/assets.js';
import type {BuildEvidence} from './evidence.js';

export interface BuildOptions {
  /** Replace an existing output directory. */
  force: boolean;
  cacheDir: string;
  /** Where this build's logs go (kept after failures). */
  logDir: string;
  /** Override the profile's output_directory. */
  outputDir?: string;
  /** Environment for template `{{ env }}` and provisioners. */
  env: Record<string, string | undefined>;
  /** Packer's working directory: post-processor outputs and shell-local commands (default: the process's). */
  cwd?: string;
  /** Add the start time to the output folder's name (--timestamp; also profile.output_timestamp). */
  timestamp?: boolean;
}

export interface BuildState {
  readonly id: string;
  readonly profile: Profile;
  readonly profileDir: string;
  /** The profile or template file the build was loaded from. */
  readonly profileFile?: string;
  readonly options: BuildOptions;
  /** Values never to print (Packer's sensitive variables). */
  readonly secrets?: readonly string[];
  /** When the build started (ms since the epoch). */
  readonly startedAt?: number;
  /** Each finished step's time, in order (for the manifest). */
  readonly stepTimes?: {id: string; title: string; status: string; seconds: number}[];
  /** Final output directory (absolute). Created only when the build succeeds. */
  readonly outputDir: string;
  /** Scratch directory beside outputDir; renamed to outputDir at the end. (prepare-output) */
  workDir?: string;
  /** Private directory for sockets (short path: unix sockets are limited to 108 bytes). (start-vm) */
  socketDir?: string;
  /** (fetch-iso) */
  isoPath?: string;
  /** Fonts and debconf templates of the installer on the ISO, read from it (cached). (fetch-iso) */
  installerAssets?: InstallerAssets;
  /** Working disk inside workDir. (create-disk) */
  diskPath?: string;
  /** disk_additional_size's disks inside workDir, in order; kept as `<vm_name>-<n>`. (create-disk) */
  additionalDisks?: string[];
  /** The CD image written from cd_files/cd_content, and the floppy image. (create-media) */
  cdPath?: string;
  floppyPath?: string;
  /** cloud_init's NoCloud seed (an ISO labelled cidata). (cloud-seed) */
  seedPath?: string;
  /** This build's copy of the UEFI variables, inside workDir. (prepare-efivars) */
  efiVarsPath?: string;
  /** (serve-http) */
  http?: {server: RunningHttpServer; guestIp: string; port: number};
  /** Temporary key pair for this build. (ssh-key) */
  sshKey?: {privateKey: string; publicKey: string};
  /** (start-vm) */
  accel?: 'kvm' | 'tcg';
  sshHostPort?: number;
  vncPort?: number;
  /** With vnc_use_password: what a VNC viewer must give (set in QEMU over QMP). (start-vm) */
  vncPassword?: string;
  qemu?: QemuProcess;
  qmp?: QmpClient;
  /** Reads the VM's screen for <waitFor>/<waitStable>. (start-vm) */
  screen?: ScreenWaiter;
  /** Live VNC frames, opened on first use (see engine/screen.ts); stopped with the VM. */
  frames?: FrameSource;
  /** Set once the VM is being shut down or stopped: no new screen connection may open then. */
  vmStopping?: boolean;
  /** (wait-ssh) */
  ssh?: SshSession;
  /** Set by shutdown once the guest has powered off. */
  poweredOff?: boolean;
  /** Provisioning output as BEGIN/END sections, saved as sections.json in the log dir. (runBuild) */
  sections?: BuildSections;
  /** (convert) */
  artifacts: {path: string; format: string; bytes: number}[];
  /** What the build saw of the guest, for the diagnosis (engine/evidence.ts); fed by runBuild and the steps. */
  readonly evidence: BuildEvidence;
}
