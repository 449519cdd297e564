/*
 * A shared library with USDT probes for Sonde's tests, one of them guarded
 * by a semaphore: the probes of a library are found in the library, and
 * its semaphore is counted where the library is mapped.
 */
#include "sonde_usdt.h"

unsigned short sonde_lib_semaphore __attribute__((section(".probes")));

__attribute__((noinline)) long sonde_lib_work(long i)
{
  if (sonde_lib_semaphore)
    SONDE_USDT2("sonde_lib", "guarded", "sonde_lib_semaphore", i,
                sonde_lib_semaphore);
  SONDE_USDT2("sonde_lib", "always", "0", i, 2 * i);
  return i;
}
