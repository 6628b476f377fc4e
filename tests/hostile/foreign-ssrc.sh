#!/usr/bin/env bash
# Foreign SSRCs: a participant answers its offer declaring the SSRCs another
# participant of the room sends (read from the offer's a=ssrc lines), and
# then publishes under them on its own SRTP keys (answering honestly when
# refused, to get keys at all).
# Budget: the focus refuses that answer (an error re "answer"); no packet of
# the attacker reaches any receiver (stoa-load counts what lacks its own
# stamps as foreign, and the victims' streams stay whole and decryptable);
# what it sent is dropped (reason foreign-ssrc or unknown).
name=foreign-ssrc
. "$(dirname "$0")/lib.sh"
attack_in_room foreign-ssrc "foreign-$$" 3 7 "--video-kbps 200 --fps 15" --seconds 4
[ "$(hv victim_video)" != 0 ] && [ -n "$(hv victim_video)" ] || { ok=0; why="${why:+$why; }found no victim SSRC to take"; }
[ "$(hv error_re)" = answer ] || ok=0
victims_whole "$workdir/victims.json" || ok=0
drops=$(dropped_delta "$workdir/before" "$workdir/after" foreign-ssrc unknown)
published=$(hv published)
# Sent under the victim's SSRCs on our keys: each such packet must be dropped.
if [ "$(hv connected)" = 1 ] && [ "${published:-0}" -gt 0 ]; then
    [ "$drops" -ge $(( published * 9 / 10 )) ] || ok=0
fi
verdict "$ok" "answer with victim SSRC $(hv victim_video): server said $(hv error) re $(hv error_re);" \
    "then connected $(hv connected), published $published packets under it, dropped (foreign-ssrc+unknown) $drops;" \
    "victims $(victims_figures "$workdir/victims.json") undecryptable $(field "$workdir/victims.json" undecryptable)${why:+; $why}"
