"""Component ids, in one place (layout, callbacks and browser tests use these names)."""

URL = "url"
ROOT = "root"
VIEW = "view-store"
TICK = "tick"
HEAT_STATE = "heat-state"

SOURCE_BANNER = "source-banner"
CONNECTING = "connecting-alert"
SYMBOL = "symbol"
BUCKET = "bucket"
RANGE = "range"
REFRESH = "refresh"
THEME = "theme"
VENUE_TOGGLE = "venue-toggle"  # pattern: {"type": VENUE_TOGGLE, "venue": name}
VENUE_TIP = "venue-tip"  # pattern: {"type": VENUE_TIP, "venue": name}
VENUES = "venues-selected"

STATS = "stats"
HEATMAP = "heatmap"
HEAT_MINUTES = "heat-minutes"
HEAT_INTENSITY = "heat-intensity"
HEAT_LOG = "heat-log"
DEPTH = "depth"
BREAKDOWN = "breakdown"
BANDS = "bands"
DOMINANCE = "dominance"
PROFILE = "profile"
PROFILE_SPLIT = "profile-split"
PROFILE_RESET = "profile-reset"
LADDER = "ladder"
EXEC_SIZE = "exec-size"
EXEC_SIDE = "exec-side"
EXEC_UNIT = "exec-unit"
EXEC_TABLE = "exec-table"
EXEC_ERROR = "exec-error"

EXPORT_CHART = "export-chart"
EXPORT_FORMAT = "export-format"
EXPORT_BUTTON = "export-button"
EXPORT_DOWNLOAD = "export-download"
EXPORT_ERROR = "export-error"
FOOTER = "footer"

#: charts that can be exported (id -> title)
CHARTS = {
    HEATMAP: "Liquidity heatmap",
    DEPTH: "Depth",
    BREAKDOWN: "Liquidity by venue",
    BANDS: "Depth bands by venue",
    DOMINANCE: "Dominant venue",
    PROFILE: "Volume profile",
}
