"""Coinbase frames written by this project from the venue docs (no capture needed).

Shapes: Advanced Trade docs.cdp.coinbase.com ``advanced-trade-apis/websocket/websocket-channels``
(level2 -> ``l2_data``, market_trades, heartbeats, ticker, candles, subscriptions; one
``sequence_num`` counter per connection); Exchange ``exchange/websocket-feed`` (level2
``snapshot``/``l2update``, matches ``match``/``last_match``, ticker, heartbeat,
subscriptions). Values are our own. ``FRAMES`` fed to one connection give ``BOOK``
(Advanced Trade BTC-USD and Exchange BTC-EUR); the Exchange frames do not touch the Advanced
Trade ``sequence_num`` chain.
"""

# ---------------------------------------------------------------------- Advanced Trade

AT_SUBSCRIBED = (
    '{"channel":"subscriptions","client_id":"","timestamp":"2026-08-09T21:05:48.228846629Z",'
    '"sequence_num":0,"events":[{"subscriptions":{"level2":["BTC-USD"],"heartbeats":["BTC-USD"]}}]}'
)
AT_SNAPSHOT = (
    '{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T21:05:48.5Z","sequence_num":1,'
    '"events":[{"type":"snapshot","product_id":"BTC-USD","updates":['
    '{"side":"bid","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65000.00",'
    '"new_quantity":"1.5"},'
    '{"side":"bid","event_time":"2026-08-09T21:05:48.170326Z","price_level":"64999.5",'
    '"new_quantity":"2.0"},'
    '{"side":"bid","event_time":"2026-08-09T21:05:48.170326Z","price_level":"64990",'
    '"new_quantity":"0.25"},'
    '{"side":"offer","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65000.01",'
    '"new_quantity":"0.8"},'
    '{"side":"offer","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65001.00",'
    '"new_quantity":"3.0"}]}]}'
)
AT_HEARTBEAT = (
    '{"channel":"heartbeats","client_id":"","timestamp":"2026-08-09T21:05:48.856364007Z",'
    '"sequence_num":2,"events":[{"current_time":"2026-08-09 21:05:48.854840045 +0000 UTC '
    'm=+41691.260485341","heartbeat_counter":41691}]}'
)
AT_UPDATE = (
    '{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T21:05:49.25Z","sequence_num":3,'
    '"events":[{"type":"update","product_id":"BTC-USD","updates":['
    '{"side":"bid","event_time":"2026-08-09T21:05:49.1Z","price_level":"64999.50",'
    '"new_quantity":"2.5"},'
    '{"side":"offer","event_time":"2026-08-09T21:05:49.1Z","price_level":"65000.01",'
    '"new_quantity":"0"},'
    '{"side":"offer","event_time":"2026-08-09T21:05:49.1Z","price_level":"65000.5",'
    '"new_quantity":"1.2"}]}]}'
)
AT_TRADES_SNAPSHOT = (
    '{"channel":"market_trades","client_id":"","timestamp":"2026-08-09T21:05:49.3Z",'
    '"sequence_num":4,"events":[{"type":"snapshot","trades":[{"product_id":"BTC-USD",'
    '"trade_id":"100","price":"65000.01","size":"0.1","time":"2026-08-09T21:05:42.5Z",'
    '"side":"SELL"}]}]}'
)
# newest first, as the venue sends them; side is the MAKER's
AT_TRADES = (
    '{"channel":"market_trades","client_id":"","timestamp":"2026-08-09T21:05:50.0Z",'
    '"sequence_num":5,"events":[{"type":"update","trades":['
    '{"product_id":"BTC-USD","trade_id":"102","price":"65000.5","size":"0.2",'
    '"time":"2026-08-09T21:05:49.9Z","side":"SELL"},'
    '{"product_id":"BTC-USD","trade_id":"101","price":"65000.00","size":"0.05",'
    '"time":"2026-08-09T21:05:49.75Z","side":"BUY"}]}]}'
)
AT_TICKER = (
    '{"channel":"ticker","client_id":"","timestamp":"2026-08-09T21:05:50.1Z","sequence_num":6,'
    '"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USD",'
    '"price":"65000.5","best_bid":"65000.00","best_ask":"65000.5"}]}]}'
)
AT_CANDLES = (
    '{"channel":"candles","client_id":"","timestamp":"2026-08-09T21:05:51.0Z","sequence_num":7,'
    '"events":[{"type":"update","candles":[{"start":"1786309500","high":"65001","low":"64990",'
    '"open":"64995","close":"65000.5","volume":"1.05","product_id":"BTC-USD"}]}]}'
)
AT_UPDATE_2 = (
    '{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T21:05:52.0Z","sequence_num":8,'
    '"events":[{"type":"update","product_id":"BTC-USD","updates":['
    '{"side":"bid","event_time":"2026-08-09T21:05:51.9Z","price_level":"64995",'
    '"new_quantity":"0.4"},'
    '{"side":"bid","event_time":"2026-08-09T21:05:51.9Z","price_level":"64990.00",'
    '"new_quantity":"0"},'
    '{"side":"offer","event_time":"2026-08-09T21:05:51.9Z","price_level":"65001",'
    '"new_quantity":"0"}]}]}'
)

AT_FRAMES = [
    AT_SUBSCRIBED,
    AT_SNAPSHOT,
    AT_HEARTBEAT,
    AT_UPDATE,
    AT_TRADES_SNAPSHOT,
    AT_TRADES,
    AT_TICKER,
    AT_CANDLES,
    AT_UPDATE_2,
]

# ---------------------------------------------------------------------- Exchange (legacy)

EX_SUBSCRIBED = (
    '{"type":"subscriptions","channels":[{"name":"level2_batch","product_ids":["BTC-EUR"]},'
    '{"name":"matches","product_ids":["BTC-EUR"]},{"name":"heartbeat","product_ids":["BTC-EUR"]}]}'
)
EX_SNAPSHOT = (
    '{"type":"snapshot","product_id":"BTC-EUR","bids":[["60000.00","1.0"],["59999.50","2.0"]],'
    '"asks":[["60001.00","0.5"],["60002.00","1.5"]]}'
)
EX_L2UPDATE = (
    '{"type":"l2update","product_id":"BTC-EUR","changes":[["buy","60000.50","0.70"],'
    '["sell","60001.00","0.00000000"]],"time":"2021-04-17T16:43:37.075687Z"}'
)
# side is the MAKER order's side: a "sell" maker was lifted by a buying taker
EX_MATCH = (
    '{"type":"match","trade_id":881614,"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8",'
    '"taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","side":"sell","size":"0.25",'
    '"price":"60002.00","product_id":"BTC-EUR","sequence":50,"time":"2021-04-17T16:43:38.5Z"}'
)
EX_LAST_MATCH = (
    '{"type":"last_match","trade_id":881613,'
    '"maker_order_id":"27fff20b-af29-4f45-8744-56dd1ef57dc0",'
    '"taker_order_id":"1da6ce16-c8da-4732-9f71-6049f4c6aaf8","side":"buy","size":"0.04",'
    '"price":"60000.00","product_id":"BTC-EUR","sequence":49,"time":"2021-04-17T16:43:30.2Z"}'
)
EX_TICKER = (
    '{"type":"ticker","sequence":50,"product_id":"BTC-EUR","price":"60002.00","open_24h":"59000",'
    '"volume_24h":"94381.28","low_24h":"58000","high_24h":"61000","volume_30d":"2295579.57",'
    '"best_bid":"60000.50","best_ask":"60002.00","side":"buy","time":"2021-04-17T16:43:38.5Z",'
    '"trade_id":881614,"last_size":"0.25"}'
)
EX_HEARTBEAT = (
    '{"type":"heartbeat","sequence":51,"last_trade_id":881614,"product_id":"BTC-EUR",'
    '"time":"2021-04-17T16:43:39.0Z"}'
)
EX_L2UPDATE_2 = (
    '{"type":"l2update","product_id":"BTC-EUR","changes":[["buy","59999.50","0"],'
    '["sell","60002.00","1.25"]],"time":"2021-04-17T16:43:39.1Z"}'
)

EX_FRAMES = [
    EX_SUBSCRIBED,
    EX_SNAPSHOT,
    EX_L2UPDATE,
    EX_LAST_MATCH,
    EX_MATCH,
    EX_TICKER,
    EX_HEARTBEAT,
    EX_L2UPDATE_2,
]

FRAMES = AT_FRAMES + EX_FRAMES

BOOK = {
    "BTC-USD": {
        "bids": [(65000.0, 1.5), (64999.5, 2.5), (64995.0, 0.4)],
        "asks": [(65000.5, 1.2)],
    },
    "BTC-EUR": {
        "bids": [(60000.5, 0.7), (60000.0, 1.0)],
        "asks": [(60002.0, 1.25)],
    },
}
