"""The reader thread's hand-over of batches to the event loop (filed/backup.py Handoff)."""

from __future__ import annotations

import asyncio
import threading

from bareoslab.filed.backup import Handoff


def test_batches_arrive_in_order_and_the_reader_follows_the_consumer() -> None:
    async def main() -> list[object]:
        stop = threading.Event()
        handoff = Handoff(asyncio.get_running_loop(), 2, stop)
        sent: list[bool] = []
        reader = threading.Thread(target=lambda: sent.extend(handoff.put([n]) for n in range(50)))
        reader.start()
        got = [await handoff.get() for _ in range(50)]
        await asyncio.get_running_loop().run_in_executor(None, reader.join)
        assert sent == [True] * 50
        return got

    assert asyncio.run(main()) == [[n] for n in range(50)]


def test_a_full_handoff_holds_the_reader_until_the_consumer_stops() -> None:
    async def main() -> None:
        stop = threading.Event()
        handoff = Handoff(asyncio.get_running_loop(), 2, stop)
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, handoff.put, ["first"])
        assert await loop.run_in_executor(None, handoff.put, ["second"])
        third = loop.run_in_executor(None, handoff.put, ["third"])  # no free slot: it waits
        stop.set()  # the consumer gives up (a canceled job)
        assert await third is False
        assert [await handoff.get(), await handoff.get()] == [["first"], ["second"]]
        # the two slots the consumer freed are all there are: the third batch never took one
        assert [handoff._slots.acquire(blocking=False) for _ in range(3)] == [True, True, False]

    asyncio.run(main())
