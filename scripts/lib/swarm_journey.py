"""What a user of a replicated mAI does with documents, checked on each replica's own port (issue 18, point 3).

Used by scripts/lib/swarm-checks.sh against the real Open WebUI 0.12.4; standard library only.

  setup  --ports P1,P2,P3 --state FILE [--visible-timeout S]
      through the first port: sign up (the first user is the admin), upload a .txt with Open WebUI's files API
      (processed at once), make a knowledge base and add the file to it; then poll every other port until the
      file downloads byte-identical and a retrieval query returns the document's chunk: the milliseconds from
      the upload's answer (and from the knowledge add's answer) to that are printed. State in FILE (JSON).
  check  --ports P1,P2,P3 --state FILE --queries N --label TEXT
      on every port: GET /api/v1/files/{id}/content is byte-identical to what was uploaded, and N retrieval
      queries (POST /api/v1/retrieval/query/doc on the knowledge base's collection) each return the chunk.

Every line printed is what a user would have seen (HTTP status, bytes, the chunk or its absence). Exit 0 only
when everything held.
"""

import argparse
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
import uuid

MARKER = "The lighthouse keeper of Port Aven in the mAI scale-out test is Maelle Kerbrat, badge 4711-HERON."
DOCUMENT = (
    "Port Aven harbour handbook (mAI scale-out test document).\n\n"
    + MARKER
    + "\nShe lights the lamp at dusk, logs every ship that enters the harbour, and keeps the fog horn ready "
    "from October to March. Visitors may climb the tower on Sundays between ten and noon.\n"
)
QUESTIONS = [
    "Who is the lighthouse keeper of Port Aven?",
    "What is the badge number of the lighthouse keeper?",
    "When can visitors climb the lighthouse tower?",
    "Who logs the ships entering Port Aven harbour?",
    "When is the fog horn kept ready?",
    "Tell me about Maelle Kerbrat.",
]
PASSWORD = "Ci-Scale-0ut-2026!"


def request(port, method, path, body=None, token=None, content_type=None, timeout=60):
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None and content_type is None:
        body, content_type = json.dumps(body).encode(), "application/json"
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except Exception as error:  # refused, reset, timeout: what a user's browser would show as an error
        return 0, f"{type(error).__name__}: {error}".encode()


def short(data, n=160):
    text = data.decode("utf-8", "replace").replace("\n", " ")
    return text if len(text) <= n else text[:n] + "…"


def multipart(field, filename, data, content_type):
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def download(port, state):
    status, data = request(port, "GET", f"/api/v1/files/{state['file_id']}/content", token=state["token"])
    same = status == 200 and hashlib.sha256(data).hexdigest() == state["sha256"]
    return same, status, data


def retrieve(port, state, question):
    """The chunk texts a retrieval query answers with; None and the answer when it failed."""
    status, data = request(port, "POST", "/api/v1/retrieval/query/doc", token=state["token"],
                           body={"collection_name": state["knowledge_id"], "query": question, "k": 3})
    try:
        answer = json.loads(data) if status == 200 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not answer.get("documents"):
        return None, status, data
    return [text for group in answer["documents"] for text in (group or [])], status, data


def hit(port, state, question):
    texts, status, data = retrieve(port, state, question)
    return texts is not None and any(MARKER in text for text in texts), status, data


def poll(check, timeout):
    """Milliseconds until check() held (polled every 20 ms), or None after timeout s; and its last result."""
    start = time.monotonic()
    while True:
        result = check()
        if result[0]:
            return (time.monotonic() - start) * 1000, result
        if time.monotonic() - start > timeout:
            return None, result
        time.sleep(0.02)


def setup(args):
    ports = args.ports.split(",")
    first, others = ports[0], ports[1:]
    ok = True
    status, data = request(first, "POST", "/api/v1/auths/signup",
                           body={"name": "Scale Out", "email": "scale-out@example.com", "password": PASSWORD})
    if status != 200:  # a redeployed stack keeps its database: sign in instead
        status, data = request(first, "POST", "/api/v1/auths/signin",
                               body={"email": "scale-out@example.com", "password": PASSWORD})
    print(f"sign up on 127.0.0.1:{first}: HTTP {status}")
    if status != 200:
        print(short(data, 400)); return 1
    token = json.loads(data)["token"]
    content = DOCUMENT.encode()
    body, content_type = multipart("file", "port-aven-handbook.txt", content, "text/plain")
    status, data = request(first, "POST", "/api/v1/files/?process=true&process_in_background=false",
                           body=body, token=token, content_type=content_type, timeout=120)
    uploaded = time.monotonic()
    print(f"upload port-aven-handbook.txt ({len(content)} bytes) through 127.0.0.1:{first}: HTTP {status} {short(data)}")
    if status != 200:
        return 1
    state = {"token": token, "file_id": json.loads(data)["id"], "sha256": hashlib.sha256(content).hexdigest(),
             "size": len(content)}
    with open(args.state, "w") as f:
        json.dump(state, f)
    for port in others:
        ms, (same, status, data) = poll(lambda: download(port, state), args.visible_timeout)
        waited = (time.monotonic() - uploaded) * 1000
        if ms is not None:
            print(f"127.0.0.1:{port}: the file downloads byte-identical {waited:.0f} ms after the upload's answer")
        else:
            ok = False
            print(f"127.0.0.1:{port}: the file is NOT there after {args.visible_timeout} s: HTTP {status} {short(data)}")
    status, data = request(first, "POST", "/api/v1/knowledge/create", token=token,
                           body={"name": "Port Aven", "description": "scale-out test"})
    print(f"knowledge base created through 127.0.0.1:{first}: HTTP {status}")
    if status != 200:
        print(short(data, 400)); return 1
    state["knowledge_id"] = json.loads(data)["id"]
    with open(args.state, "w") as f:
        json.dump(state, f)
    status, data = request(first, "POST", f"/api/v1/knowledge/{state['knowledge_id']}/file/add", token=token,
                           body={"file_id": state["file_id"]}, timeout=120)
    added = time.monotonic()
    print(f"file added to the knowledge base (embedded into its collection) through 127.0.0.1:{first}: HTTP {status}")
    if status != 200:
        print(short(data, 400)); return 1
    texts, status, data = retrieve(first, state, QUESTIONS[0])
    print(f"retrieval on 127.0.0.1:{first} itself: HTTP {status}, chunk "
          + ("found" if texts and any(MARKER in t for t in texts) else f"NOT found: {short(data)}"))
    for port in others:
        ms, (found, status, data) = poll(lambda: hit(port, state, QUESTIONS[0]), args.visible_timeout)
        waited = (time.monotonic() - added) * 1000
        if ms is not None:
            print(f"127.0.0.1:{port}: retrieval returns the chunk {waited:.0f} ms after the knowledge add's answer")
        else:
            ok = False
            print(f"127.0.0.1:{port}: retrieval does NOT return the chunk after {args.visible_timeout} s: HTTP {status} {short(data)}")
    return 0 if ok else 1


def check(args):
    with open(args.state) as f:
        state = json.load(f)
    ok, hits, total = True, 0, 0
    for port in args.ports.split(","):
        same, status, data = download(port, state)
        ok &= same
        print(f"{args.label}: 127.0.0.1:{port}: GET /api/v1/files/{{id}}/content: HTTP {status}, "
              + ("byte-identical" if same else f"NOT the uploaded bytes: {short(data)}"))
        port_hits, failures = 0, []
        for question in (QUESTIONS * args.queries)[: args.queries]:
            found, status, data = hit(port, state, question)
            total += 1
            if found:
                port_hits += 1
            else:
                failures.append(f"HTTP {status} {short(data)}")
        hits += port_hits
        ok &= port_hits == args.queries
        print(f"{args.label}: 127.0.0.1:{port}: retrieval returned the chunk for {port_hits} of {args.queries} queries"
              + (f"; first miss: {failures[0]}" if failures else ""))
    print(f"{args.label}: retrieval hits {hits} of {total} queries")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["setup", "check"])
    parser.add_argument("--ports", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--visible-timeout", type=float, default=20)
    parser.add_argument("--queries", type=int, default=5)
    parser.add_argument("--label", default="check")
    args = parser.parse_args()
    return setup(args) if args.command == "setup" else check(args)


if __name__ == "__main__":
    sys.exit(main())
