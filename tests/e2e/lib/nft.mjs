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
