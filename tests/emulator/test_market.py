"""The synthetic market: seeded and deterministic, and a market a trader would recognise."""

from __future__ import annotations

from collections import Counter

from provider.emulator.market import SyntheticMarket
from provider.models import Side, Venue


def _run(seed: int, steps: int) -> tuple[SyntheticMarket, Counter[str], Counter[Side]]:
    m = SyntheticMarket(seed=seed)
    changes: Counter[str] = Counter()
    sides: Counter[Side] = Counter()
    for _ in range(steps):
        for (venue, native), res in m.step(0.05).items():
            changes[f"{venue}:{native}"] += len(res.changes)
            for t in res.trades:
                sides[t.side] += 1
    return m, changes, sides


def test_same_seed_same_market() -> None:
    a, ca, sa = _run(3, 200)
    b, cb, sb = _run(3, 200)
    assert ca == cb and sa == sb
    for key, vm in a.markets.items():
        assert vm.bids == b.markets[key].bids and vm.asks == b.markets[key].asks
    _, cc, _ = _run(4, 200)
    assert cc != ca


def test_books_never_cross_and_keep_their_depth() -> None:
    m = SyntheticMarket(seed=9)
    for _ in range(400):
        m.step(0.05)
        for vm in m.markets.values():
            bb, ba = vm.best_bid(), vm.best_ask()
            assert bb is not None and ba is not None and bb < ba
    for vm in m.markets.values():
        n = vm.spec.levels
        assert n - 12 <= len(vm.bids) <= n + 12 and n - 12 <= len(vm.asks) <= n + 12


def test_rates_sides_and_walls_look_like_a_market() -> None:
    m, changes, sides = _run(5, 400)  # 20 s
    per_s = {k: v / 20.0 for k, v in changes.items()}
    btc = per_s[f"{Venue.BINANCE}:BTCUSDT"]
    assert 20 <= btc <= 1000, btc  # tens to hundreds of level updates per second
    assert sides[Side.BUY] > 20 and sides[Side.SELL] > 20
    walls = [
        s
        for vm in m.markets.values()
        for s in list(vm.bids.values()) + list(vm.asks.values())
        if s >= 30 * vm.symbol.trade_size * vm.spec.size_scale
    ]
    assert walls  # large resting orders exist
    # one latent price: every venue's BTC mid within a few bps of the others
    mids = [
        (vm.price(vm.best_bid()) + vm.price(vm.best_ask())) / 2  # type: ignore[arg-type]
        for (v, n), vm in m.markets.items()
        if vm.spec.base == "BTC"
    ]
    assert (max(mids) - min(mids)) / min(mids) < 5e-4
