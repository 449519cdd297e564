/*
 * Runs a function of a library stored uncompressed in a zip archive,
 * mapped straight from the archive as Android maps the libraries of an
 * APK: the kernel sees the archive's file, so uprobes go on the archive.
 *
 *   zip_runner ARCHIVE OFFSET N   calls f(i, 2i) for i in 0..N, where f is
 *                                 the code at OFFSET of ARCHIVE, and
 *                                 prints the sum of what it returned
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: zip_runner ARCHIVE OFFSET N\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  long offset = strtol(argv[2], NULL, 0);
  long rounds = strtol(argv[3], NULL, 0);
  long page = sysconf(_SC_PAGESIZE);
  long start = offset / page * page;
  char *base = mmap(NULL, 2 * page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, start);
  if (base == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  long (*f)(long, long) = (long (*)(long, long))(base + (offset - start));
  long total = 0;
  for (long i = 0; i < rounds; i++)
    total += f(i, 2 * i);
  printf("%ld\n", total);
  return 0;
}
