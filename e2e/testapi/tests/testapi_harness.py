"""Starts a real kube-testapi and talks to it over HTTP(S), for the
integration tests in this folder (python3 standard library only).

The server prints its URL as its first stdout line once it listens and has
written --kubeconfig-out; Server waits for that line, never for a timer.
"""
import base64
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

BINARY = None  # set by main() from argv[1]

# Every socket read in these tests gives up after this long, so a server
# that stops answering fails the test instead of hanging it.
IO_TIMEOUT = 20


def main():
    """unittest.main() with the kube-testapi binary taken from argv[1]."""
    import unittest
    global BINARY
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: %s KUBE_TESTAPI_BINARY [unittest args]" % sys.argv[0])
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)


class Server:
    """One kube-testapi process. Extra flags go in `args`."""

    def __init__(self, tls=False, args=(), data_dir=None, listen="127.0.0.1:0", workdir=None):
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="testapi-it-")
        self.kubeconfig = os.path.join(self.workdir, "kubeconfig-%d" % time.monotonic_ns())
        self.log_path = os.path.join(self.workdir, "server-%d.log" % time.monotonic_ns())
        cmd = [BINARY, "--listen", listen, "--kubeconfig-out", self.kubeconfig, "--log-level", "debug"]
        if tls:
            cmd.append("--tls")
        if data_dir:
            cmd += ["--data-dir", data_dir]
        cmd += list(args)
        self.tls = tls
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # the URL, once serving; "" if it died
        if not line:
            self.proc.wait(timeout=IO_TIMEOUT)
            raise RuntimeError("kube-testapi did not start (exit %s):\n%s" % (self.proc.returncode, self.log_text()))
        self.url = line.strip()
        self.port = urllib.parse.urlsplit(self.url).port

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def client(self, kubeconfig=None, **kw):
        if self.tls:
            return Client.from_kubeconfig(kubeconfig or self.kubeconfig, **kw)
        return Client(self.url, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=IO_TIMEOUT)
        self.proc.stdout.close()
        self.log.close()

    def alive(self):
        return self.proc.poll() is None

    def cleanup(self):
        self.stop()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def read_kubeconfig(path):
    """The few fields of the kubeconfig kube-testapi writes."""
    with open(path) as f:
        text = f.read()
    out = {}
    for key in ("server", "certificate-authority-data", "client-certificate-data", "client-key-data", "token"):
        m = re.search(r"^\s*%s:\s*(\S+)\s*$" % re.escape(key), text, re.M)
        if m:
            out[key] = m.group(1)
    return out


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class Client:
    """HTTP(S) to one server: no credentials, a client certificate or a token."""

    def __init__(self, url, ca_pem=None, cert_pem=None, key_pem=None, token=None):
        self.url = urllib.parse.urlsplit(url)
        self.token = token
        self.ctx = None
        if self.url.scheme == "https":
            self.ctx = ssl.create_default_context(cadata=ca_pem)
            if cert_pem:
                d = tempfile.mkdtemp(prefix="testapi-cert-")
                cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
                with open(cert, "w") as f:
                    f.write(cert_pem)
                with open(key, "w") as f:
                    f.write(key_pem)
                self.ctx.load_cert_chain(cert, key)
                shutil.rmtree(d)

    @classmethod
    def from_kubeconfig(cls, path, with_cert=True, token=None):
        kc = read_kubeconfig(path)
        dec = lambda k: base64.b64decode(kc[k]).decode() if k in kc else None
        return cls(kc["server"], ca_pem=dec("certificate-authority-data"),
                   cert_pem=dec("client-certificate-data") if with_cert else None,
                   key_pem=dec("client-key-data") if with_cert else None, token=token)

    def connect(self):
        if self.ctx:
            return http.client.HTTPSConnection(self.url.hostname, self.url.port, context=self.ctx,
                                               timeout=IO_TIMEOUT)
        return http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=IO_TIMEOUT)

    def _headers(self, content_type, body):
        h = {"Accept": "application/json"}
        if body is not None:
            h["Content-Type"] = content_type
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        return h

    def request(self, method, path, body=None, content_type="application/json", headers=None):
        """`headers`: extra ones; a list value is sent as repeated lines (Impersonate-Group)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        conn = self.connect()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            all_headers = self._headers(content_type, body)
            all_headers.update(headers or {})
            for k, v in all_headers.items():
                for item in (v if isinstance(v, list) else [v]):
                    conn.putheader(k, item)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return Response(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, body, content_type="application/json"):
        return self.request("POST", path, body, content_type)

    def watch(self, path):
        """Opens a watch; returns a Watch whose next() gives one event."""
        conn = self.connect()
        conn.request("GET", path, headers=self._headers(None, None))
        resp = conn.getresponse()
        return Watch(conn, resp)


class Watch:
    def __init__(self, conn, resp):
        self.conn = conn
        self.resp = resp
        self.status = resp.status

    def next(self):
        """The next event as a dict, or None once the server ends the stream."""
        line = self.resp.readline()
        if not line:
            return None
        return json.loads(line)

    def until(self, pred):
        """Events until one satisfies pred (returned); fails if the stream ends."""
        while True:
            ev = self.next()
            if ev is None:
                raise AssertionError("watch ended before the expected event")
            if pred(ev):
                return ev

    def close(self):
        self.conn.close()


def configmap(name, data=None, labels=None, **meta):
    m = {"name": name}
    if labels:
        m["labels"] = labels
    m.update(meta)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": m, "data": data or {"k": "v"}}
