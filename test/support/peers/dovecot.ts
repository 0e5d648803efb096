// A real Dovecot (Debian's dovecot-imapd) on 127.0.0.1 for the IMAP connector's tests:
// plaintext IMAP with IDLE (on by default in Dovecot), maildir under its own directory, one
// passwd-file per user (Dovecot looks at a known passwd-file for changes at most once a
// second, so a user added to a shared file could be refused for up to a second). Config from /work/shared/PEERS.md,
// with the chroots of anvil and imap-login turned off so it runs from a scratch dir as root.
// With `tls: true` it also offers STARTTLS on the same port and implicit TLS on `imapsPort`,
// with a self-signed certificate made by openssl at start.
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ImapFlow } from "imapflow";
import { type Daemon, freePort, greets, removeDir, scratchDir, spawnDaemon, waitReady } from "./daemon";

const run = promisify(execFile);

export type MailboxStatus = { messages: number; uidNext: number; uidValidity: number };

export type Dovecot = {
  host: "127.0.0.1";
  /** IMAP (plaintext; STARTTLS too with `tls`). */
  port: number;
  /** With `tls`: the implicit-TLS port, and the self-signed certificate (PEM) to trust. */
  tls?: { imapsPort: number; cert: string };
  /** Adds a login; Dovecot sees it at the next authentication. */
  addUser(user: string, password: string): Promise<void>;
  /** Stores a message with IMAP APPEND as `user` (creating the mailbox if needed); returns its UID. */
  append(user: string, raw: string | Buffer, opts?: { mailbox?: string; flags?: string[]; date?: Date }): Promise<{ uid: number; uidValidity: number }>;
  /**
   * Makes the mailbox look recreated: the next SELECT reports a new UIDVALIDITY and the
   * messages are numbered again from 1, as after a mailbox is deleted and restored. Flags
   * are kept. The user's open sessions are disconnected first (`* BYE`), as a server does
   * when it rebuilds a mailbox; a client has to log in and SELECT again.
   */
  resetUidValidity(user: string, mailbox?: string): Promise<{ previous: number; uidValidity: number }>;
  /** What `doveadm mailbox status` says now. */
  status(user: string, mailbox?: string): Promise<MailboxStatus>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
  /** Its scratch directory (config, data, log); removed by stop(). */
  dir: string;
};

export type DovecotOptions = {
  /**
   * Offer STARTTLS and implicit TLS too. Plaintext LOGIN stays allowed: Dovecot counts a
   * connection from its own IP as secure, so `disable_plaintext_auth` cannot bite on loopback.
   */
  tls?: boolean;
};

const NOBODY = 65534;

function config(dir: string, port: number, opts: DovecotOptions, imapsPort: number): string {
  const ssl = opts.tls
    ? `ssl = yes\nssl_cert = <${join(dir, "cert.pem")}\nssl_key = <${join(dir, "key.pem")}\ndisable_plaintext_auth = no`
    : "ssl = no\ndisable_plaintext_auth = no";
  return `# written by test/support/peers/dovecot.ts
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
${ssl}
auth_mechanisms = plain login
# Answer a wrong password at once so refusal tests stay quick: no fixed delay (2 s by
# default), and (in service anvil below) no per-IP penalty that doubles on each failure.
auth_failure_delay = 0
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users/%u
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home/%u
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${imapsPort}
  }
}
`;
}

/** Mail is read and written as nobody (the static userdb): nobody must reach its directories. */
function layout(dir: string): void {
  for (const sub of ["run", "state", "mail", "home", "users"]) mkdirSync(join(dir, sub));
  if (userInfo().uid !== 0) return;
  chmodSync(dir, 0o711);
  for (const sub of ["mail", "home"]) chownSync(join(dir, sub), NOBODY, NOBODY);
}

async function selfSignedCert(dir: string): Promise<string> {
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]);
  return readFileSync(join(dir, "cert.pem"), "utf8");
}

/** The maildir++ folder of a mailbox: the root for INBOX, `.Name` (hierarchy with dots) for others. */
function maildirOf(dir: string, user: string, mailbox: string): string {
  const root = join(dir, "mail", user);
  return mailbox.toUpperCase() === "INBOX" ? root : join(root, `.${mailbox.replaceAll("/", ".")}`);
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<Dovecot> {
  const dir = scratchDir("dovecot");
  layout(dir);
  const cert = opts.tls ? await selfSignedCert(dir) : undefined;
  const port = await freePort();
  const imapsPort = opts.tls ? await freePort() : 0; // 0: no imaps listener
  const cfg = join(dir, "dovecot.conf");
  writeFileSync(cfg, config(dir, port, opts, imapsPort));
  const passwords = new Map<string, string>();
  let daemon: Daemon | undefined;

  const launch = async () => {
    daemon = spawnDaemon("dovecot", ["-F", "-c", cfg], { cwd: dir, logFiles: [join(dir, "dovecot.log")] });
    await waitReady("dovecot", daemon, () => greets(port, "* OK"));
  };
  const doveadm = async (...args: string[]) => (await run("doveadm", ["-c", cfg, ...args], { cwd: dir })).stdout;

  const status = async (user: string, mailbox = "INBOX"): Promise<MailboxStatus> => {
    const out = await doveadm("-f", "flow", "mailbox", "status", "-u", user, "messages uidnext uidvalidity", mailbox);
    const field = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(out)?.[1] ?? NaN);
    return { messages: field("messages"), uidNext: field("uidnext"), uidValidity: field("uidvalidity") };
  };

  const append: Dovecot["append"] = async (user, raw, o = {}) => {
    const password = passwords.get(user);
    if (password === undefined) throw new Error(`dovecot append: no user ${user} (addUser first)`);
    const client = new ImapFlow({ host: "127.0.0.1", port, secure: false, auth: { user, pass: password }, logger: false, tls: cert ? { ca: cert } : undefined });
    await client.connect();
    try {
      const mailbox = o.mailbox ?? "INBOX";
      if (!(await client.list()).some((m) => m.path === mailbox)) await client.mailboxCreate(mailbox);
      const result = await client.append(mailbox, raw, o.flags, o.date);
      if (!result || result.uid === undefined || result.uidValidity === undefined) throw new Error(`dovecot append to ${mailbox} gave no APPENDUID`);
      return { uid: result.uid, uidValidity: Number(result.uidValidity) };
    } finally {
      await client.logout().catch(() => client.close());
    }
  };

  /**
   * Ends the user's sessions (they get `* BYE`) and waits until their processes are gone:
   * an imap process writes its index back as it closes, and one left running would keep the
   * old UIDs (Dovecot answers it "NO Internal error" once the files change under it).
   */
  const disconnect = async (user: string) => {
    await doveadm("kick", user).catch(() => {}); // exits 68 when nobody was connected
    const deadline = Date.now() + 5000;
    while ((await doveadm("who", user)).split("\n").some((row) => row.startsWith(`${user} `))) {
      if (Date.now() > deadline) throw new Error(`dovecot: ${user}'s sessions did not end`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  await launch().catch((e) => {
    removeDir(dir);
    throw e;
  });
  return {
    host: "127.0.0.1",
    dir,
    port,
    tls: cert ? { imapsPort, cert } : undefined,
    async addUser(user, password) {
      // passwd-file fields are ':'-separated; the user name is also a file name here.
      if (!/^[\w.+@-]+$/.test(user) || /[:\n]/.test(password)) throw new Error("dovecot addUser: user of letters, digits, . _ + @ -; no ':' or newline in the password");
      if (passwords.has(user)) throw new Error(`dovecot addUser: ${user} exists`);
      writeFileSync(join(dir, "users", user), `${user}:{PLAIN}${password}::::::\n`);
      passwords.set(user, password);
    },
    append,
    async resetUidValidity(user, mailbox = "INBOX") {
      const folder = maildirOf(dir, user, mailbox);
      if (!existsSync(folder)) throw new Error(`dovecot resetUidValidity: no mailbox ${mailbox} for ${user}`);
      const before = await status(user, mailbox);
      await disconnect(user);
      // Dovecot's UID map (dovecot-uidlist) and its index hold the UIDs; without them it scans
      // the maildir again, numbers the messages from 1 and takes the next UIDVALIDITY from
      // the user's dovecot-uidvalidity counter (so it always differs). Flags live in the
      // message file names and survive.
      for (const name of readdirSync(folder)) {
        if (name === "dovecot-uidlist" || /^dovecot\.index(\.log|\.cache|\.log\.2)?$/.test(name)) rmSync(join(folder, name));
      }
      const after = await status(user, mailbox); // makes Dovecot rebuild them now
      if (after.uidValidity === before.uidValidity) throw new Error("dovecot resetUidValidity: UIDVALIDITY did not change");
      return { previous: before.uidValidity, uidValidity: after.uidValidity };
    },
    status,
    async restart() {
      await daemon?.kill();
      await launch();
    },
    async stop() {
      await daemon?.kill();
      removeDir(dir);
    },
    logs: () => daemon?.logs() ?? "",
  };
}
