// Fake microphones that speak: espeak-ng speech and sox silence in turns,
// for the tests of dominant-speaker detection, and a Chromium that plays one.

import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS } from './browser.mjs';

export const SEGMENT_S = 9; // each file: one speaker's turn, then the other's (looped by Chromium)

export function haveSpeechTools() {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Three 48 kHz mono files in dir: `first` speaks then is silent, SEGMENT_S
 * each, `second` the other way round, `quiet` is silent throughout.
 */
export function makeSpeechAudio(dir) {
  const raw = path.join(dir, 'raw.wav');
  const speech = path.join(dir, 'speech.wav');
  const silence = path.join(dir, 'silence.wav');
  const text = 'Good morning everyone. Today we discuss the results of the experiment and what they ' +
    'mean for the next phase of the project. Please interrupt me if anything is unclear.';
  execFileSync('espeak-ng', ['-s', '160', '-w', raw, text]);
  execFileSync('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', speech, 'trim', '0', String(SEGMENT_S)]);
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', silence, 'trim', '0', String(SEGMENT_S)]);
  const files = {
    first: path.join(dir, 'first.wav'),
    second: path.join(dir, 'second.wav'),
    quiet: path.join(dir, 'quiet.wav'),
  };
  execFileSync('sox', [speech, silence, files.first]);
  execFileSync('sox', [silence, speech, files.second]);
  execFileSync('sox', [silence, silence, files.quiet]);
  return files;
}

/** A Chromium whose fake microphone plays file (in a loop). */
export function launchWithAudio(file) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-audio-capture=${file}`],
    timeout: 30000,
  });
}
