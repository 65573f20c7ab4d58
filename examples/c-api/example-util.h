/*===- example-util.h - Argument parsing and argmax of the C examples -----===*/

#ifndef RETNET_EXAMPLE_UTIL_H
#define RETNET_EXAMPLE_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* Parses a non-negative integer no larger than `max`; returns 0 on failure. */
static int parse_count(const char *text, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > max)
    return 0;
  *out = value;
  return 1;
}

/* The index of the largest of `count` logits (the first one on ties). */
static int32_t argmax(const float *logits, int64_t count) {
  int64_t best = 0;
  for (int64_t i = 1; i < count; ++i)
    if (logits[i] > logits[best])
      best = i;
  return (int32_t)best;
}

#endif /* RETNET_EXAMPLE_UTIL_H */
