#!/usr/bin/env python3
"""A --console-socket peer for tests: accepts one connection, receives the
pty master (SCM_RIGHTS), optionally types input into it, and prints as JSON
the name sent with the fd and everything the container wrote to the pty."""
import json
import os
import socket
import sys

path, typed = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print("ready", flush=True)
conn, _ = server.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
master = fds[0]
if typed:
    os.write(master, typed.encode())
out = b""
while True:
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
print(json.dumps({"name": msg.decode(), "output": out.decode(errors="replace")}), flush=True)
