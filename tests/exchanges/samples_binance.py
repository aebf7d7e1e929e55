"""Binance frames written by this project from the venue docs (no capture needed).

Shapes from binance-spot-api-docs ``web-socket-streams.md`` ("Diff. Depth Stream",
"Trade Streams") and ``rest-api.md`` ("Order book"); values are our own.
``FRAMES`` replayed after ``SNAPSHOT`` give ``BOOK``.
"""

SNAPSHOT = (
    '{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"],["3.99000000","9.00000000"]],'
    '"asks":[["4.00000200","12.00000000"],["4.01000000","5.00000000"]]}'
)

FRAMES = [
    # stale: u <= lastUpdateId, dropped
    '{"stream":"bnbbtc@depth@100ms","data":{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC",'
    '"U":1027020,"u":1027024,"b":[["4.00000000","1.00000000"]],"a":[]}}',
    # bridges: U <= lastUpdateId+1 <= u
    '{"stream":"bnbbtc@depth@100ms","data":{"e":"depthUpdate","E":1672515782236,"s":"BNBBTC",'
    '"U":1027023,"u":1027026,"b":[["3.99000000","0.00000000"],["3.98000000","7.50000000"]],'
    '"a":[["4.00000200","10.00000000"]]}}',
    '{"stream":"bnbbtc@trade","data":{"e":"trade","E":1672515782300,"s":"BNBBTC","t":12345,'
    '"p":"4.00000200","q":"2.00000000","T":1672515782299,"m":false,"M":true}}',
    '{"stream":"bnbbtc@trade","data":{"e":"trade","E":1672515782310,"s":"BNBBTC","t":12346,'
    '"p":"4.00000000","q":"0.50000000","T":1672515782309,"m":true,"M":true}}',
    '{"stream":"bnbbtc@depth@100ms","data":{"e":"depthUpdate","E":1672515782336,"s":"BNBBTC",'
    '"U":1027027,"u":1027027,"b":[],"a":[["4.01000000","0.00000000"],["4.02000000","3.00000000"]]}}',
    '{"result":null,"id":1}',
    '{"stream":"bnbbtc@bookTicker","data":{"u":1027027,"s":"BNBBTC","b":"4.00000000",'
    '"B":"431.00000000","a":"4.00000200","A":"10.00000000"}}',
]

BOOK = {
    "bids": [(4.0, 431.0), (3.98, 7.5)],
    "asks": [(4.000002, 10.0), (4.02, 3.0)],
}
