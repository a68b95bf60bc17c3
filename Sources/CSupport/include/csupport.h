#ifndef MMUCHECK_CSUPPORT_H
#define MMUCHECK_CSUPPORT_H

#include <stdint.h>

/// What Swift does not offer the explorer's hash tables directly.

/// Asks the CPU to bring the cache line holding `p` closer, without waiting for it.
/// The explorer issues one for a successor's visited-set slot as soon as it knows the
/// fingerprint, and looks the slot up after the state's other successors are computed:
/// the misses overlap with that work. (A Swift load would make the core wait for the line
/// before it can retire the instructions that follow.)
static inline void mmucheck_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// Relaxed atomic load and store of a 64-bit slot: the seen-successor cache is read and
/// written by every worker thread at once; a reader sees either the old or the new word,
/// never a mix, and nothing else is ordered by it (it is only a cache).
static inline uint64_t mmucheck_load_relaxed(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void mmucheck_store_relaxed(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

/// Atomic fetch-and-add: the explorer's threads take work items from a shared counter.
static inline uint64_t mmucheck_fetch_add(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }

#endif
