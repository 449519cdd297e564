import unittest

from benchlib.figures import Sample
from benchlib import figures, stats


class StatsTest(unittest.TestCase):
    def test_median_skips_failed_and_missing(self):
        samples = [
            Sample(values={"t": 3.0}),
            Sample(values={"t": 1.0}),
            Sample(values={"t": 100.0}, error="boom"),
            Sample(values={}),
            Sample(values={"t": 2.0}),
        ]
        self.assertEqual(stats.median_of(samples, "t"), 2.0)

    def test_median_of_nothing_is_none(self):
        self.assertIsNone(stats.median_of([Sample(error="x")], "t"))

    def test_ratio_guards_zero_and_none(self):
        self.assertEqual(stats.ratio(3.0, 4.0), 0.75)
        self.assertIsNone(stats.ratio(3.0, 0))
        self.assertIsNone(stats.ratio(None, 4.0))
        self.assertIsNone(stats.ratio(-3.0, 4.0))
        self.assertIsNone(stats.ratio(3.0, -4.0))

    def test_overhead_is_against_the_preceding_untraced_run(self):
        baseline = Sample(values={"cpu_ns": 1000, "loop_ns": 2000})
        traced = Sample(values={"cpu_ns": 1600, "loop_ns": 2100})
        figures._add_overhead(traced, baseline, 10)
        self.assertEqual(traced.values["added_cpu_ns"], 60.0)
        self.assertEqual(traced.values["added_wall_ns"], 10.0)
        failed = Sample(error="boom")
        figures._add_overhead(failed, baseline, 10)
        self.assertEqual(failed.values, {})

    def test_formats(self):
        self.assertEqual(stats.fmt_ms(251.4), "251 ms")
        self.assertEqual(stats.fmt_ms(25.14), "25.1 ms")
        self.assertEqual(stats.fmt_ms(2.514), "2.51 ms")
        self.assertEqual(stats.fmt_ratio(0.1234), "0.12")
        self.assertEqual(stats.fmt_ratio(123.4), "123.4")
        self.assertEqual(stats.fmt_ratio(None), "—")
        self.assertEqual(stats.fmt_kib(512), "512 KiB")
        self.assertEqual(stats.fmt_kib(3072), "3.0 MiB")
        self.assertEqual(stats.fmt_int(2000000), "2,000,000")


if __name__ == "__main__":
    unittest.main()
