#!/usr/bin/env node
/**
 * `chat`: joins a room and chats. Chat lines go to stdout; logs to stderr (or `--log <file>`).
 * Exit codes: 0 after leaving, 1 on a failure, 2 on bad flags.
 */
import { createWriteStream } from 'node:fs';
import { createLogger, type Logger } from '@mosaik/metrics';
import { Network, type NetworkOptions } from 'mosaik';
import { formatAddr } from './addr.js';
import { type ChatOptions, parseArgs } from './cli.js';
import { roomNetworkId } from './model.js';
import { colorsEnabled, dim, nick, type Style } from './render.js';
import { ChatSession, promptFor } from './session.js';
import { openTerminal } from './terminal.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

/**
 * Logs are pino JSON lines on stderr (or appended to `--log <file>`), never in the chat view. On
 * an interactive terminal stderr shares the screen, so there they default to errors only and are
 * written with the prompt moved out of the way; `MOSAIK_LOG` sets the level either way.
 */
function loggerFor(options: ChatOptions, interactive: boolean, aside: (write: () => void) => void): Logger {
  const fromEnv = process.env.MOSAIK_LOG !== undefined && process.env.MOSAIK_LOG !== '';
  const level = fromEnv ? undefined : interactive && options.log === undefined ? 'error' : 'warn';
  const destination =
    options.log === undefined
      ? { write: (line: string) => aside(() => process.stderr.write(line)) }
      : createWriteStream(options.log, { flags: 'a' });
  return createLogger({ name: 'chat', destination, ...(level === undefined ? {} : { level }) });
}

/**
 * `--diagnostics` is passed to `Network.create` as `diagnosticsAddr` only when this build of
 * mosaik has a diagnostics server (the option is being added on another branch); otherwise the
 * start-up lines say it is ignored.
 */
function hasDiagnostics(): boolean {
  return Object.getOwnPropertyDescriptor(Network.prototype, 'diagnostics') !== undefined;
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
  if (parsed.kind === 'exit') {
    process.stdout.write(parsed.stdout);
    process.stderr.write(parsed.stderr);
    return parsed.code;
  }
  const options = parsed.options;
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  let terminalAside: (write: () => void) => void = (write) => write();
  const log = loggerFor(options, interactive, (write) => terminalAside(write));
  const style: Style = { colors: colorsEnabled(process.env, process.stdout.isTTY === true) };
  const me = { nickname: options.nickname, color: options.color };
  const info = (line: string) => process.stdout.write(`${line}\n`);

  info(`Joining room '${options.room}' as ${nick(me.nickname, me.color, style)} ...`);
  const net = await Network.create(roomNetworkId(options.room), {
    preset: options.preset,
    logger: log,
    bootstrap: options.bootstrap,
    ...(options.metrics === undefined ? {} : { prometheusAddr: options.metrics }),
    ...(options.diagnostics !== undefined && hasDiagnostics()
      ? { diagnosticsAddr: options.diagnostics }
      : {}),
  } as NetworkOptions);
  const addr = formatAddr(net.addr);
  info(dim(`local peer id: ${net.peerId.toString()}`, style));
  info(dim(`address: ${addr}`, style));
  const joinFlags = [
    ...(options.room === 'lobby' ? [] : ['--room', JSON.stringify(options.room)]),
    ...(options.preset === 'local' ? ['--preset', 'local'] : []),
    '--bootstrap',
    addr,
  ];
  info(dim(`join from another terminal: pnpm chat --nickname <name> ${joinFlags.join(' ')}`, style));
  if (options.metrics !== undefined) info(dim(`metrics: http://${options.metrics}/metrics`, style));
  if (options.diagnostics !== undefined) {
    const url = (net as { diagnostics?: { url?: string } }).diagnostics?.url;
    info(
      dim(
        url === undefined
          ? '--diagnostics ignored: this mosaik has no diagnostics server'
          : `diagnostics: ${url}`,
        style,
      ),
    );
  }

  let session: ChatSession | undefined;
  let interrupts = 0;
  const terminal = openTerminal(process.stdin, process.stdout, promptFor(me, style), {
    line: (text) => session?.input(text),
    end: () => void session?.endOfInput(),
    interrupt: () => {
      if (++interrupts > 1) process.exit(130);
      void session?.leave();
    },
  });
  terminalAside = (write) => terminal.aside(write);
  const onTerm = () => void session?.leave();
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onTerm);
  session = new ChatSession(
    net,
    me,
    { print: (l) => terminal.print(l), setPrompt: (p) => terminal.setPrompt(p) },
    style,
    log,
  );
  const stopped = new Promise<void>((resolve) => {
    if (session!.stopped.aborted) resolve();
    else session!.stopped.addEventListener('abort', () => resolve(), { once: true });
  });
  let failure: unknown;
  // Joining fails only if the node itself does; leaving while it waits is not a failure.
  session.start().catch((error: unknown) => {
    if (session!.stopped.aborted) return;
    failure = error;
    void session!.leave();
  });
  try {
    await stopped;
    await session.leave();
    if (failure !== undefined) throw failure;
  } finally {
    terminal.close();
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onTerm);
    await net.close();
  }
  return 0;
}

main().then(
  // Every node, handle and timer is closed by now; exit even if a library left a handle open.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chat: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
