import threading

from filelock import FileLock

from pipeline.locks import hold


class Refused(Exception):
    pass


def test_a_held_lock_refuses_a_second_holder_naming_the_first(tmp_path):
    path, owner = tmp_path / "x.lock", tmp_path / "x.lock.owner"
    with hold(FileLock(path), owner, refused=Refused, note="pid 1 since today") as first:
        assert first and owner.read_text(encoding="utf-8") == "pid 1 since today"
        caught: list[BaseException] = []

        def other():  # another thread, another lock object: as another process would be
            try:
                with hold(FileLock(path, thread_local=False), owner, refused=Refused, note="pid 2"):
                    pass
            except Refused as exc:
                caught.append(exc)

        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert [str(e) for e in caught] == ["pid 1 since today"]
    with hold(FileLock(path), owner, refused=Refused, note="pid 3"):  # released: free again
        assert owner.read_text(encoding="utf-8") == "pid 3"


def test_a_reentrant_hold_is_not_the_outermost(tmp_path):
    lock = FileLock(tmp_path / "x.lock")
    with hold(lock, tmp_path / "o", refused=Refused, note="outer") as outer:
        with hold(lock, tmp_path / "o", refused=Refused, note="inner") as inner:
            assert (outer, inner) == (True, False)
        assert (tmp_path / "o").read_text(encoding="utf-8") == "outer"
    assert not lock.is_locked


def test_an_unknown_holder_is_none(tmp_path):
    path = tmp_path / "x.lock"
    with FileLock(path):  # held without an owner note
        seen: list = []

        def other():
            try:
                with hold(FileLock(path, thread_local=False), tmp_path / "nobody", refused=lambda h: Refused(h),
                          note="n"):
                    pass
            except Refused as exc:
                seen.append(exc.args[0])

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert seen == [None]
