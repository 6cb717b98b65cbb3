#!/usr/bin/env python3
"""A seccomp agent for the SCMP_ACT_NOTIFY tests.

Usage: seccomp-agent.py SOCKET REPORT

Listens on SOCKET, takes one connection: the runtime's message (the
runtime-spec "seccomp state" JSON, the listener fd in SCM_RIGHTS). Writes
REPORT (JSON): the state, the number of fds received, and each notification
handled. Answers every notification: mkdir(2) returns 42 without running,
anything else continues (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Ends when the
filter's last process is gone (the ioctl fails).
"""
import fcntl
import json
import os
import socket
import struct
import sys

# _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp)
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_SIZE = 80  # id u64, pid u32, flags u32, seccomp_data (nr i32, arch u32, ip u64, args u64[6])
FLAG_CONTINUE = 1
SYS_MKDIR = 83


def main():
    path, report_path = sys.argv[1], sys.argv[2]
    report = {"state": None, "fds": 0, "notifications": []}

    def save():
        tmp = report_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f)
        os.rename(tmp, report_path)

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    save()  # ready
    conn, _ = srv.accept()
    data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
    conn.close()
    srv.close()
    report["state"] = json.loads(data.decode())
    report["fds"] = len(fds)
    save()
    if not fds:
        return
    listener = fds[0]
    while True:
        buf = bytearray(NOTIF_SIZE)
        try:
            fcntl.ioctl(listener, NOTIF_RECV, buf, True)
        except OSError:
            break
        nid, pid, _flags, nr = struct.unpack_from("=QIIi", buf, 0)
        report["notifications"].append(nr)
        save()
        if nr == SYS_MKDIR:
            resp = struct.pack("=QqiI", nid, 42, 0, 0)
        else:
            resp = struct.pack("=QqiI", nid, 0, 0, FLAG_CONTINUE)
        try:
            fcntl.ioctl(listener, NOTIF_SEND, resp)
        except OSError:
            pass


if __name__ == "__main__":
    main()
