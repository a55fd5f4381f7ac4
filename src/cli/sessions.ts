import { pino } from 'pino';
import { createLogger } from '../server/logger.js';
import { openSessionAdmin } from '../server/session-admin.js';
import { hashSessionId, isSessionIdShape } from '../session/session-id.js';
import { StartupError } from '../shared/errors.js';
import { configFile, configOption, loadConfigOrReport, parseCommandArgs } from './args.js';
import { type CliIO, UsageError, exitCodes } from './io.js';
import { textTable, utcTime } from './table.js';
import { appVersion } from './version.js';

export const sessionsHelp = `Usage: gatehouse sessions list --user USER --config FILE
       gatehouse sessions revoke (--user USER | --session ID) --config FILE

Lists and ends the signed-in sessions kept in the database.

  list     prints the user's sessions: ID (the stored hash of the session cookie; the cookie
           itself is never stored), when it signed in, last activity, when it expires, the
           authentication level, the cookie domain, and whether "remember me" was ticked
  revoke   ends every session of --user, or the one session --session names (the ID that
           'list' prints, or the session cookie's value). Ending a session is single logout:
           its OpenID Connect grants are revoked (refresh and access tokens stop working) and
           every client registered with a backchannel_logout_uri is told; a running gateway
           sends those logout tokens within a second or two and stops honouring the session
           within 2 seconds. One audit line per session goes to the configured log.

Options:
  -c, --config FILE     a configuration file or folder; repeat it, or list FILE,FILE, to merge
                        several in order (default: $GATEHOUSE_CONFIG or $X_AUTHELIA_CONFIG)
  -u, --user USER       the username (exact, as in the users file)
  -s, --session ID      one session (revoke only); an ID that starts with '-' is given as
                        --session=ID
  -h, --help            show this help
`;

/** `gatehouse sessions list|revoke`. */
export async function sessionsCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'sessions',
    args,
    {
      config: configOption,
      user: { type: 'string', short: 'u' },
      session: { type: 'string', short: 's' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help || positionals.length === 0) {
    io.stdout.write(sessionsHelp);
    return values.help ? exitCodes.ok : exitCodes.usage;
  }
  const [action, ...extra] = positionals;
  if ((action !== 'list' && action !== 'revoke') || extra.length > 0) {
    throw new UsageError(`gatehouse sessions: expects 'list' or 'revoke'; run 'gatehouse sessions --help'`);
  }
  const command = `sessions ${action}`;
  const { user, session } = values;
  if (action === 'list' && (user === undefined || session !== undefined)) {
    throw new UsageError(`gatehouse ${command}: needs --user USER (and no --session)`);
  }
  if (action === 'revoke' && (user === undefined) === (session === undefined)) {
    throw new UsageError(`gatehouse ${command}: needs either --user USER or --session ID`);
  }
  if (user === '' || session === '') throw new UsageError(`gatehouse ${command}: --${user === '' ? 'user' : 'session'} must not be empty`);
  const file = configFile(command, values.config, io.env);
  const config = loadConfigOrReport(file, io)?.config;
  if (!config) return exitCodes.failure;

  // Audit lines go where the gateway writes its log (its file, else standard error: standard
  // output carries the command's answer).
  const logger = createLogger(config.log, pino.destination({ dest: config.log.filePath ?? 2, mkdir: true, sync: true }));
  let admin: Awaited<ReturnType<typeof openSessionAdmin>> | undefined;
  try {
    admin = await openSessionAdmin(config, { logger, appVersion });
    const { sessions } = admin;
    if (action === 'list') {
      const rows = await sessions.listUser(user!);
      if (rows.length === 0) io.stdout.write(`No session of '${user}'.\n`);
      else io.stdout.write(table(rows));
      return exitCodes.ok;
    }
    if (user !== undefined) {
      const ended = await sessions.destroyUser(user, 'revoked');
      io.stdout.write(ended === 0 ? `No session of '${user}' to end.\n` : `Ended ${ended} session${ended === 1 ? '' : 's'} of '${user}'.\n`);
      return exitCodes.ok;
    }
    // The hash as 'list' prints it, else a session cookie's value (hashed as the gateway does).
    if (await sessions.destroyByHash(session!, 'revoked')) {
      io.stdout.write(`Ended session ${session}.\n`);
      return exitCodes.ok;
    }
    if (isSessionIdShape(session!) && (await sessions.destroyByHash(hashSessionId(session!), 'revoked'))) {
      io.stdout.write(`Ended session ${hashSessionId(session!)} (named by its cookie).\n`);
      return exitCodes.ok;
    }
    io.stderr.write(
      `gatehouse ${command}: no live session has the ID '${session}' (it may have ended already); 'gatehouse sessions list --user USER' shows the IDs\n`,
    );
    return exitCodes.failure;
  } catch (error) {
    if (error instanceof StartupError) {
      io.stderr.write(`gatehouse ${command}: ${error.message}\n`);
      return exitCodes.failure;
    }
    throw error;
  } finally {
    await admin?.close();
    logger.flush();
  }
}

type Listed = Awaited<ReturnType<Awaited<ReturnType<typeof openSessionAdmin>>['sessions']['listUser']>>[number];

function table(rows: readonly Listed[]): string {
  const header = ['ID', 'SIGNED IN', 'LAST ACTIVITY', 'EXPIRES', 'LEVEL', 'DOMAIN', 'REMEMBERED'];
  const levels = ['anonymous', 'one_factor', 'two_factor'];
  return textTable(
    header,
    rows.map(({ idHash, state, expiresAt }) => [
      idHash,
      utcTime(state.firstFactorAt ?? state.createdAt),
      utcTime(state.lastActivity),
      utcTime(expiresAt),
      levels[state.level] ?? String(state.level),
      state.cookieDomain,
      state.keepMeLoggedIn ? 'yes' : 'no',
    ]),
  );
}
