/*
 * USDT probe sites written by hand for Sonde's test programs: the
 * `.note.stapsdt` format (site address, `.stapsdt.base` address, semaphore
 * address, provider, name, argument spec), so that no SystemTap headers
 * are needed.
 */
#ifndef SONDE_USDT_H
#define SONDE_USDT_H

#define SONDE_STR(x) #x
#define SONDE_XSTR(x) SONDE_STR(x)

/* The section `.stapsdt.base` whose address tells readers how far the file
 * moved since link time; one per object, hence the comdat group. */
#define SONDE_USDT_BASE                                                        \
  ".ifndef _.stapsdt.base\n"                                                   \
  ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"      \
  ".weak _.stapsdt.base\n"                                                     \
  ".hidden _.stapsdt.base\n"                                                   \
  "_.stapsdt.base: .space 1\n"                                                 \
  ".size _.stapsdt.base, 1\n"                                                  \
  ".popsection\n"                                                              \
  ".endif\n"

#define SONDE_USDT_NOTE(provider, name, semaphore, args)                       \
  "990: nop\n"                                                                 \
  ".pushsection .note.stapsdt,\"?\",\"note\"\n"                                \
  ".balign 4\n"                                                                \
  ".4byte 992f-991f, 994f-993f, 3\n"                                           \
  "991: .asciz \"stapsdt\"\n"                                                  \
  "992: .balign 4\n"                                                           \
  "993: .8byte 990b\n"                                                         \
  ".8byte _.stapsdt.base\n"                                                    \
  ".8byte " semaphore "\n"                                                     \
  ".asciz \"" provider "\"\n"                                                  \
  ".asciz \"" name "\"\n"                                                      \
  ".asciz \"" args "\"\n"                                                      \
  "994: .balign 4\n"                                                           \
  ".popsection\n" SONDE_USDT_BASE

/* Two arguments: a signed int and a long, wherever the compiler keeps them
 * ("nor": a register, an immediate or a memory operand). */
#define SONDE_USDT2(provider, name, semaphore, a, b)                           \
  __asm__ __volatile__(SONDE_USDT_NOTE(provider, name, semaphore,              \
                                       "-4@%0 8@%1")                           \
                       :                                                       \
                       : "nor"((int)(a)), "nor"((long)(b)))

#endif
