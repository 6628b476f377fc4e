#!/usr/bin/python3
"""A Stoa client written from docs/protocol.md alone, on another WebRTC
stack (aiortc, Debian's python3-aiortc): it joins a room over the
signalling WebSocket, answers every offer, sends a synthetic microphone and
camera, and counts the video frames it decodes from each other participant's camera
and screen (keyed "<participant id>:<source>", from the offer's `mids`).

Prints one JSON object per line on stdout: {"event": "joined", "id": ...}
once in, then {"event": "summary", ...} at the end (frames decoded per
participant, offers answered, errors the server sent).

  stoa_client.py ws://127.0.0.1:8080/ws ROOM NAME SECONDS
"""

import asyncio
import json
import sys
import time

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack


def say(obj):
    print(json.dumps(obj), flush=True)


async def count_frames(track, participant, frames, sizes):
    # Each frame returned by recv() was decoded by aiortc (VP8 or H.264).
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        frames[participant] = frames.get(participant, 0) + 1
        sizes[participant] = f"{frame.width}x{frame.height}"


async def run(url, room, name, seconds):
    pc = None
    own = {"audio": AudioStreamTrack(), "video": VideoStreamTrack()}
    added = False
    frames, sizes, errors, answered = {}, {}, [], []
    mids = {}
    tasks = []
    me = None

    async with websockets.connect(url, subprotocols=["stoa"], max_size=262144) as ws:
        await ws.send(json.dumps({"type": "join", "room": room, "name": name}))
        deadline = None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=timeout)
            except asyncio.TimeoutError:
                break
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "joined":
                me = msg["id"]
                say({"event": "joined", "id": me, "role": msg.get("role")})
                # ice_servers: empty without TURN; aiortc needs none on loopback.
                pc = RTCPeerConnection()

                @pc.on("track")
                def on_track(track):
                    # The transceiver's mid names the sender in the offer's `mids`.
                    mid = next((t.mid for t in pc.getTransceivers() if t.receiver.track is track), None)
                    info = mids.get(mid, {})
                    who = f"{info.get('participant', '?')}:{info.get('source', '?')}"
                    if track.kind == "video":
                        tasks.append(asyncio.ensure_future(count_frames(track, who, frames, sizes)))

                deadline = time.monotonic() + seconds
            elif kind == "offer":
                mids.update(msg.get("mids") or {})
                try:
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
                    if not added:
                        # Mids 0 and 1 are ours (microphone, camera): addTrack
                        # attaches each track to the first free transceiver of
                        # its kind, which is that one, and makes it send.
                        pc.addTrack(own["audio"])
                        pc.addTrack(own["video"])
                        added = True
                    answer = await pc.createAnswer()
                    await pc.setLocalDescription(answer)
                except Exception as err:  # noqa: BLE001 - reported to the server, as the page says
                    errors.append(f"apply offer {msg['version']}: {err}")
                    await ws.send(json.dumps({"type": "offer-failed", "version": msg["version"], "reason": str(err)[:200]}))
                    continue
                await ws.send(json.dumps({"type": "answer", "sdp": pc.localDescription.sdp, "version": msg["version"]}))
                answered.append(msg["version"])
                if len(answered) == 1:
                    await ws.send(json.dumps({"type": "media-state", "audio": True, "video": True}))
            elif kind == "error":
                errors.append(f"{msg.get('code')} re {msg.get('re')}: {msg.get('message')}")
            elif kind == "bye":
                errors.append(f"bye {msg.get('reason')}")
                break
        if ws.open:
            await ws.send(json.dumps({"type": "leave"}))
    state = pc.connectionState if pc else "none"
    for t in tasks:
        t.cancel()
    if pc:
        await pc.close()
    say({"event": "summary", "id": me, "frames": frames, "sizes": sizes, "answered": answered,
         "errors": errors, "connection": state})


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
