"""Kraken frames written by this project from the venue docs (no capture needed).

Shapes from docs.kraken.com spot-websocket-v1 (``book``, ``trade``, ``heartbeat``,
``systemStatus``, ``subscriptionStatus``, ``ping``) and spot-websocket-v2 (``book``,
``trade``, ``heartbeat``, ``status``, ``subscribe``). The v1 book is the worked example of
"Spot WebSockets (v1) Book Checksum" (checksum 974947235), the v2 snapshot the worked
example of "Spot WebSockets (v2) Book Checksum" (checksum 3310070434); the other checksums
were computed with the documented algorithm by a separate script and hard-coded.

``FRAMES`` on one connection: v1 ``ETH/XBT`` book-10 (snapshot, four updates, one with
separate ask and bid objects, republished ``"r"`` levels, levels pushed out of the depth-10
window) and trades, then v2 ``BTC/USD`` (depth-10 ack, snapshot, two updates, trades).
The final books are ``BOOK_V1`` and ``BOOK_V2``.
"""

#: the v1 doc example book (top 10 each side) -> checksum 974947235
DOC_V1_ASKS = [
    [p, "0.00000500"]
    for p in (
        "0.05005", "0.05010", "0.05015", "0.05020", "0.05025",
        "0.05030", "0.05035", "0.05040", "0.05045", "0.05050",
    )
]  # fmt: skip
DOC_V1_BIDS = [
    [p, "0.00000500"]
    for p in (
        "0.05000", "0.04995", "0.04990", "0.04980", "0.04975",
        "0.04970", "0.04965", "0.04960", "0.04955", "0.04950",
    )
]  # fmt: skip
DOC_V1_CHECKSUM = 974947235

#: the v2 doc example snapshot -> checksum 3310070434
DOC_V2_BIDS = [
    ("45283.5", "0.10000000"), ("45283.4", "1.54582015"), ("45282.1", "0.10000000"),
    ("45281.0", "0.10000000"), ("45280.3", "1.54592586"), ("45279.0", "0.07990000"),
    ("45277.6", "0.03310103"), ("45277.5", "0.30000000"), ("45277.3", "1.54602737"),
    ("45276.6", "0.15445238"),
]  # fmt: skip
DOC_V2_ASKS = [
    ("45285.2", "0.00100000"), ("45286.4", "1.54571953"), ("45286.6", "1.54571109"),
    ("45289.6", "1.54560911"), ("45290.2", "0.15890660"), ("45291.8", "1.54553491"),
    ("45294.7", "0.04454749"), ("45296.1", "0.35380000"), ("45297.5", "0.09945542"),
    ("45299.5", "0.18772827"),
]  # fmt: skip
DOC_V2_CHECKSUM = 3310070434


def _v1_levels(levels: list, ts: float) -> str:
    return ",".join(f'["{p}","{q}","{ts + i / 1e6:.6f}"]' for i, (p, q) in enumerate(levels))


def _v2_levels(levels: list) -> str:
    return ",".join(f'{{"price":{p},"qty":{q}}}' for p, q in levels)


#: v1 snapshot: the doc book, except the best bid holds 0.00000400 (the first update fixes it)
V1_SNAPSHOT = (
    '[336,{"as":['
    + _v1_levels(DOC_V1_ASKS, 1582905480.0)
    + '],"bs":['
    + _v1_levels([["0.05000", "0.00000400"], *DOC_V1_BIDS[1:]], 1582905481.0)
    + ']},"book-10","ETH/XBT"]'
)

V1_UPDATES = [
    # the best bid back to the doc book: the doc's checksum
    '[336,{"b":[["0.05000","0.00000500","1582905487.439814"]],"c":"974947235"},'
    '"book-10","ETH/XBT"]',
    # a new best ask: 11 asks, 0.05050 leaves the depth-10 window without a delete
    '[336,{"a":[["0.05003","1.25000000","1582905488.100000"]],"c":"1573932513"},'
    '"book-10","ETH/XBT"]',
    # five elements: asks and bids in separate objects, checksum in the last one;
    # 0.05050 comes back republished ("r"), 0.04950 leaves the bid window
    '[336,{"a":[["0.05003","0.00000000","1582905489.200000"],'
    '["0.05050","0.00000500","1582905489.200001","r"]]},'
    '{"b":[["0.04985","2.00000000","1582905489.200002"]],"c":"373281603"},'
    '"book-10","ETH/XBT"]',
    # the best bid deleted, 0.04950 republished into the window
    '[336,{"b":[["0.05000","0.00000000","1582905490.300000"],'
    '["0.04950","0.00000500","1582905490.300001","r"]],"c":"970096907"},'
    '"book-10","ETH/XBT"]',
]

V1_TRADES = (
    '[337,[["0.05005","0.10000000","1582905491.100000","b","m",""],'
    '["0.04995","0.20000000","1582905491.200000","s","l",""]],"trade","ETH/XBT"]'
)

V2_SNAPSHOT = (
    '{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":['
    + _v2_levels(DOC_V2_BIDS)
    + '],"asks":['
    + _v2_levels(DOC_V2_ASKS)
    + '],"checksum":3310070434}]}'
)

V2_UPDATES = [
    # the best ask deleted (qty 0), a new best bid: 11 bids, 45276.6 leaves the window
    '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":'
    '[{"price":45284.0,"qty":0.50000000}],"asks":[{"price":45285.2,"qty":0}],'
    '"checksum":4015869771,"timestamp":"2023-10-06T17:35:55.440295Z"}]}',
    '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],'
    '"asks":[{"price":45285.9,"qty":2.00000000}],"checksum":1700074373,'
    '"timestamp":"2023-10-06T17:35:55.540295Z"}]}',
]

V2_TRADES = (
    '{"channel":"trade","type":"update","data":['
    '{"symbol":"BTC/USD","side":"buy","price":45285.9,"qty":0.25,"ord_type":"market",'
    '"trade_id":4665846,"timestamp":"2023-10-06T17:35:56.000000Z"},'
    '{"symbol":"BTC/USD","side":"sell","price":45284.0,"qty":0.5,"ord_type":"limit",'
    '"trade_id":4665847,"timestamp":"2023-10-06T17:35:56.100000Z"}]}'
)

FRAMES = [
    '{"connectionID":8628615390848610000,"event":"systemStatus","status":"online",'
    '"version":"1.9.0"}',
    '{"channelID":336,"channelName":"book-10","event":"subscriptionStatus","pair":"ETH/XBT",'
    '"status":"subscribed","subscription":{"depth":10,"name":"book"}}',
    '{"channelID":337,"channelName":"trade","event":"subscriptionStatus","pair":"ETH/XBT",'
    '"status":"subscribed","subscription":{"name":"trade"}}',
    V1_SNAPSHOT,
    *V1_UPDATES,
    V1_TRADES,
    '{"event":"heartbeat"}',
    '{"event":"pong","reqid":42}',
    '[340,["0.05010","0.05005","1582905492.000000","0.00000500","0.00000500"],"spread","ETH/XBT"]',
    '{"errorMessage":"Currency pair not supported","event":"subscriptionStatus",'
    '"pair":"XYZ/USD","status":"error","subscription":{"name":"book"}}',
    # v2
    '{"channel":"status","data":[{"api_version":"v2","connection_id":12393906104898154338,'
    '"system":"online","version":"2.0.0"}],"type":"update"}',
    '{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,'
    '"symbol":"BTC/USD"},"success":true,"time_in":"2023-10-06T17:35:55.000000Z",'
    '"time_out":"2023-10-06T17:35:55.000100Z"}',
    V2_SNAPSHOT,
    *V2_UPDATES,
    V2_TRADES,
    '{"channel":"heartbeat"}',
    '{"method":"pong","req_id":101,"time_in":"2023-10-06T17:35:57.000000Z",'
    '"time_out":"2023-10-06T17:35:57.000100Z"}',
    '{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":45284.0,'
    '"bid_qty":0.5,"ask":45285.9,"ask_qty":2.0,"last":45284.0,"volume":1.0,"vwap":45280.0,'
    '"low":45000.0,"high":45500.0,"change":10.0,"change_pct":0.02}]}',
]

#: final v1 ETH/XBT book (best first)
BOOK_V1 = {
    "bids": [
        (0.04995, 5e-06), (0.0499, 5e-06), (0.04985, 2.0), (0.0498, 5e-06), (0.04975, 5e-06),
        (0.0497, 5e-06), (0.04965, 5e-06), (0.0496, 5e-06), (0.04955, 5e-06), (0.0495, 5e-06),
    ],
    "asks": [
        (0.05005, 5e-06), (0.0501, 5e-06), (0.05015, 5e-06), (0.0502, 5e-06), (0.05025, 5e-06),
        (0.0503, 5e-06), (0.05035, 5e-06), (0.0504, 5e-06), (0.05045, 5e-06), (0.0505, 5e-06),
    ],
}  # fmt: skip

#: final v2 BTC/USD book (best first)
BOOK_V2 = {
    "bids": [
        (45284.0, 0.5), (45283.5, 0.1), (45283.4, 1.54582015), (45282.1, 0.1),
        (45281.0, 0.1), (45280.3, 1.54592586), (45279.0, 0.0799), (45277.6, 0.03310103),
        (45277.5, 0.3), (45277.3, 1.54602737),
    ],
    "asks": [
        (45285.9, 2.0), (45286.4, 1.54571953), (45286.6, 1.54571109), (45289.6, 1.54560911),
        (45290.2, 0.1589066), (45291.8, 1.54553491), (45294.7, 0.04454749),
        (45296.1, 0.3538), (45297.5, 0.09945542), (45299.5, 0.18772827),
    ],
}  # fmt: skip
