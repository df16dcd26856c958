/**
 * ioredis prints a few warnings itself, with console.warn, in its own words and once per
 * connection ("[WARN] This Redis server's `default` user does not require a password, but a
 * password was supplied"). An agent opens five connections, so its log got five such lines,
 * none of them JSON under --log-format json. Those few go to one handler instead, once per
 * process, in our words; every other console.warn passes through unchanged.
 */
type Report = (text: string) => void;

const OUR_WORDS: Array<[RegExp, string]> = [
  [
    /does not require a password, but a password was supplied/,
    'this Redis server needs no password, but one was given and is ignored: check that --redis names the server you meant, or drop the password from it',
  ],
  [
    /wrong number of arguments for 'auth' command/,
    'this Redis server (version 5 or older) takes a password but no user name: write --redis redis://:PASSWORD@HOST:PORT',
  ],
];

let report: Report = (text) => process.stderr.write(`warning: ${text}\n`);
let routed = false;
const said = new Set<string>();

/** Where the warnings go (the agent: its logger); by default one `warning:` line on stderr. */
export function onRedisClientWarning(handler: Report): void {
  report = handler;
}

/** Installs the routing, once; called before the first connection is made. */
export function routeRedisClientWarnings(): void {
  if (routed) return;
  routed = true;
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    const first = typeof args[0] === 'string' ? args[0] : '';
    const words = OUR_WORDS.find(([pattern]) => pattern.test(first))?.[1];
    if (words === undefined) return original(...args);
    if (said.has(words)) return;
    said.add(words);
    report(words);
  };
}
