/*
 * A target for user-space probes in Sonde's tests: functions with known
 * arguments and return values, and USDT probe sites with known arguments,
 * called a number of times given on the command line.
 *
 *   user_target N        run N rounds, then exit
 *   user_target N wait   the same, after a line arrives on standard input
 *
 * The USDT notes are written by hand (sonde_usdt.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include "sonde_usdt.h"

/* Operands of each form an assembler writes, in fixed registers: the
 * high and low bytes of %rax, memory at base + index * scale + offset,
 * and globals by symbol (relative to %rip, and absolute). */
long sonde_table[4] = { 10, 20, 0, 0 };
int sonde_counter;
#define SONDE_USDT_OPERANDS(ax, table, index)                                  \
  __asm__ __volatile__(                                                        \
      SONDE_USDT_NOTE("sonde", "operands", "0",                                \
                      "1@%%ah 1@%%al -8@8(%%rdx,%%rcx,8) "                     \
                      "-4@sonde_counter(%%rip) 8@sonde_table+8(%%rip) "        \
                      "-4@sonde_counter")                                      \
      :                                                                        \
      : "a"(ax), "d"(table), "c"(index))

/* A site whose first argument no tracer can read (a vector register). */
#define SONDE_USDT_ODD()                                                       \
  __asm__ __volatile__(SONDE_USDT_NOTE("sonde", "odd", "0", "8@%%xmm0 -4@$3") :)

/* Semaphores live in `.probes`; the kernel counts attached probes there. */
unsigned short sonde_guarded_semaphore __attribute__((section(".probes")));

__attribute__((noinline)) long sonde_add(long a, long b)
{
  __asm__ __volatile__("" ::: "memory");
  return a + b;
}

__attribute__((noinline)) long sonde_negate(long a)
{
  __asm__ __volatile__("" ::: "memory");
  return -a;
}

/* A structure behind a pointer, for typed `args` from DWARF. */
struct sonde_point {
  int x;
  char name[8];
};

__attribute__((noinline)) long sonde_point_x(struct sonde_point *p, char tag)
{
  __asm__ __volatile__("" ::: "memory");
  return p->x + tag;
}

/* Eight arguments: the last two are passed on the stack on x86-64. */
__attribute__((noinline)) long sonde_many(long a, long b, long c, long d,
                                          long e, long f, long g, long h)
{
  __asm__ __volatile__("" ::: "memory");
  return a + b + c + d + e + f + g + h;
}

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 1;
  if (argc > 2) {
    char line[16];
    if (read(0, line, sizeof(line)) < 0)
      return 2;
  }
  volatile long memory = 0;
  for (int i = 0; i < rounds; i++) {
    sonde_add(i, 2 * i);
    getppid();
    sonde_negate(i + 1);
    sonde_many(1, 2, 3, 4, 5, 6, 70 + i, 80 + i);
    struct sonde_point point = { .x = 40 + i, .name = "pt" };
    sonde_point_x(&point, 'k');
    SONDE_USDT2("sonde", "tick", "0", -1000 * i, 7);
    memory = 100 + i;
    SONDE_USDT2("sonde", "memory", "0", i, memory);
    sonde_counter = -5 * i;
    sonde_table[2] = -30 - i;
    SONDE_USDT_OPERANDS(0x1234L + i, sonde_table, 1L);
    SONDE_USDT_ODD();
    if (sonde_guarded_semaphore)
      SONDE_USDT2("sonde", "guarded", "sonde_guarded_semaphore", i,
                  sonde_guarded_semaphore);
  }
  return 0;
}
