"""OKX v5 frames written by this project from the venue docs (no capture needed).

Shapes from okx.com/docs-v5/en "WS / Order book channel" (``books``: snapshot/update, levels
``[px, sz, "0", numOrders]``, ``seqId``/``prevSeqId`` and its example chain -1 -> 10 -> 15 ->
15 (no change) -> 3 (reset) -> 5, checksum), "WS / Trades channel", "WS / Tickers channel",
"WebSocket / Subscribe" and "WebSocket / Notification" (64008); prices from the docs'
example book, the rest our own. Every ``checksum`` was computed with the docs' algorithm by
an independent script (Decimal-sorted book, best 25 a side interleaved, CRC32 signed).

``FRAMES`` replayed from the start give ``BOOK`` for BTC-USDT.
"""

SUB_BOOKS = (
    '{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}'
)
SUB_TRADES = (
    '{"id":"1512","event":"subscribe","arg":{"channel":"trades","instId":"BTC-USDT"},'
    '"connId":"a4d3ae55"}'
)

#: prevSeqId -1 -> seqId 10; 3 bids, 4 asks
SNAPSHOT = (
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{'
    '"asks":[["8476.98","415","0","13"],["8477","7","0","2"],["8477.34","85","0","1"],'
    '["8477.56","1","0","1"]],'
    '"bids":[["8476.97","256","0","12"],["8475.55","101","0","1"],["8475.3","1","0","1"]],'
    '"ts":"1597026383085","checksum":123120033,"prevSeqId":-1,"seqId":10}]}'
)
#: 10 -> 15: best ask deleted, a new ask, best bid resized, a new bid
UPDATE_15 = (
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{'
    '"asks":[["8476.98","0","0","0"],["8477.1","3","0","1"]],'
    '"bids":[["8476.97","250","0","11"],["8476.5","2","0","1"]],'
    '"ts":"1597026383185","checksum":-278600418,"prevSeqId":10,"seqId":15}]}'
)
#: 15 -> 15: no change for a while, the venue says the connection is alive
KEEPALIVE_15 = (
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{'
    '"asks":[],"bids":[],"ts":"1597026443185","checksum":-278600418,'
    '"prevSeqId":15,"seqId":15}]}'
)
#: 15 -> 3: the sequence was reset after maintenance (seqId < prevSeqId)
RESET_3 = (
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{'
    '"asks":[],"bids":[["8476","5","0","1"]],'
    '"ts":"1597026443285","checksum":1833186972,"prevSeqId":15,"seqId":3}]}'
)
#: 3 -> 5: an ask resized, the worst bid deleted
UPDATE_5 = (
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{'
    '"asks":[["8477.34","80","0","2"]],"bids":[["8475.3","0","0","0"]],'
    '"ts":"1597026443385","checksum":887355285,"prevSeqId":3,"seqId":5}]}'
)
TRADE_BUY = (
    '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",'
    '"tradeId":"130639474","px":"8476.98","sz":"0.12060306","side":"buy",'
    '"ts":"1597026383090","count":"3","source":"0","seqId":1234}]}'
)
TRADE_SELL = (
    '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",'
    '"tradeId":"130639475","px":"8476.97","sz":"0.5","side":"sell",'
    '"ts":"1597026383095","count":"1","source":"0","seqId":1235}]}'
)
TICKER = (
    '{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT",'
    '"instId":"BTC-USDT","last":"8476.98","lastSz":"0.1","askPx":"8477","askSz":"7",'
    '"bidPx":"8476.97","bidSz":"250","ts":"1597026383100"}]}'
)
#: the server's answer to the client's text "ping" (plain text, not JSON)
PONG = "pong"
NOTICE = (
    '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a '
    'service upgrade. Please reconnect.","connId":"a4d3ae55"}'
)
ERROR = (
    '{"event":"error","code":"60012","msg":"Invalid request: {\\"op\\": \\"subscribe\\", '
    '\\"argss\\":[{ \\"channel\\" : \\"books\\", \\"instId\\" : \\"BTC-USD-191227\\"}]}",'
    '"connId":"a4d3ae55"}'
)

FRAMES = [
    SUB_BOOKS,
    SUB_TRADES,
    SNAPSHOT,
    TRADE_BUY,
    UPDATE_15,
    TRADE_SELL,
    TICKER,
    KEEPALIVE_15,
    PONG,
    RESET_3,
    UPDATE_5,
    NOTICE,
]

#: BTC-USDT after FRAMES: 4 book messages after the snapshot, 5 checksums verified
BOOK = {
    "bids": [(8476.97, 250.0), (8476.5, 2.0), (8476.0, 5.0), (8475.55, 101.0)],
    "asks": [(8477.0, 7.0), (8477.1, 3.0), (8477.34, 80.0), (8477.56, 1.0)],
}

#: the docs' worked checksum texts ("Calculate Checksum": more / fewer than 25 levels)
DOC_CHECKSUM_CASES = [
    (
        [["3366.1", "7", "0", "3"], ["3366", "6", "3", "4"]],
        [["3366.8", "9", "10", "3"], ["3368", "8", "3", "4"]],
        "3366.1:7:3366.8:9:3366:6:3368:8",
    ),
    (
        [["3366.1", "7", "0", "3"]],
        [["3366.8", "9", "10", "3"], ["3368", "8", "3", "4"], ["3372", "8", "3", "4"]],
        "3366.1:7:3366.8:9:3368:8:3372:8",
    ),
]
