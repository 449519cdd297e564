// A C++ target for Sonde's tests: a method of a class in a namespace and
// an overloaded function, whose symbols are mangled.
//
//   cpp_target N      call each N times, then exit
#include <cstdlib>

namespace geo {
struct Point {
  long x;
  __attribute__((noinline)) long scaled(long by);
};

long Point::scaled(long by)
{
  __asm__ __volatile__("" ::: "memory");
  return x * by;
}

__attribute__((noinline)) long twice(int v)
{
  __asm__ __volatile__("" ::: "memory");
  return 2L * v;
}

__attribute__((noinline)) long twice(double v)
{
  __asm__ __volatile__("" ::: "memory");
  return (long)(2 * v);
}
} // namespace geo

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 1;
  geo::Point p{ 7 };
  long total = 0;
  for (int i = 0; i < rounds; i++)
    total += p.scaled(i) + geo::twice(i) + geo::twice(0.5);
  return total == -1;
}
