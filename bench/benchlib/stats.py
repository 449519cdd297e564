"""Medians, ratios and the text of one table cell."""

import statistics


def median_of(samples, key):
    """Median of `key` over the samples that have it, or None."""
    values = [s.values[key] for s in samples if s.error is None and s.values.get(key) is not None]
    return statistics.median(values) if values else None


def ratio(numerator, denominator):
    """numerator / denominator; None when either is missing or not positive,
    as a noisy per-event overhead can be, since such a ratio means nothing."""
    if numerator is None or denominator is None or numerator <= 0 or denominator <= 0:
        return None
    return numerator / denominator


def fmt_ms(value):
    if value is None:
        return None
    if value >= 100:
        return "%.0f ms" % value
    if value >= 10:
        return "%.1f ms" % value
    return "%.2f ms" % value


def fmt_ns(value):
    return None if value is None else "%.1f ns" % value


def fmt_ratio(value):
    if value is None:
        return "—"
    if abs(value) >= 10:
        return "%.1f" % value
    return "%.2f" % value


def fmt_kib(value):
    if value is None:
        return None
    return "%.1f MiB" % (value / 1024) if value >= 1024 else "%d KiB" % value


def fmt_bytes(value):
    if value is None:
        return None
    return "%.1f MiB (%d bytes)" % (value / (1 << 20), value)


def fmt_int(value):
    return None if value is None else "{:,}".format(int(value))
