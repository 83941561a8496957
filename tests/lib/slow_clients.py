"""Clients that hold an API's connections without finishing a request,
for the tests of the API's limits.

  slow_clients.py idle TARGET COUNT HOLD REQUEST [SOURCE]
      opens up to COUNT connections to TARGET (a Unix socket's path, or
      HOST:PORT), from SOURCE when given, and sends every second one the
      start of REQUEST (never finished); prints "open N refused N", holds
      them HOLD seconds, then prints "alive N": how many the server had
      not closed.
  slow_clients.py trickle TARGET REQUEST
      sends REQUEST (escapes such as \\r\\n decoded), then a byte of
      headers every half second, up to 20 s;
      prints "closed after S" when the server cut it.
"""
import codecs
import socket
import sys
import time


def request_bytes(text):
    """REQUEST as given on the command line, with \\r and \\n spelled out."""
    return codecs.decode(text, "unicode_escape").encode("latin-1")


def connect(target, source=None, timeout=1.0):
    if "/" in target:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(target)
        return s
    host, port = target.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, int(port)))
    return s


def idle(target, count, hold, request, source=None):
    conns, refused = [], 0
    for i in range(count):
        try:
            s = connect(target, source)
        except OSError:
            refused += 1
            continue
        try:
            if i % 2:
                s.send(request_bytes(request))
        except OSError:
            refused += 1
            s.close()
            continue
        conns.append(s)
    print("open", len(conns), "refused", refused, flush=True)
    end = time.time() + hold
    while time.time() < end:
        time.sleep(0.2)
    alive = 0
    for s in conns:
        s.setblocking(False)
        try:
            if s.recv(1) != b"":
                alive += 1
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print("alive", alive, flush=True)


def trickle(target, request):
    s = connect(target)
    t0 = time.time()
    s.send(request_bytes(request))
    while time.time() - t0 < 20:
        try:
            s.send(b"a")
            s.settimeout(0.5)
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except OSError:
            break
    print("closed after %.1f" % (time.time() - t0), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "idle":
        idle(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
             sys.argv[6] if len(sys.argv) > 6 else None)
    elif sys.argv[1] == "trickle":
        trickle(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: slow_clients.py idle|trickle ...")
