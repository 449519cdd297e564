/*
 * Calls sonde_lib_work of the shared library built from usdt_lib.c.
 *
 *   lib_main N      N calls, then exit
 */
#include <stdlib.h>

long sonde_lib_work(long i);

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 1;
  long total = 0;
  for (int i = 0; i < rounds; i++)
    total += sonde_lib_work(i);
  return total == -1;
}
