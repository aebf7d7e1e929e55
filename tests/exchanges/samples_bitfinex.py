"""Bitfinex frames written by this project from the venue docs (no capture needed).

Shapes from docs.bitfinex.com ws-general (conf flags, SEQ_ALL number last), ws-public
("subscribed", "info", "pong"), ws-public-books (P0 ``[PRICE, COUNT, AMOUNT]``),
ws-public-trades (``te``/``tu``, history snapshot) and ws-websocket-checksum (``cs``);
values are our own. The connection runs with flags 196608 (CHECKSUM | SEQ_ALL): every
channel message ends with the connection sequence 1, 2, 3, ... and every book change is
followed by the CRC of the book. Checksums were computed with ``book_checksum`` and are
cross-checked in the tests against the literal strings below.

``FRAMES`` replayed in order give ``BOOK`` (tBTCUSD) and ``SHIB_BOOK`` (tSHIB:USD).
"""

BOOK_CHAN = 17082
TRADES_CHAN = 17470
SHIB_CHAN = 17090

FRAMES = [
    '{"event":"info","version":2,"serverId":"6f4b3d2a-0000-4000-8000-00000000b0b0",'
    '"platform":{"status":1}}',
    '{"event":"conf","status":"OK","flags":196608}',
    '{"event":"subscribed","channel":"book","chanId":17082,"symbol":"tBTCUSD","prec":"P0",'
    '"freq":"F0","len":"25","pair":"BTCUSD"}',
    '{"event":"subscribed","channel":"trades","chanId":17470,"symbol":"tBTCUSD","pair":"BTCUSD"}',
    '{"event":"subscribed","channel":"book","chanId":17090,"symbol":"tSHIB:USD","prec":"P0",'
    '"freq":"F0","len":"25","pair":"SHIB:USD"}',
    '{"event":"subscribed","channel":"ticker","chanId":17100,"symbol":"tBTCUSD","pair":"BTCUSD"}',
    # 6: book snapshot, 3 bids (amount > 0) and 3 asks (amount < 0), then its checksum
    "[17082,[[7254.7,3,3.3],[7254.6,1,0.5],[7254.5,2,1.25],[7254.8,1,-0.5],[7254.9,2,-2],"
    "[7255,1,-1.1]],1]",
    '[17082,"cs",-1492778785,2]',
    # 8: trades history snapshot: not new executions
    "[17470,[[401597393,1574694475039,-0.005,7244.9],[401597392,1574694470000,0.1,7245]],3]",
    # 9: new bid 7254.75
    "[17082,[7254.75,1,0.2],4]",
    '[17082,"cs",3515062,5]',
    # 11: COUNT 0, AMOUNT -1: delete the ask 7254.8
    "[17082,[7254.8,0,-1],6]",
    '[17082,"cs",-1490277827,7]',
    # 13: ask 7255 changes size
    "[17082,[7255,2,-0.75],8]",
    '[17082,"cs",825913090,9]',
    # 15, 16: executions (AMOUNT > 0: taker bought; < 0: taker sold), 17: te again as tu
    '[17470,"te",[401597395,1574694478808,0.005,7254.9],10]',
    '[17470,"te",[401597396,1574694478900,-0.25,7254.75],11]',
    '[17470,"tu",[401597395,1574694478808,0.005,7254.9],12]',
    # 18: ticker (not used), 19: heartbeat
    "[17100,[7254.75,10.2,7254.9,9.1,-53.1,-0.0073,7254.9,2011.4,7378,7150],13]",
    '[17082,"hb",14]',
    # 20: COUNT 0, AMOUNT 1: delete the bid 7254.5
    "[17082,[7254.5,0,1],15]",
    '[17082,"cs",553609027,16]',
    # 22: prices JavaScript writes in exponent form (below 1e-6) and 1e-6 itself ("0.000001")
    "[17090,[[5.6e-7,1,60712.4250231],[5.5e-7,8,1047414.30449527],[0.000001,2,-4000],"
    "[5.7e-7,1,-1597.7]],17]",
    '[17090,"cs",1174437706,18]',
    '{"event":"pong","ts":1511545528111,"cid":1234}',
    '[17470,"hb",19]',
]

#: the checksum text of the snapshot (frame 6) and of the final tBTCUSD book (frame 21)
SNAPSHOT_CS_TEXT = "7254.7:3.3:7254.8:-0.5:7254.6:0.5:7254.9:-2:7254.5:1.25:7255:-1.1"
SNAPSHOT_CS = -1492778785
FINAL_CS_TEXT = "7254.75:0.2:7254.9:-2:7254.7:3.3:7255:-0.75:7254.6:0.5"
FINAL_CS = 553609027
SHIB_CS_TEXT = "5.6e-7:60712.4250231:5.7e-7:-1597.7:5.5e-7:1047414.30449527:0.000001:-4000"
SHIB_CS = 1174437706

BOOK = {
    "bids": [(7254.75, 0.2), (7254.7, 3.3), (7254.6, 0.5)],
    "asks": [(7254.9, 2.0), (7255.0, 0.75)],
}
SHIB_BOOK = {
    "bids": [(5.6e-07, 60712.4250231), (5.5e-07, 1047414.30449527)],
    "asks": [(5.7e-07, 1597.7), (1e-06, 4000.0)],
}
