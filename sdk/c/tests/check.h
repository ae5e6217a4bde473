/* The one assertion the C SDK's unit tests use: report the failed condition and go on, so
 * that one run lists every failure. Each test program counts them in `failures` and exits
 * non-zero if there were any. */
#ifndef HS_TEST_CHECK_H
#define HS_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

#endif
