"""Huobi frames written by this project from the venue docs (no capture needed).

Shapes from the Huobi spot API v1 doc, "Websocket行情数据": 订阅主题 (``subbed`` ack, errors),
心跳消息 (``ping``), 市场深度MBP行情数据 增量推送 and 全量请求 (``mbp.150`` increments and the
``req`` answer; the doc's own seqNums and levels), 市场深度行情数据 (``depth.step0``), 成交明细
(``trade.detail``), 买一卖一 (``bbo``); values are our own where the doc gives none. Every server
frame is gzip, so ``FRAMES`` holds gzip bytes; ``TEXT`` keeps the readable JSON.

``FRAMES`` fed in order: three increments arrive before the ``rep`` snapshot (buffered), two
of them already in it (stale), the third bridges (``prevSeqNum`` == snapshot ``seqNum``); then
the chain continues to ``BOOK`` (btcusdt). trioeth gets two full ``depth.step0`` books with
exponent-form numbers: ``DEPTH_BOOK`` is the second.
"""

from __future__ import annotations

import gzip


def gz(text: str) -> bytes:
    """A server frame as Huobi sends it (gzip; fixed mtime so the bytes are stable)."""
    return gzip.compress(text.encode(), mtime=0)


SNAP_SEQ = 100020142010

#: the ``req`` answer (全量请求), as in the doc
REP = (
    '{"id":"btcusdt.req","rep":"market.btcusdt.mbp.150","status":"ok","ts":1573199608700,'
    '"data":{"seqNum":100020142010,'
    '"bids":[[618.37,71.594],[423.33,77.726],[223.18,47.997],[219.34,24.82],[210.34,94.463]],'
    '"asks":[[650.59,14.909733438479636],[650.63,97.996],[650.77,97.465],[651.23,83.973],'
    "[651.42,34.465]]}}"
)


def mbp(seq: int, prev: int, body: str = '"bids":[],"asks":[]', ts: int = 1573199608679) -> str:
    """An ``mbp.150`` increment of btcusdt (增量推送)."""
    return (
        f'{{"ch":"market.btcusdt.mbp.150","ts":{ts},"tick":{{"seqNum":{seq},'
        f'"prevSeqNum":{prev},{body}}}}}'
    )


TEXT = [
    # 0, 1: subscription acks
    '{"id":"btcusdt.mbp","status":"ok","subbed":"market.btcusdt.mbp.150","ts":1573199608000}',
    '{"id":"btcusdt.trade","status":"ok","subbed":"market.btcusdt.trade.detail",'
    '"ts":1573199608001}',
    # 2, 3: before the rep and already in it (seqNum <= 100020142010): buffered, then stale
    mbp(100020142009, 100020142008, '"bids":[[618.37,70.0]],"asks":[]', 1573199608479),
    mbp(100020142010, 100020142009, '"bids":[[618.37,71.594]],"asks":[]', 1573199608579),
    # 4: bridges the snapshot: prevSeqNum == 100020142010
    mbp(
        100020142011,
        100020142010,
        '"bids":[[618.37,0],[600.5,3.25]],"asks":[[650.59,10.5]]',
        1573199608679,
    ),
    # 5: the req answer, after the increments it bridges to
    REP,
    # 6: the doc's increment shape: an empty bid side
    mbp(
        100020142012,
        100020142011,
        '"bids":[],"asks":[[645.140000000000000000,26.755973959140651643]]',
        1573199608779,
    ),
    # 7: the doc's other shape: no "bids" key at all; a size 0 deletes
    mbp(100020142013, 100020142012, '"asks":[[651.23,0],[650.63,90.0]]', 1573199608879),
    # 8: nothing changed in 100 ms: both sides empty, the chain still moves
    mbp(100020142014, 100020142013, '"bids":[],"asks":[]', 1573199608979),
    # 9: a taker buy
    '{"ch":"market.btcusdt.trade.detail","ts":1573199609010,"tick":{"id":102523573486,'
    '"ts":1573199609005,"data":[{"id":10252357348626038862446,"ts":1573199609005,'
    '"tradeId":102052565829,"amount":0.5,"price":645.14,"direction":"buy"}]}}',
    # 10: two taker sells in one push; the second has only the deprecated "id"
    '{"ch":"market.btcusdt.trade.detail","ts":1573199609110,"tick":{"id":102523573487,'
    '"ts":1573199609105,"data":[{"id":10252357348726038862447,"ts":1573199609105,'
    '"tradeId":102052565830,"amount":0.25,"price":600.5,"direction":"sell"},'
    '{"id":1025235734872,"ts":1573199609106,"amount":1.5E-3,"price":600.5,'
    '"direction":"sell"}]}}',
    # 11: server heartbeat: must be answered {"pong":1573199610000}
    '{"ping":1573199610000}',
    # 12: best bid/offer: valid, unused
    '{"ch":"market.btcusdt.bbo","ts":1573199609200,"tick":{"symbol":"btcusdt","quoteTime":'
    '1573199609198,"bid":600.5,"bidSize":3.25,"ask":645.14,"askSize":26.755973959140651643,'
    '"seqId":100020142014}}',
    # 13: a refused subscription
    '{"id":"nosuchusdt.mbp","status":"error","err-code":"bad-request",'
    '"err-msg":"invalid topic market.nosuchusdt.mbp.150","ts":1573199609300}',
    # 14, 15: depth.step0 (市场深度行情数据): a full book each push, exponent-form numbers
    '{"ch":"market.trioeth.depth.step0","ts":1618678069870,"tick":{"bids":[[9.121E-7,92730.24],'
    '[9.12E-7,66053.68]],"asks":[[9.28E-7,4342.25],[9.429E-7,47545.64]],'
    '"version":100182534557,"ts":1618678069867}}',
    '{"ch":"market.trioeth.depth.step0","ts":1618678070870,"tick":{"bids":[[9.121E-7,202452.64],'
    '[6.0E-10,3.358149508E7]],"asks":[[9.2E-7,13463.35],[9.28E-7,4342.25]],'
    '"version":100182534612,"ts":1618678070866}}',
]

FRAMES = [gz(t) for t in TEXT]

#: btcusdt after FRAMES (best first)
BOOK = {
    "bids": [(600.5, 3.25), (423.33, 77.726), (223.18, 47.997), (219.34, 24.82), (210.34, 94.463)],
    "asks": [
        (645.14, 26.755973959140651643),
        (650.59, 10.5),
        (650.63, 90.0),
        (650.77, 97.465),
        (651.42, 34.465),
    ],
}

#: trioeth after FRAMES: the second depth.step0 push alone
DEPTH_BOOK = {
    "bids": [(9.121e-07, 202452.64), (6e-10, 33581495.08)],
    "asks": [(9.2e-07, 13463.35), (9.28e-07, 4342.25)],
}
