"""A TCP proxy in front of PostgreSQL that can stall: connections stay open and every byte is
read, but nothing is forwarded either way (a hung proxy or a frozen server, as a client sees
it). ``resume`` forwards again on new connections; the stalled ones stay dead."""

import socket
import threading
from contextlib import suppress


class StallProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self.stalled = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        self.stalled.set()

    def resume(self) -> None:
        """Forward again, for connections made from now on."""
        self.stalled = threading.Event()

    def close(self) -> None:
        """Shut every socket down, then close it: a bare close from this thread neither wakes
        a pump blocked in recv nor sends the FIN, and PostgreSQL would keep the backend (and a
        stalled transaction's locks) until this process ends."""
        for s in [self._listener, *self._sockets]:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                s.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            stalled = self.stalled
            if stalled.is_set():  # accepted, never answered
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            server = socket.create_connection(self.upstream)
            self._sockets.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b, stalled), daemon=True).start()

    @staticmethod
    def _swallow(source: socket.socket) -> None:
        with suppress(OSError):
            while source.recv(65536):
                pass

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket, stalled: threading.Event) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                if not stalled.is_set():
                    target.sendall(data)
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)
