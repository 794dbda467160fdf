/**
 * Authentication strategy for one connection, as an ssh2 `authHandler`.
 *
 * Why a custom handler instead of ssh2's default list: ssh2 only reveals which methods the
 * server accepts through the handler's `methodsLeft` argument (client.js USERAUTH_FAILURE →
 * `curAuthsLeft = authMethods; tryNextAuth()`), and we want that list in the error message
 * ("server offers: publickey,password"). Asking `none` first (free: OpenSSH does not count it
 * against MaxAuthTries) learns the list before spending a real try, so a password is not sent
 * to a server that only takes keys, which also avoids PAM's failure delay.
 *
 * Order: none, the explicit key, the agent's keys, password, keyboard-interactive. An agent is
 * passed to ssh2 as `{type: 'agent', username, agent: socketPath}` (client.js doNextAuth turns
 * the path into an OpenSSHAgent); ssh2 then asks the agent for its identities and offers them one
 * by one — each rejection goes to the next agent key (USERAUTH_FAILURE → tryNextAgentKey) without
 * calling this handler, which is called again only when the agent has no keys left. An agent that
 * cannot be reached (or refuses to sign) is reported as an 'error' event with `level: 'agent'`,
 * after which ssh2 carries on with the next method: connect-once must not end the attempt on it.
 * Each agent key counts against OpenSSH's MaxAuthTries (default 6), so an agent with many keys
 * can use up the tries before the password is reached — the same as `ssh` itself.
 */
import ssh2 from 'ssh2';
import type {AnyAuthMethod, AuthHandlerMiddleware, ParsedKey} from 'ssh2';
import type {SshTarget} from './types.js';

/** What the handler learned during one attempt; read after an auth failure. */
export interface AuthProgress {
  /** Methods actually sent to the server, in order. */
  tried: string[];
  /** Methods the server said may continue, from the last USERAUTH_FAILURE (undefined if none seen). */
  offered?: string[];
  /** Why the ssh-agent could not be used (ssh2's 'error' with level 'agent'), e.g. "Failed to connect to agent (/run/agent.sock)". */
  agentError?: string;
}

/** The method name the server sees (and lists in USERAUTH_FAILURE) for one of our candidates. */
function wireMethod(type: AnyAuthMethod['type']): string {
  return type === 'agent' ? 'publickey' : type;
}

/**
 * Parse the target's private key once, up front: ssh2 would otherwise throw from `connect()`
 * (client.js "Cannot parse privateKey") on every attempt, or with an authHandler skip the key
 * silently. Returns undefined when the target has no key; throws a message naming no key bytes.
 */
export function parsePrivateKey(target: SshTarget): ParsedKey | undefined {
  if (target.privateKey === undefined) return undefined;
  const parsed = ssh2.utils.parseKey(target.privateKey, target.passphrase);
  const key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  if (key === undefined || key instanceof Error) {
    const why = key instanceof Error ? key.message : 'no key found';
    throw new Error(`cannot use the SSH private key: ${why}`);
  }
  if (!key.isPrivateKey()) throw new Error('cannot use the SSH private key: it is a public key');
  return key;
}

/** Build the handler for one attempt; `progress` is filled in as the server answers. */
export function makeAuthHandler(target: SshTarget, key: ParsedKey | undefined, progress: AuthProgress): AuthHandlerMiddleware {
  const {username, password} = target;
  const candidates: AnyAuthMethod[] = [{type: 'none', username}];
  if (key) candidates.push({type: 'publickey', username, key});
  if (target.agent) candidates.push({type: 'agent', username, agent: target.agent});
  if (password !== undefined) {
    candidates.push({type: 'password', username, password});
    // Packer also answers keyboard-interactive prompts with the password: Debian-style sshd
    // configs often disable PasswordAuthentication but keep KbdInteractiveAuthentication on.
    candidates.push({
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    });
  }
  return (methodsLeft, _partialSuccess, next) => {
    // ssh2 passes null on the first call although @types/ssh2 says an array.
    const left = methodsLeft as string[] | null;
    if (left) progress.offered = [...left];
    for (;;) {
      const candidate = candidates.shift();
      if (!candidate) {
        // false = "nothing more to try": ssh2 then emits 'All configured authentication
        // methods failed' (level client-authentication) and ends the connection.
        (next as unknown as (auth: false) => void)(false);
        return;
      }
      if (left && !left.includes(wireMethod(candidate.type))) continue;
      progress.tried.push(candidate.type);
      next(candidate);
      return;
    }
  };
}
