#!/usr/bin/env python3
"""retnet-serve on loopback, against retnet-run:
  - concurrent clients (more than --max-batch, so some wait in the queue),
    streaming and not, each response equal to the same request run alone
    with retnet-run, all complete within a time bound;
  - the streamed chunks make the whole text, end with finish_reason, usage
    and [DONE];
  - bad requests get a 400 naming the field, and the server serves on;
  - a full queue gets a 503; clients that disconnect free their slots;
  - /health and /metrics;
  - SIGTERM ends the server, the request in flight failing cleanly.
Usage: check-serve.py WORKDIR MODEL.json (tools on PATH)."""

import concurrent.futures
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from text_fixture import check, compile_model, make_tokenizer, run  # noqa

work, model_json = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
tokenizer = make_tokenizer(work)
library, weights = compile_model(work, model_json, 400, "serve")
TIMEOUT = 120


def start_server(*flags):
    server = subprocess.Popen(
        ["retnet-serve", library, "--weights", weights, "--tokenizer",
         tokenizer, "--port", "0"] + list(flags),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    check(line.startswith("retnet-serve: listening on http://127.0.0.1:"),
          "the server prints its address, got %r (%s)" %
          (line, server.stderr.read() if server.poll() is not None else ""))
    return server, int(line.rsplit(":", 1)[1])


def post(port, body, raw=None):
    """(status, parsed JSON body) of a non-streaming POST."""
    connection = http.client.HTTPConnection("127.0.0.1", port,
                                            timeout=TIMEOUT)
    connection.request("POST", "/v1/completions",
                       body=raw if raw is not None else json.dumps(body),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data)


def stream(port, body):
    """The text and the last chunk of a streamed completion."""
    connection = http.client.HTTPConnection("127.0.0.1", port,
                                            timeout=TIMEOUT)
    connection.request("POST", "/v1/completions",
                       body=json.dumps(dict(body, stream=True)))
    response = connection.getresponse()
    check(response.status == 200, "stream status %d" % response.status)
    check(response.getheader("Content-Type").startswith("text/event-stream"),
          "a stream is text/event-stream")
    text, last, done = "", None, False
    for line in response.read().decode().split("\n"):
        # Server-sent events: data lines, comments (':'), blank separators.
        check(line == "" or line.startswith(":") or line.startswith("data: "),
              "a stream line that is no event: %r" % line)
        if not line.startswith("data: "):
            continue
        check(not done, "nothing after [DONE]")
        if line == "data: [DONE]":
            done = True
            continue
        last = json.loads(line[len("data: "):])
        check("error" not in last, "stream error: %s" % last)
        text += last["choices"][0]["text"]
    connection.close()
    check(done, "a stream ends with data: [DONE]")
    return text, last


def alone(request):
    """The same request run alone by retnet-run."""
    args = ["retnet-run", library, "--weights", weights, "--tokenizer",
            tokenizer, "--text", request["prompt"], "--max-new-tokens",
            str(request["max_tokens"]), "--seed", str(request["seed"]),
            "--temperature", str(request["temperature"])]
    if request.get("ignore_eos"):
        args.append("--ignore-eos")
    for stop in request.get("stop", []):
        args += ["--stop", stop]
    return run(args).stdout[:-1]


# Prompts are fed 4 tokens per step (--prefill-chunk), so joining prompts
# are fed together, a token each, in several steps between the others'.
server, port = start_server("--max-batch", "3", "--max-queue", "16",
                            "--max-prompt-tokens", "64", "--prefill-chunk",
                            "4")

# Concurrent clients, more than the batch: each response as run alone.
prompts = ["the cat sat on", "dogs ran far", "green fields and", "東京 café",
           "bright mornings bring", "a mat while", "the", "naïve über",
           "the dogs ran far into green fields while the cat sat on a mat"]
requests = [{"prompt": prompt, "max_tokens": 8 + 5 * i, "seed": 100 + i,
             "temperature": [0, 0.8, 1.5][i % 3], "ignore_eos": True}
            for i, prompt in enumerate(prompts)]
requests[3]["stop"] = ["e"]
requests[5]["ignore_eos"] = False
started = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(len(requests)) as pool:
    futures = [pool.submit(stream if i % 2 else post, port, request)
               for i, request in enumerate(requests)]
    results = [future.result(timeout=TIMEOUT) for future in futures]
elapsed = time.monotonic() - started
for i, (request, result) in enumerate(zip(requests, results)):
    if i % 2:
        text, last = result
        body = last
    else:
        status, body = result
        check(status == 200, "request %d: status %d %s" % (i, status, body))
        text = body["choices"][0]["text"]
    expected = alone(request)
    check(text == expected, "request %d: %r, alone %r" % (i, text, expected))
    check(body["object"] == "text_completion" and body["id"].startswith(
        "cmpl-") and body["model"] == "libserve.so", "response fields")
    usage = body["usage"]
    check(usage["total_tokens"] == usage["prompt_tokens"] +
          usage["completion_tokens"] and usage["completion_tokens"] <=
          request["max_tokens"], "usage %s" % usage)
    reason = body["choices"][0]["finish_reason"]
    check(reason == "length" if usage["completion_tokens"] ==
          request["max_tokens"] and "stop" not in request else
          reason == "stop", "request %d: finish_reason %s" % (i, reason))
check(elapsed < TIMEOUT, "responses took %.1f s" % elapsed)
print("PASS: %d concurrent requests (batch 3, prompts fed in chunks), "
      "streamed and not, each as "
      "run alone" % len(requests))

# Bad requests: a 400 naming the field; unknown fields are ignored.
bad = [
    (None, "{not json", ""),
    ([1], None, ""),
    ({"prompt": "the", "n": 2}, None, "n"),
    ({"prompt": "the", "echo": True}, None, "echo"),
    ({"prompt": "the", "logprobs": 2}, None, "logprobs"),
    ({"prompt": "the", "best_of": 3}, None, "best_of"),
    ({"prompt": "the", "max_tokens": 0}, None, "max_tokens"),
    ({"prompt": "the", "max_tokens": 10 ** 12}, None, "max_tokens"),
    ({"prompt": "the", "temperature": "hot"}, None, "temperature"),
    ({"prompt": "the", "top_p": 0}, None, "top_p"),
    ({"prompt": "the", "seed": -1}, None, "seed"),
    ({"prompt": "the", "stream": "yes"}, None, "stream"),
    ({"prompt": "the", "stop": [1]}, None, "stop"),
    ({"prompt": list(range(65))}, None, "prompt"),
    ({"prompt": [400]}, None, "prompt"),
    ({"max_tokens": 2}, None, "prompt"),
]
for body, raw, param in bad:
    status, answer = post(port, body, raw)
    check(status == 400 and "message" in answer["error"] and
          (answer["error"]["param"] or "") == param,
          "%s: %d %s" % (raw or body, status, answer))
status, answer = post(port, {"prompt": [1, 5, 9], "max_tokens": 2,
                             "user": "x", "frequency_penalty": 0})
check(status == 200 and answer["usage"]["prompt_tokens"] == 3,
      "unknown fields are ignored: %d %s" % (status, answer))
print("PASS: %d bad requests get a 400 naming the field; the server serves "
      "on" % len(bad))

# /health and /metrics.
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
connection.request("GET", "/health")
check(connection.getresponse().read() == b'{"status":"ok"}', "/health")
connection.request("GET", "/metrics")
metrics = dict(line.split(" ", 1) for line in
               connection.getresponse().read().decode().splitlines()
               if line and not line.startswith("#"))
check(float(metrics["retnet_requests_total"]) == len(requests) + 1 and
      float(metrics["retnet_requests_invalid_total"]) == len(bad) and
      float(metrics["retnet_max_batch"]) == 3 and
      float(metrics["retnet_completion_tokens_total"]) > 0 and
      float(metrics["retnet_step_seconds_count"]) > 0, "metrics %s" % metrics)
connection.close()
print("PASS: /health and /metrics")
server.send_signal(signal.SIGINT)
check(server.wait(timeout=TIMEOUT) == 0, "SIGINT: exit status 0")

def metric(port, name):
    connection = http.client.HTTPConnection("127.0.0.1", port,
                                            timeout=TIMEOUT)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    return float(dict(line.split(" ", 1) for line in text.splitlines()
                      if line and not line.startswith("#"))[name])


# A full queue: one slot, one queue place. A long request (not streamed)
# takes the slot, a long stream the queue place; a third request gets a 503.
# Both clients go away, which frees the slot: the next request is served.
server, port = start_server("--max-batch", "1", "--max-queue", "1",
                            "--max-tokens", "1000000")
LONG = 1000000  # a minute or more of generating
sockets = []
for streamed in (False, True):
    long_request = json.dumps({"prompt": "the", "max_tokens": LONG,
                               "ignore_eos": True,
                               "stream": streamed}).encode()
    client = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    client.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Type: application/json\r\nContent-Length: " +
                   str(len(long_request)).encode() + b"\r\n\r\n" +
                   long_request)
    if streamed:
        check(client.recv(15).startswith(b"HTTP/1.1 200"), "a stream starts")
    else:
        deadline = time.monotonic() + TIMEOUT
        while (metric(port, "retnet_active_sequences") < 1 and
               time.monotonic() < deadline):
            time.sleep(0.05)
    sockets.append(client)
status, answer = post(port, {"prompt": "the", "max_tokens": 2})
check(status == 503 and "busy" in answer["error"]["message"],
      "a full queue: %d %s" % (status, answer))
# The queued stream hears an SSE comment every half second, whole chunks of
# nothing else.
waiting = b""
deadline = time.monotonic() + 3
while b": waiting\n\n\r\n" not in waiting and time.monotonic() < deadline:
    waiting += sockets[1].recv(4096)
check(b": waiting\n\n\r\n" in waiting and b"\0" not in waiting,
      "the queued stream's keep-alive: %r" % waiting)
for client in sockets:
    client.close()
deadline = time.monotonic() + 30
while True:  # the server notices at its next write to them
    status, answer = post(port, {"prompt": "the", "max_tokens": 2})
    if status == 200 or time.monotonic() > deadline:
        break
    time.sleep(0.1)
check(status == 200, "after the clients left: %d %s" % (status, answer))
print("PASS: a full queue gets a 503; clients that leave free their slots")

# SIGTERM while a request is in flight: the request fails cleanly, the
# server exits with status 0.
with concurrent.futures.ThreadPoolExecutor(1) as pool:
    future = pool.submit(post, port, {"prompt": "the", "max_tokens": LONG,
                                      "ignore_eos": True})
    time.sleep(0.5)
    server.send_signal(signal.SIGTERM)
    try:
        status, answer = future.result(timeout=TIMEOUT)
        check(status == 500 and "shutting down" in answer["error"]["message"],
              "in flight at SIGTERM: %d %.300s" % (status, answer))
    except (ConnectionError, http.client.HTTPException):
        pass  # the connection closed before the answer: also clean
check(server.wait(timeout=TIMEOUT) == 0, "SIGTERM: exit status 0")
check("SIGTERM: shutting down" in server.stderr.read(), "SIGTERM message")
print("PASS: SIGTERM ends the server; the request in flight fails cleanly")
