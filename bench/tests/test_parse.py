import unittest

from benchlib import parse, scripts

# Shaped like bpftrace 0.17's output for the overhead scripts (hist header
# with a trailing space, as 0.17 prints it).
MAPS = """


@c[benchgen, 11819]: 1000
@h: 
[512, 1K)            998 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1K, 2K)               0 |                                                    |
[4K, 8K)               1 |                                                    |
[8K, 16K)              1 |                                                    |


@t[11819]: 1000
@: 1000
"""


class ParseTest(unittest.TestCase):
    def test_generator_report(self):
        self.assertEqual(
            parse.generator_report("pid=27097 n=2000000 ns=393339059 cpu_ns=390000001\n"),
            (27097, 2000000, 393339059, 390000001),
        )
        self.assertIsNone(parse.generator_report("garbage"))

    def test_scalar_and_keyed_counts(self):
        self.assertEqual(parse.scalar_count(MAPS), 1000)
        self.assertEqual(parse.keyed_count(MAPS, "benchgen, 11819", "@c"), 1000)
        self.assertEqual(parse.keyed_count(MAPS, "11819", "@t"), 1000)
        self.assertIsNone(parse.keyed_count(MAPS, "11820", "@t"))
        self.assertIsNone(parse.scalar_count("@x: 5\n"))

    def test_hist_total_sums_buckets_only(self):
        self.assertEqual(parse.hist_total(MAPS, "@h"), 1000)
        self.assertEqual(parse.hist_total("@h:\n[0]   3 |@@@|\n[1]   4 |@@@@|\n\n@x: 9\n"), 7)
        self.assertIsNone(parse.hist_total(MAPS, "@nothere"))

    def test_lost_events_are_summed(self):
        self.assertEqual(parse.lost_events("Lost 12 events\nfoo\nLost 30 events\n"), 42)
        self.assertEqual(parse.lost_events(""), 0)

    def test_lines_equal(self):
        self.assertEqual(parse.count_lines_equal("12\n12\n123\n\n12", "12"), 3)

    def test_first_error_line_skips_noise(self):
        stderr = (
            "ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace.\n"
            "__BPFTRACE_NOTIFY_PROBES_ATTACHED\n"
            "stdin:1:1-5: ERROR: unknown probe\n"
        )
        self.assertEqual(parse.first_error_line(stderr), "stdin:1:1-5: ERROR: unknown probe")

    def test_map_presence(self):
        self.assertTrue(parse.has_map_output("@[1]: 2\n"))
        self.assertTrue(parse.has_map_output("@: 0\n"))
        self.assertFalse(parse.has_map_output("@s[1]: 2\n"))


class CheckTest(unittest.TestCase):
    def check(self, key):
        return next(s for s in scripts.OVERHEAD if s.key == key).check

    def test_scalar_count_tolerates_few_foreign_events_only(self):
        count = self.check("count")
        self.assertIsNone(count("@: 2000000\n", 1, 2000000))
        self.assertIsNone(count("@: 2000005\n", 1, 2000000))
        self.assertEqual(count("@: 1999999\n", 1, 2000000), "@ = 1999999, expected 2000000")
        self.assertEqual(count("@: 4000000\n", 1, 2000000), "@ = 4000000, expected 2000000")
        self.assertEqual(count("\n", 1, 2000000), "@ not printed")

    def test_keyed_counts_are_exact(self):
        self.assertIsNone(self.check("tid")("@[77]: 10\n@[78]: 3\n", 77, 10))
        self.assertEqual(self.check("tid")("@[77]: 11\n", 77, 10), "@[77] = 11, expected 10")
        self.assertIsNone(self.check("commpid")("@[benchgen, 77]: 10\n", 77, 10))
        self.assertEqual(self.check("commpid")("@[bash, 77]: 10\n", 77, 10), "@[benchgen, 77] not printed")

    def test_never_true_predicate(self):
        never = self.check("never")
        self.assertIsNone(never("\n\n", 1, 10))
        self.assertIsNone(never("@: 0\n", 1, 10))
        self.assertEqual(never("@: 3\n", 1, 10), "@ counted although the predicate is never true")


if __name__ == "__main__":
    unittest.main()
