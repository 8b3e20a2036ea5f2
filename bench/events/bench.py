#!/usr/bin/env python3
"""Event-stream benchmark: idle SSE subscribers' memory, and delivery latency.

    bench.py idle    --base http://127.0.0.1:3000 --pid PID --subscribers 10000
    bench.py latency --write http://A --read http://B --owners 100 --per-owner 10 --rate 1000 --seconds 10

`idle` opens N idle SSE streams (one user per EVENTS_MAX_PER_USER streams), reads the server's
RSS before and after (/proc/PID/status), and times GET /api/me meanwhile. `latency` signs up
owners, opens per-owner SSE streams on --read, creates projects on --write at --rate per second
(keep-alive connections), and reports p50/p99 from each write's answer to each subscriber's
receipt of its event. Standard library only.
"""
import argparse, asyncio, json, statistics, time, urllib.parse

async def request(host, port, method, path, token=None, body=None):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        return await send(reader, writer, host, method, path, token, body, close=True)
    finally:
        writer.close()

async def send(reader, writer, host, method, path, token=None, body=None, close=False):
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    if close:
        head += "Connection: close\r\n"
    writer.write(head.encode() + b"\r\n" + data)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    payload = await reader.readexactly(length) if length else b""
    return status, (json.loads(payload) if payload else None)

def split(base):
    url = urllib.parse.urlparse(base)
    return url.hostname, url.port

async def sign_up(host, port, email):
    body = {"email": email, "password": "correct horse", "full_name": "Bench"}
    status, answer = await request(host, port, "POST", "/api/register", body=body)
    assert status == 201, (status, answer)
    return answer["token"]

async def open_sse(host, port, token, on_event=None):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /api/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    assert status == 200, status
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    if on_event is None:
        return reader, writer
    async def consume():
        try:
            await receive()
        except Exception as error:  # a bench must say why it saw nothing
            print("stream failed:", repr(error))
    async def receive():
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            buffer += chunk
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                for line in frame.split(b"\n"):
                    if line.startswith(b"data: "):
                        on_event(json.loads(line[6:]), time.monotonic())
    return asyncio.create_task(consume()), writer

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

async def idle(args):
    host, port = split(args.base)
    users = [await sign_up(host, port, f"idle{n}-{time.time_ns()}@example.com")
             for n in range(-(-args.subscribers // args.per_user))]
    before = rss_kib(args.pid)
    streams = []
    for n in range(args.subscribers):
        streams.append(await open_sse(host, port, users[n // args.per_user]))
    await asyncio.sleep(2)
    after = rss_kib(args.pid)
    timings = []
    for _ in range(50):
        started = time.monotonic()
        status, _ = await request(host, port, "GET", "/api/me", token=users[0])
        timings.append((time.monotonic() - started) * 1000)
        assert status == 200
    print(json.dumps({
        "subscribers": args.subscribers, "rss_before_kib": before, "rss_after_kib": after,
        "kib_per_subscriber": round((after - before) / args.subscribers, 2),
        "me_ms_p50": round(statistics.median(timings), 2),
        "me_ms_max": round(max(timings), 2),
    }))

async def latency(args):
    (whost, wport), (rhost, rport) = split(args.write), split(args.read)
    owners = [await sign_up(whost, wport, f"lat{n}-{time.time_ns()}@example.com")
              for n in range(args.owners)]
    answered, seen = {}, []
    def on_event(event, at):
        seen.append((event["project_id"], at))
    streams = []  # held: asyncio keeps only weak references to tasks
    for token in owners:
        for _ in range(args.per_owner):
            streams.append(await open_sse(rhost, rport, token, on_event))
    await asyncio.sleep(1)
    total = args.rate * args.seconds
    connections = [await asyncio.open_connection(whost, wport) for _ in range(args.writers)]
    queue = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)
    started = time.monotonic()
    async def writer(reader, stream):
        while not queue.empty():
            n = queue.get_nowait()
            due = started + n / args.rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            status, answer = await send(reader, stream, whost, "POST", "/api/projects",
                                        owners[n % len(owners)], {"name": f"p{n}"})
            assert status == 201, (status, answer)
            answered[answer["project"]["id"]] = time.monotonic()
    await asyncio.gather(*(writer(r, w) for r, w in connections))
    elapsed = time.monotonic() - started
    await asyncio.sleep(2)
    delays = sorted((at - answered[pid]) * 1000 for pid, at in seen if pid in answered)
    expected = total * args.per_owner
    print(json.dumps({
        "writes": total, "achieved_writes_per_s": round(total / elapsed, 1),
        "subscribers": args.owners * args.per_owner, "deliveries": len(delays),
        "expected": expected,
        "p50_ms": round(delays[len(delays) // 2], 2) if delays else None,
        "p99_ms": round(delays[int(len(delays) * 0.99)], 2) if delays else None,
        "max_ms": round(delays[-1], 2) if delays else None,
    }))

def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    i = sub.add_parser("idle")
    i.add_argument("--base", required=True)
    i.add_argument("--pid", type=int, required=True)
    i.add_argument("--subscribers", type=int, default=10000)
    i.add_argument("--per-user", type=int, default=5)
    l = sub.add_parser("latency")
    l.add_argument("--write", required=True)
    l.add_argument("--read", required=True)
    l.add_argument("--owners", type=int, default=100)
    l.add_argument("--per-owner", type=int, default=10)
    l.add_argument("--rate", type=int, default=1000)
    l.add_argument("--seconds", type=int, default=10)
    l.add_argument("--writers", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(idle(args) if args.mode == "idle" else latency(args))

if __name__ == "__main__":
    main()
