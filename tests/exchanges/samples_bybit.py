"""Bybit v5 public frames written by this project from the venue docs (no capture needed).

Shapes from bybit-exchange/docs ``docs/v5/websocket/public/orderbook.mdx`` and ``trade.mdx``
("Response Example") and https://bybit-exchange.github.io/docs/v5/ws/connect (subscribe
answer, pong); values are our own. ``FRAMES`` (a spot connection, the default category) give
``BOOK`` for spot ``BTCUSDT``; ``u`` runs 18521288 (snapshot), 18521289, 18521290.
"""

SPOT_URL = "wss://stream.bybit.com/v5/public/spot"
LINEAR_URL = "wss://stream.bybit.com/v5/public/linear"
INVERSE_URL = "wss://stream.bybit.com/v5/public/inverse"

SUBSCRIBED = (
    '{"success":true,"ret_msg":"subscribe","conn_id":"2324d924-aa4d-45b0-a858-7b8be29ab52b",'
    '"req_id":"sub1","op":"subscribe"}'
)
SNAPSHOT = (
    '{"topic":"orderbook.200.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT",'
    '"b":[["16493.50","0.006"],["16493.00","0.100"],["16492.50","1.200"]],'
    '"a":[["16611.00","0.029"],["16612.00","0.213"],["16613.50","2.000"]],'
    '"u":18521288,"seq":7961638724},"cts":1672304484970}'
)
DELTA_1 = (
    '{"topic":"orderbook.200.BTCUSDT","type":"delta","ts":1672304485078,"data":{"s":"BTCUSDT",'
    '"b":[["16493.50","0"],["16494.00","0.050"]],"a":[["16611.00","0.010"]],'
    '"u":18521289,"seq":7961638730},"cts":1672304485071}'
)
TRADES = (
    '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":['
    '{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.019","p":"16611.00","L":"PlusTick",'
    '"i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false,"RPI":false,"seq":7961638741},'
    '{"T":1672304486866,"s":"BTCUSDT","S":"Sell","v":"0.001","p":"16494.00","L":"MinusTick",'
    '"i":"20f43950-d8dd-5b31-9112-a178eb6023b0","BT":false,"RPI":false,"seq":7961638742}]}'
)
DELTA_2 = (
    '{"topic":"orderbook.200.BTCUSDT","type":"delta","ts":1672304485178,"data":{"s":"BTCUSDT",'
    '"b":[],"a":[["16612.00","0"],["16615.00","0.400"]],"u":18521290,"seq":7961638750},'
    '"cts":1672304485170}'
)
PONG_SPOT = (
    '{"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a-a679-ff7f55e0b16a","op":"ping"}'
)
PONG_OP = (
    '{"req_id":"test","op":"pong","args":["1675418560633"],"conn_id":"cfcb4ocsvfriu23r3er0-1b"}'
)
TICKER = (
    '{"topic":"tickers.BTCUSDT","ts":1673853746003,"type":"snapshot","cs":2588407389,'
    '"data":{"symbol":"BTCUSDT","lastPrice":"21109.77","highPrice24h":"21426.99",'
    '"lowPrice24h":"20575","prevPrice24h":"20704.93","volume24h":"6780.866843",'
    '"turnover24h":"141946527.22907118","price24hPcnt":"0.0196","usdIndexPrice":"21120.2400136"}}'
)
KLINE = (
    '{"type":"snapshot","topic":"kline.1.BTCUSDT","data":[{"start":1672324800000,'
    '"end":1672325099999,"interval":"1","open":"16649.5","close":"16677","high":"16677",'
    '"low":"16608","volume":"2.081","turnover":"34666.4005","confirm":false,'
    '"timestamp":1672324988882}],"ts":1672324988882}'
)
REFUSED = (
    '{"success":false,"ret_msg":"Invalid symbol :[orderbook.200.NOPEUSDT]",'
    '"conn_id":"2324d924-aa4d-45b0-a858-7b8be29ab52b","req_id":"sub2","op":"subscribe"}'
)

FRAMES = [SUBSCRIBED, SNAPSHOT, DELTA_1, TRADES, DELTA_2, PONG_SPOT, PONG_OP, TICKER, KLINE]

BOOK = {
    "bids": [(16494.0, 0.05), (16493.0, 0.1), (16492.5, 1.2)],
    "asks": [(16611.0, 0.01), (16613.5, 2.0), (16615.0, 0.4)],
}

# A linear (USDT perpetual) book of the same native symbol, padded prices as linear sends them.
LINEAR_SNAPSHOT = (
    '{"topic":"orderbook.200.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT",'
    '"b":[["16493.50","1.500"]],"a":[["16494.00","2.000"]],"u":700,"seq":7961638724},'
    '"cts":1672304484970}'
)
LINEAR_DELTA = (
    '{"topic":"orderbook.200.BTCUSDT","type":"delta","ts":1672304485078,"data":{"s":"BTCUSDT",'
    '"b":[["16493.5","1.250"]],"a":[],"u":701,"seq":7961638725},"cts":1672304485071}'
)
LINEAR_BOOK = {"bids": [(16493.5, 1.25)], "asks": [(16494.0, 2.0)]}


def delta(u: int, bids: str = "[]", asks: str = "[]", symbol: str = "BTCUSDT") -> str:
    """An ``orderbook.200`` delta with the given ``u`` and level lists (JSON text)."""
    return (
        f'{{"topic":"orderbook.200.{symbol}","type":"delta","ts":1672304490000,'
        f'"data":{{"s":"{symbol}","b":{bids},"a":{asks},"u":{u},"seq":7961639000}},'
        f'"cts":1672304489990}}'
    )


def snapshot(u: int, bids: str, asks: str, symbol: str = "BTCUSDT") -> str:
    """An ``orderbook.200`` snapshot with the given ``u`` and level lists (JSON text)."""
    return (
        f'{{"topic":"orderbook.200.{symbol}","type":"snapshot","ts":1672304490000,'
        f'"data":{{"s":"{symbol}","b":{bids},"a":{asks},"u":{u},"seq":7961639000}},'
        f'"cts":1672304489990}}'
    )
