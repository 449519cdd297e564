/*
 * A function of a shared library that Sonde's tests store in a zip
 * archive. Built with -nostdlib: it calls nothing, so it runs from any
 * mapping of its bytes (see zip_runner.c).
 */
long zipped_add(long a, long b) { return a + b; }
