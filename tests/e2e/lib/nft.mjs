// Packet filtering for impairment tests: an nftables table of the test's
// own (input hook), removed again afterwards. Needs root and `nft`.

import { execFileSync } from 'node:child_process';

function nft(args) {
  execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Whether this process may use nftables (root, nft installed). */
export function canUseNft() {
  try {
    execFileSync('nft', ['list', 'tables'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates table `name` with an input-hook chain holding one rule (an array
 * of nft words, e.g. ['udp', 'dport', '10000', 'drop']). Returns a function
 * that deletes the table (safe to call twice).
 */
export function addInputRule(name, rule) {
  nft(['add', 'table', 'inet', name]);
  nft(['add', 'chain', 'inet', name, 'input', '{ type filter hook input priority 0 ; }']);
  nft(['add', 'rule', 'inet', name, 'input', ...rule]);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    try {
      nft(['delete', 'table', 'inet', name]);
    } catch {
      // already gone
    }
  };
}

/**
 * Counts for `ms` the UDP packets that arrive from local port `sport`, per
 * destination port (an nftables set with a counter per element, in a table
 * `name` of its own, removed afterwards). Resolves to
 * [{ port, packets, bytes }], the most bytes first.
 */
export async function countByDestPort(name, sport, ms) {
  nft(['add', 'table', 'inet', name]);
  try {
    nft(['add', 'chain', 'inet', name, 'input', '{ type filter hook input priority -10 ; }']);
    nft(['add', 'set', 'inet', name, 'seen', '{ type inet_service ; flags dynamic ; counter ; }']);
    nft(['add', 'rule', 'inet', name, 'input', 'udp', 'sport', String(sport), 'add', '@seen', '{ udp dport counter }']);
    await new Promise((r) => setTimeout(r, ms));
    const listed = JSON.parse(execFileSync('nft', ['-j', 'list', 'set', 'inet', name, 'seen']).toString());
    const set = listed.nftables.find((x) => x.set)?.set;
    return (set?.elem ?? []).map((e) => ({ port: e.elem.val, packets: e.elem.counter?.packets ?? 0, bytes: e.elem.counter?.bytes ?? 0 }))
      .sort((a, b) => b.bytes - a.bytes);
  } finally {
    nft(['delete', 'table', 'inet', name]);
  }
}
