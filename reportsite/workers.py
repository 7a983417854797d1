"""Worker processes: the stages of each shard of sections run on a core of their own.

Input: one object per shard whose methods are the shard's stages
(shard.Shard). Output: what those methods return, in shard order.

With one shard the object runs in this process. With more, each runs in a
child forked from this process after the load stage, so it starts with the
loaded site in memory and is sent nothing but the arguments of each call.
A child keeps its state between calls: the shard parsed in the first call
is rendered in the second without crossing a process boundary. An exception
in a child is raised here, with the child's traceback.
"""
from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import traceback
from typing import Any, BinaryIO

_LEN = struct.Struct("<Q")


class WorkerError(RuntimeError):
    pass


def _send(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LEN.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        raise EOFError
    return pickle.loads(stream.read(_LEN.unpack(head)[0]))


class _Inline:
    def __init__(self, target: Any):
        self.target = target
        self._result: Any = None

    def start(self, name: str, args: tuple) -> None:
        self._result = getattr(self.target, name)(*args)

    def result(self) -> Any:
        return self._result

    def close(self) -> None:
        pass


_PARENT_ENDS: set[int] = set()  # this process's ends of its children's pipes


class _Child:
    def __init__(self, target: Any):
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: serve calls until told to stop, then leave without cleanup of the parent's
            # A sibling's pipe left open here would keep that sibling from ever seeing its end of input.
            for fd in _PARENT_ENDS | {down_w, up_r}:
                os.close(fd)
            code = 1
            try:
                _serve(target, os.fdopen(down_r, "rb"), os.fdopen(up_w, "wb"))
                code = 0
            finally:
                os._exit(code)
        os.close(down_r)
        os.close(up_w)
        _PARENT_ENDS.update((down_w, up_r))
        self.pid = pid
        self._pending = False
        self._down = os.fdopen(down_w, "wb")
        self._up = os.fdopen(up_r, "rb")

    def start(self, name: str, args: tuple) -> None:
        try:
            _send(self._down, (name, args))
        except OSError:  # it died (killed for memory, say); result() says so
            self._pending = False
            return
        self._pending = True

    def result(self) -> Any:
        self._pending = False
        try:
            ok, value = _receive(self._up)
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):  # gone, or cut off mid-reply
            raise WorkerError("a build worker stopped unexpectedly") from None
        if not ok:
            raise WorkerError(f"in a build worker:\n{value}")
        return value

    def close(self) -> None:
        if self._pending:  # its answer is no longer wanted (the build stopped early): do not wait for it
            os.kill(self.pid, signal.SIGTERM)
        _PARENT_ENDS.difference_update((self._down.fileno(), self._up.fileno()))
        try:
            self._down.close()  # end of input: the child leaves its loop
        except OSError:
            pass
        self._up.close()
        os.waitpid(self.pid, 0)


def _serve(target: Any, down: BinaryIO, up: BinaryIO) -> None:
    while True:
        try:
            name, args = _receive(down)
        except EOFError:
            return
        try:
            reply = (True, getattr(target, name)(*args))
        except Exception:  # noqa: BLE001 - sent to the parent, which raises it
            reply = (False, traceback.format_exc())
        _send(up, reply)


class Pool:
    """The shards' workers; a context manager that always reaps its children."""

    def __init__(self, targets: list[Any], fork: bool | None = None):
        """fork: run each target in a child (default: when there are several)."""
        fork = len(targets) > 1 if fork is None else fork
        self.workers: list[_Inline | _Child] = []
        self._frozen = fork
        if fork:
            # Objects that exist now are left out of garbage collection from now on, here and in the
            # children: a collection writes to every object it visits, so a child's first one would
            # copy every page of the loaded site it shares with this process.
            gc.freeze()
        try:
            for target in targets:
                self.workers.append(_Child(target) if fork else _Inline(target))
        except BaseException:
            self.close()
            raise

    def call(self, name: str, *args: Any) -> list[Any]:
        """The same call on every shard, all running at once; the results in shard order."""
        self.start(name, *args)
        return self.results()

    def start(self, name: str, *args: Any) -> None:
        """Start the call on every shard and return at once (in this process, with one shard, it runs now)."""
        for worker in self.workers:
            worker.start(name, args)

    def results(self) -> list[Any]:
        """The results of the call started last, in shard order."""
        results, failure = [], None
        for worker in self.workers:
            try:
                results.append(worker.result())
            except WorkerError as exc:  # still collect the others, so that no child is left mid-reply
                failure = failure or exc
        if failure:
            raise failure
        return results

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.workers = []
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
