"""A synthetic market that drives the emulator: seeded, deterministic, no I/O.

One latent price per base asset is shared by every venue (a random walk whose volatility
switches between calm and fast regimes). Each venue's book of a symbol follows that price
with its own basis, tick size, lot size, depth and update rate. ``VenueMarket.step`` moves
the book: trades take liquidity from the touch (taker side biased by the price move), quotes
are added, resized and cancelled near the top, large resting orders ("walls") appear at round
prices and are later filled or pulled, and the book is re-centred on the venue's fair price.

Prices are integer ticks inside (a level's key never suffers float error); ``price(tick)``
gives the float. Each step returns the level changes, in order, and the trades, so that the
venue encoders can turn them into that venue's wire frames.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from provider.models import Side, Venue


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """How one base asset trades: start price, volatility, typical trade size."""

    base: str
    start: float
    calm_bps_per_s: float = 1.0  # latent volatility, calm regime (bps per sqrt(second))
    fast_bps_per_s: float = 5.0
    trade_size: float = 0.05  # median trade size in base units


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """One venue's listing of one symbol in the emulator."""

    venue: Venue
    base: str
    quote: str
    native: str
    tick: float
    lot_decimals: int
    basis_bps: float = 0.0
    levels: int = 400  # resting levels kept per side
    span_pct: float = 2.0  # how far from the touch those levels reach
    updates_per_s: float = 80.0  # level changes per second in calm markets
    trades_per_s: float = 4.0
    size_scale: float = 1.0  # venue's share of liquidity

    @property
    def price_decimals(self) -> int:
        return max(0, -math.floor(math.log10(self.tick) + 1e-9))


#: the symbols the emulator lists, and its venues' listings of them
SYMBOLS = {
    "BTC": SymbolSpec("BTC", 65_000.0, trade_size=0.04),
    "ETH": SymbolSpec("ETH", 3_200.0, trade_size=0.6),
    "SOL": SymbolSpec("SOL", 150.0, trade_size=8.0),
    "USDT": SymbolSpec("USDT", 0.9996, calm_bps_per_s=0.05, fast_bps_per_s=0.2, trade_size=5000.0),
}

_V = Venue


def _listing(
    venue: Venue,
    quote: str,
    fmt: str,
    basis: float,
    levels: int,
    span: float,
    rate: float,
    share: float,
) -> list[VenueSpec]:
    ticks = {"BTC": 0.01, "ETH": 0.01, "SOL": 0.001}
    if venue is Venue.KRAKEN:
        ticks = {"BTC": 0.1, "ETH": 0.01, "SOL": 0.01}
    if venue is Venue.BITFINEX:  # P0 precision: 5 significant digits
        ticks = {"BTC": 1.0, "ETH": 0.1, "SOL": 0.001}
    out = []
    for base, tick in ticks.items():
        native = fmt.format(b=base, q=quote, bl=base.lower(), ql=quote.lower())
        if venue is Venue.KRAKEN:
            native = f"{base}/{quote}"
        if venue is Venue.BITFINEX:
            native = f"t{base}{'UST' if quote == 'USDT' else quote}"
        out.append(
            VenueSpec(
                venue,
                base,
                quote,
                native,
                tick,
                8 if base == "BTC" else 6,
                basis,
                levels,
                span,
                rate,
                rate / 20,
                share,
            )
        )
    return out


VENUE_SPECS: list[VenueSpec] = [
    # venue, quote, symbol format, basis bps, levels kept, span %, updates/s, size share
    *_listing(_V.BINANCE, "USDT", "{b}{q}", 0.0, 1000, 3.0, 120.0, 1.6),
    *_listing(_V.COINBASE, "USD", "{b}-{q}", 0.0, 800, 6.0, 90.0, 1.0),
    *_listing(_V.KRAKEN, "USD", "{b}/{q}", 0.0, 1000, 4.0, 50.0, 0.6),
    *_listing(_V.HUOBI, "USDT", "{bl}{ql}", 0.0, 150, 1.0, 40.0, 0.4),
    *_listing(_V.BITFINEX, "USD", "t{b}{q}", 0.0, 100, 1.5, 30.0, 0.5),
    *_listing(_V.OKX, "USDT", "{b}-{q}", 0.0, 400, 2.0, 90.0, 1.1),
    *_listing(_V.BYBIT, "USDT", "{b}{q}", 0.0, 200, 1.0, 100.0, 1.2),
    # a USDT/USD book lets the provider convert USDT quotes to USD from a live price
    VenueSpec(_V.KRAKEN, "USDT", "USD", "USDT/USD", 0.00001, 2, 0.0, 300, 0.5, 20.0, 1.0, 1.0),
    VenueSpec(_V.COINBASE, "USDT", "USD", "USDT-USD", 0.00001, 2, 0.0, 300, 0.5, 20.0, 1.0, 1.0),
]


def specs_for(venue: Venue) -> list[VenueSpec]:
    return [s for s in VENUE_SPECS if s.venue is venue]


class LatentPrice:
    """The fair price of one base asset: a random walk with calm and fast regimes."""

    def __init__(self, spec: SymbolSpec, rnd: random.Random) -> None:
        self.spec = spec
        self.rnd = rnd
        self.log_price = math.log(spec.start)
        self.fast = False
        self.last_move = 0.0  # log return of the last step

    @property
    def price(self) -> float:
        return math.exp(self.log_price)

    def step(self, dt: float) -> float:
        r = self.rnd
        if r.random() < dt / (20.0 if self.fast else 90.0):  # regimes last ~20 s / ~90 s
            self.fast = not self.fast
        vol = (self.spec.fast_bps_per_s if self.fast else self.spec.calm_bps_per_s) * 1e-4
        self.last_move = r.gauss(0.0, vol * math.sqrt(dt))
        self.log_price += self.last_move
        return self.price


@dataclass(slots=True)
class Change:
    """A level's new absolute size (0 deletes); ``tick`` is the price in ticks."""

    is_bid: bool
    tick: int
    size: float


@dataclass(slots=True)
class EmuTrade:
    tick: int
    size: float
    side: Side  # taker
    trade_id: int


@dataclass(slots=True)
class StepResult:
    changes: list[Change] = field(default_factory=list)
    trades: list[EmuTrade] = field(default_factory=list)


class VenueMarket:
    """The emulator's own book of one venue symbol, and how it moves."""

    def __init__(self, spec: VenueSpec, symbol: SymbolSpec, seed: int) -> None:
        self.spec = spec
        self.symbol = symbol
        self.rnd = random.Random(seed)
        self.bids: dict[int, float] = {}
        self.asks: dict[int, float] = {}
        self.next_trade_id = 1
        self._walls: dict[tuple[bool, int], float] = {}  # wall level -> pull time
        self.now = 0.0
        self.fair_tick = 0.0

    # ------------------------------------------------------------------------- reading

    def price(self, tick: int) -> float:
        return round(tick * self.spec.tick, self.spec.price_decimals)

    def fmt_price(self, tick: int) -> str:
        return f"{tick * self.spec.tick:.{self.spec.price_decimals}f}"

    def fmt_size(self, size: float) -> str:
        return f"{size:.{self.spec.lot_decimals}f}"

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None

    def top(self, is_bid: bool, n: int | None = None) -> list[tuple[int, float]]:
        """Levels best first (all, or the best ``n``)."""
        side = self.bids if is_bid else self.asks
        keys = sorted(side, reverse=is_bid)
        if n is not None:
            keys = keys[:n]
        return [(k, side[k]) for k in keys]

    # ------------------------------------------------------------------------- moving

    def _size(self, distance: int) -> float:
        """A resting size: grows with depth (in levels), lognormal noise, lot-rounded."""
        s = self.spec
        base = self.symbol.trade_size * s.size_scale
        v = base * (0.6 + 0.02 * min(distance, 300)) * self.rnd.lognormvariate(0.0, 0.8)
        return round(max(v, 10**-s.lot_decimals), s.lot_decimals)

    def _gap(self, level: int) -> int:
        """Ticks between level ``level`` and the next one: dense at the touch, sparse deep.

        The mean is chosen so that ``levels`` levels reach ``span_pct`` of the price."""
        s = self.spec
        mean = s.span_pct / 100 * self.fair_tick / s.levels
        scale = mean * (0.15 + 1.7 * min(level, s.levels) / s.levels)
        return 1 + int(self.rnd.expovariate(1 / max(scale, 1e-9))) if scale > 0.5 else 1

    def _set(self, out: StepResult, is_bid: bool, tick: int, size: float) -> None:
        side = self.bids if is_bid else self.asks
        if size > 0:
            side[tick] = size
        elif tick in side:
            del side[tick]
        else:
            return
        out.changes.append(Change(is_bid, tick, size))

    def _fill(
        self, out: StepResult, is_bid: bool, start: int, stop: int, level0: int, most: int = 10**9
    ) -> int:
        """Place levels from ``start`` away from the touch until ``stop`` (exclusive), the
        depth target, or ``most`` levels; returns how many were placed."""
        side = self.bids if is_bid else self.asks
        step = -1 if is_bid else 1
        t, placed = start, 0
        limit = self.spec.levels if most == 10**9 else len(side) + most
        while (t > stop if is_bid else t < stop) and len(side) < limit and t > 0:
            if t not in side:
                self._set(out, is_bid, t, self._size(level0 + placed))
                placed += 1
            t += step * self._gap(level0 + placed)
        return placed

    def seed_book(self, fair: float) -> None:
        """Fill both sides around ``fair`` (no changes reported: this is the initial book)."""
        self.fair_tick = fair * (1 + self.spec.basis_bps * 1e-4) / self.spec.tick
        tmp = StepResult()
        far = 10**15
        self._fill(tmp, True, math.floor(self.fair_tick) - 1, 0, 0)
        self._fill(tmp, False, math.ceil(self.fair_tick) + 1, far, 0)

    def step(self, dt: float, fair: float, move: float, speed: float = 1.0) -> StepResult:
        """Advance ``dt`` seconds towards the latent ``fair`` price; ``move`` is its last
        log return (biases takers). ``speed`` multiplies update and trade rates."""
        out = StepResult()
        s = self.spec
        r = self.rnd
        self.now += dt
        self.fair_tick = fair * (1 + s.basis_bps * 1e-4) / s.tick
        # 1. takers: more buys when the price rises
        busy = 3.0 if abs(move) > 5e-5 else 1.0
        for _ in range(_poisson(r, s.trades_per_s * speed * dt * busy)):
            p_buy = min(0.9, max(0.1, 0.5 + move * 4000))
            self._take(out, Side.BUY if r.random() < p_buy else Side.SELL)
        # 2. the book follows the fair price: quotes on the wrong side are taken or pulled
        lo = math.floor(self.fair_tick)
        hi = lo + 1
        for t in [t for t in self.bids if t >= hi]:
            self._set(out, True, t, 0.0)
        for t in [t for t in self.asks if t <= lo]:
            self._set(out, False, t, 0.0)
        # 3. liquidity returns near the touch
        bb, ba = self.best_bid(), self.best_ask()
        gap_b = (lo - bb) if bb is not None else 10**9
        gap_a = (ba - hi) if ba is not None else 10**9
        if gap_b > 1:
            self._fill(out, True, lo - (1 if r.random() < 0.5 else 0), bb or 0, 0, most=2)
        if gap_a > 1:
            self._fill(out, False, hi + (1 if r.random() < 0.5 else 0), ba or 10**15, 0, most=2)
        # 4. quote updates near the top (distance in levels), adds and cancels
        n_upd = _poisson(r, s.updates_per_s * speed * dt)
        if n_upd:
            bid_keys = sorted(self.bids, reverse=True)
            ask_keys = sorted(self.asks)
            for _ in range(n_upd):
                is_bid = r.random() < 0.5
                keys = bid_keys if is_bid else ask_keys
                if len(keys) < 2:
                    continue
                i = min(int(r.expovariate(1 / 20.0)), len(keys) - 2)
                side = self.bids if is_bid else self.asks
                tick = keys[i]
                u = r.random()
                if u < 0.3:  # a new quote between two levels
                    a, b = sorted((keys[i], keys[i + 1]))
                    if b - a > 1:
                        self._set(out, is_bid, r.randint(a + 1, b - 1), self._size(i))
                elif tick not in side:
                    continue
                elif u < 0.55 and (is_bid, tick) not in self._walls and i > 0:
                    self._set(out, is_bid, tick, 0.0)
                else:
                    self._set(
                        out,
                        is_bid,
                        tick,
                        round(side[tick] * r.uniform(0.5, 1.6), s.lot_decimals) or side[tick],
                    )
        # 5. walls: appear at round prices, get pulled later (or filled by takers)
        if r.random() < 0.4 * speed * dt:
            self._add_wall(out)
        for key, until in list(self._walls.items()):
            is_bid, tick = key
            side = self.bids if is_bid else self.asks
            if tick not in side:
                del self._walls[key]
            elif self.now >= until:
                del self._walls[key]
                self._set(out, is_bid, tick, self._size(5))
        # 6. keep the depth: far levels removed, or added beyond the last one
        self._keep_depth(out, True)
        self._keep_depth(out, False)
        return out

    def _take(self, out: StepResult, side: Side) -> None:
        book_is_bid = side is Side.SELL  # a sell taker hits the bids
        book = self.bids if book_is_bid else self.asks
        lot = self.spec.lot_decimals
        want = round(self.symbol.trade_size * self.rnd.lognormvariate(0.0, 1.1), lot)
        while want > 0 and book:
            tick = max(book) if book_is_bid else min(book)
            avail = book[tick]
            fill = round(min(avail, want), lot)
            if fill <= 0:
                break
            out.trades.append(EmuTrade(tick, fill, side, self.next_trade_id))
            self.next_trade_id += 1
            left = round(avail - fill, lot)
            self._set(out, book_is_bid, tick, left if left > 0 else 0.0)
            want = round(want - fill, lot)

    def _add_wall(self, out: StepResult) -> None:
        r = self.rnd
        is_bid = r.random() < 0.5
        dist = self.fair_tick * r.uniform(0.001, 0.008)  # 0.1 % to 0.8 % away
        raw = self.fair_tick - dist if is_bid else self.fair_tick + dist
        step = 10 ** max(0, math.floor(math.log10(max(raw * 1e-4, 1))))  # a round price
        tick = int(round(raw / step) * step)
        size = self.symbol.trade_size * self.spec.size_scale * r.uniform(40, 120)
        self._set(out, is_bid, tick, round(size, self.spec.lot_decimals))
        self._walls[(is_bid, tick)] = self.now + r.uniform(20.0, 180.0)

    def _keep_depth(self, out: StepResult, is_bid: bool) -> None:
        side = self.bids if is_bid else self.asks
        n = self.spec.levels
        if len(side) > n + 10:
            worst_first = sorted(side, reverse=not is_bid)
            for t in worst_first[: len(side) - n]:
                if (is_bid, t) not in self._walls:
                    self._set(out, is_bid, t, 0.0)
        elif len(side) < n - 10 and side:
            worst = min(side) if is_bid else max(side)
            start = worst - self._gap(n) if is_bid else worst + self._gap(n)
            self._fill(out, is_bid, start, 0 if is_bid else 10**15, len(side))


def _poisson(r: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:  # normal approximation, plenty for event counts
        return max(0, round(r.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k, p = 0, r.random()
    while p > limit:
        k += 1
        p *= r.random()
    return k


class SyntheticMarket:
    """Every venue market of the emulator, moved together by shared latent prices."""

    def __init__(self, seed: int = 7, specs: list[VenueSpec] | None = None) -> None:
        self.seed = seed
        self.specs = specs if specs is not None else VENUE_SPECS
        root = random.Random(seed)
        bases = sorted({s.base for s in self.specs})
        self.latent = {b: LatentPrice(SYMBOLS[b], random.Random(root.random())) for b in bases}
        self.markets: dict[tuple[Venue, str], VenueMarket] = {}
        for spec in self.specs:
            vm = VenueMarket(spec, SYMBOLS[spec.base], seed=int(root.random() * 2**31))
            vm.seed_book(self.latent[spec.base].price)
            self.markets[(spec.venue, spec.native)] = vm

    def step(self, dt: float, speed: float = 1.0) -> dict[tuple[Venue, str], StepResult]:
        for lp in self.latent.values():
            lp.step(dt)
        out = {}
        for key, vm in self.markets.items():
            lp = self.latent[vm.spec.base]
            out[key] = vm.step(dt, lp.price, lp.last_move, speed)
        return out
